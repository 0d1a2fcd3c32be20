"""The escalations app's model permissions per role (collected by accounts.roles)."""

from accounts.models import Role
from accounts.roles import Declaration

ROLE_PERMISSIONS: Declaration = {
    Role.ADMIN: {
        "escalations": {
            "escalationreason": ("view", "add", "change"),
            "rotation": ("view", "add", "change", "delete"),
            "rotationmember": ("view", "add", "change", "delete"),
            "rotationoverride": ("view", "add", "change", "delete"),
            "escalation": ("view",),
            "incident": ("view",),
            "page": ("view",),
        },
    },
}
