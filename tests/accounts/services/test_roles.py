"""The role table is collected from the apps (each declares its own permissions), and it
is exactly the table accounts/roles.py held before the apps declared their own."""

import copy

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ImproperlyConfigured

from accounts import roles
from accounts.models import Role
from accounts.services import role_groups_sync

pytestmark = pytest.mark.django_db

# accounts/roles.py's ROLE_PERMISSIONS at 75e8664, the last commit where it listed every app.
TABLE_BEFORE = {
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
        "sops": {
            "sop": ("view",),
            "sopversion": ("view",),
            "sopacknowledgement": ("view",),
            "sopevent": ("view",),
        },
    },
}
# How many permissions each group held at 75e8664 after a migrate.
GROUP_SIZES_BEFORE = {"agent": 0, "lead": 3, "admin": 86}
# What apps added since, each in its own roles.py: quality's (surveys, reviews), privacy's,
# safety's and chat's.
ADDED_SINCE = {
    Role.ADMIN: {
        "quality": {"survey": ("view",), "surveysettings": ("view",), "qualityevent": ("view",),
                    "review": ("view",), "cycle": ("view",), "dispute": ("view",)},
        "privacy": {"erasurerequest": ("view", "add", "change", "handle"),
                    "legalhold": ("view", "add", "change"), "privacyevent": ("view",),
                    "redaction": ("view", "add")},
        "safety": {"harmcategory": ("view", "add", "change"), "protection": ("view", "change"),
                   "maskword": ("view", "add", "delete"), "clearance": ("view", "add", "delete"),
                   "capoverride": ("view", "add"), "optout": ("view", "change"),
                   "safetyevent": ("view",)},
        "chat": {"agentstatus": ("view", "add", "change"), "agentstate": ("view",),
                 "statuschange": ("view",)},
    },
    Role.LEAD: {"privacy": {"redaction": ("view", "add")},
                "safety": {"capoverride": ("view", "add"), "optout": ("view", "change")},
                "chat": {"agentstate": ("view",)}},
}  # fmt: skip
TABLE_NOW = copy.deepcopy(TABLE_BEFORE)
for _role, _apps in ADDED_SINCE.items():
    TABLE_NOW[_role].update(_apps)
GROUP_SIZES_NOW = {"agent": 0, "lead": 3 + 2 + 4 + 1, "admin": 86 + 6 + 10 + 16 + 5}


def _held(role: str) -> set[str]:
    group = Group.objects.get(name=role)
    return {f"{p.content_type.app_label}.{p.codename}"
            for p in group.permissions.select_related("content_type")}  # fmt: skip


def _declared(table: dict, role: str) -> set[str]:
    return {f"{app_label}.{action}_{model}"
            for app_label, models in table[role].items()
            for model, actions in models.items() for action in actions}  # fmt: skip


@pytest.fixture
def registry(monkeypatch):
    """The collected table, restored after the test."""
    monkeypatch.setattr(roles, "_collected", copy.deepcopy(roles._collected))
    yield roles
    role_groups_sync()


def test_the_collected_table_is_the_one_accounts_held_before_the_apps_declared_their_own():
    assert roles.role_permissions() == TABLE_NOW


def test_accounts_declares_only_its_own_and_its_sign_in_permissions():
    labels = {label for apps in roles.ROLE_PERMISSIONS.values() for label in apps}
    assert labels == {"accounts", "auth", "axes"}


@pytest.mark.parametrize("role", list(Role))
def test_each_role_group_holds_exactly_the_permissions_it_held_before(role):
    role_groups_sync()
    assert _held(role) == _declared(TABLE_NOW, role)
    assert len(_held(role)) == GROUP_SIZES_NOW[role]


def test_an_app_registers_permissions_and_the_sync_grants_them(registry):
    declaration = {Role.LEAD: {"sops": {"sop": ("view",), "sopversion": ("view",)}}}
    registry.register_role_permissions(declaration)
    registry.register_role_permissions(declaration)  # twice changes nothing
    assert registry.role_permissions()[Role.LEAD]["sops"] == {
        "sop": ("view",), "sopversion": ("view",),
    }  # fmt: skip
    role_groups_sync()
    assert _held(Role.LEAD) == _declared(TABLE_NOW, Role.LEAD) | {
        "sops.view_sop", "sops.view_sopversion",
    }  # fmt: skip


def test_two_apps_naming_one_model_get_the_union(registry):
    registry.register_role_permissions({Role.ADMIN: {"sops": {"sop": ("view", "change")}}})
    assert registry.role_permissions()[Role.ADMIN]["sops"]["sop"] == ("view", "change")


def test_a_declaration_for_an_unknown_role_is_refused(registry):
    with pytest.raises(ImproperlyConfigured, match="'supervisor' is not a role"):
        registry.register_role_permissions({"supervisor": {"sops": {"sop": ("view",)}}})


def test_every_declared_permission_exists():
    declared = {(label, f"{action}_{model}")
                for role in Role for label, models in roles.role_permissions()[role].items()
                for model, actions in models.items() for action in actions}  # fmt: skip
    existing = set(Permission.objects.values_list("content_type__app_label", "codename"))
    assert declared - existing == set()
