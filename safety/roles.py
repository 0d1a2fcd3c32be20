"""The safety app's permissions per role (collected by accounts.roles). Leads decide
appeals, approve opt-outs and override hard caps for their people; admins set the
taxonomy, the organisation's protection, the word lists and clearances."""

from accounts.models import Role
from accounts.roles import Declaration

ROLE_PERMISSIONS: Declaration = {
    Role.LEAD: {
        "safety": {
            "capoverride": ("view", "add"),
            "optout": ("view", "change"),
        },
    },
    Role.ADMIN: {
        "safety": {
            "harmcategory": ("view", "add", "change"),
            "protection": ("view", "change"),
            "maskword": ("view", "add", "delete"),
            "clearance": ("view", "add", "delete"),
            "capoverride": ("view", "add"),
            "optout": ("view", "change"),
            "safetyevent": ("view",),
        },
    },
}
