"""The privacy app's permissions per role (collected by accounts.roles). Admins handle
privacy; anyone else is given ``privacy.handle_erasurerequest`` on their account (a
compliance officer), in the Django admin. Leads and admins redact, in the tickets they see."""

from accounts.models import Role
from accounts.roles import Declaration

ROLE_PERMISSIONS: Declaration = {
    Role.LEAD: {"privacy": {"redaction": ("view", "add")}},
    Role.ADMIN: {
        "privacy": {
            "erasurerequest": ("view", "add", "change", "handle"),
            "legalhold": ("view", "add", "change"),
            "privacyevent": ("view",),
            "redaction": ("view", "add"),
        },
    },
}
