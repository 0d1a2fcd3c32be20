"""The quality app's model permissions per role (collected by accounts.roles)."""

from accounts.models import Role
from accounts.roles import Declaration

ROLE_PERMISSIONS: Declaration = {
    Role.ADMIN: {
        "quality": {
            "survey": ("view",),
            "surveysettings": ("view",),
            "qualityevent": ("view",),
            "review": ("view",),
            "cycle": ("view",),
            "dispute": ("view",),
        }
    },
}
