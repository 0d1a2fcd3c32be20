"""What each role may do: Django groups and model permissions, kept in one place.

Each role is a Django group of the same name. ``role_groups_sync`` (run after
every migrate) makes the groups' permissions match this table, so adding a
model's permission to a role is a one-line change here.
"""

from accounts.models import Role

# app_label -> model -> actions, per role. Later apps add their rows here.
ROLE_PERMISSIONS: dict[str, dict[str, dict[str, tuple[str, ...]]]] = {
    Role.AGENT: {},
    Role.LEAD: {
        "accounts": {"user": ("view",), "team": ("view",), "vendor": ("view",)},
    },
    Role.ADMIN: {
        "accounts": {
            "user": ("view", "add", "change"),
            "team": ("view", "add", "change", "delete"),
            "vendor": ("view", "add", "change", "delete"),
            "accountevent": ("view",),
        },
        "auth": {"group": ("view",)},
        # Sign-in lockouts: an admin unlocks an account by deleting its attempts.
        "axes": {
            "accessattempt": ("view", "delete"),
            "accesslog": ("view",),
            "accessfailurelog": ("view",),
        },
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
        "escalations": {
            "escalationreason": ("view", "add", "change"),
            "rotation": ("view", "add", "change", "delete"),
            "rotationmember": ("view", "add", "change", "delete"),
            "rotationoverride": ("view", "add", "change", "delete"),
            "escalation": ("view",),
            "incident": ("view",),
            "page": ("view",),
        },
        # SOPs change in the SOP pages, through the services; the admin only reads them.
        "sops": {
            "sop": ("view",),
            "sopversion": ("view",),
            "sopacknowledgement": ("view",),
            "sopevent": ("view",),
        },
    },
}
