"""The SOPs app's model permissions per role (collected by accounts.roles)."""

from accounts.models import Role
from accounts.roles import Declaration

ROLE_PERMISSIONS: Declaration = {
    Role.ADMIN: {
        # SOPs change in the SOP pages, through the services; the admin only reads them.
        "sops": {
            "sop": ("view",),
            "sopversion": ("view",),
            "sopacknowledgement": ("view",),
            "sopevent": ("view",),
        },
    },
}
