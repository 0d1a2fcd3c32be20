"""The tickets app's model permissions per role (collected by accounts.roles)."""

from accounts.models import Role
from accounts.roles import Declaration

ROLE_PERMISSIONS: Declaration = {
    Role.ADMIN: {
        "tickets": {
            "queue": ("view", "add", "change"),
            "requester": ("view", "change"),
            "macro": ("view", "add", "change", "delete"),
            "ticket": ("view",),
            "event": ("view",),
            "notification": ("view", "change"),
            "notificationattempt": ("view",),
            "businesscalendar": ("view", "add", "change"),
            "businesshours": ("view", "add", "change", "delete"),
            "calendarholiday": ("view", "add", "change", "delete"),
            "slapolicy": ("view", "add", "change"),
            "slatarget": ("view", "add", "change", "delete"),
            "slaclock": ("view",),
            "configevent": ("view",),
            "inboundemail": ("view", "change"),
            "appclient": ("view", "add", "change"),
            "mailbox": ("view", "add", "change", "delete"),
            "emailroute": ("view", "add", "change", "delete"),
        },
    },
}
