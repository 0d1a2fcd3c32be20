"""The chat app's permissions per role (collected by accounts.roles): admins define the
statuses; leads and admins see agents' states (limits are set on the chat page)."""

from accounts.models import Role
from accounts.roles import Declaration

ROLE_PERMISSIONS: Declaration = {
    Role.LEAD: {
        "chat": {
            "agentstate": ("view",),
        },
    },
    Role.ADMIN: {
        "chat": {
            "agentstatus": ("view", "add", "change"),
            "agentstate": ("view",),
            "statuschange": ("view",),
        },
    },
}
