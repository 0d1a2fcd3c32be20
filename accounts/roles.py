"""What each role may do: Django groups and model permissions, declared by each app.

Each role is a Django group of the same name. An app declares the model permissions it
gives each role, ``{role: {app_label: {model: actions}}}``, in its own ``roles.py`` and
registers them from its ``AppConfig.ready()`` with ``register_role_permissions``.
``role_permissions()`` is the table collected from every installed app, and
``role_groups_sync`` (run after every migrate) makes the groups' permissions match it,
so a new app's permissions need no change here.

An app may also declare an *added role* (``AddedRole``): one a person holds on top of their
main role (agent, lead or admin), such as quality's QA reviewer. Its holders are the
members of a Django group of the same name, which the sync gives the role's permissions;
admins grant it through ``accounts.services.user_set_added_roles`` (audited) and the apps
ask ``accounts.selectors.holds_role`` / ``role_holders``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from django.utils.functional import Promise

from accounts.models import Role

# role -> app_label -> model -> actions ("view", "add", "change", "delete").
RoleTable = dict[str, dict[str, dict[str, tuple[str, ...]]]]
Declaration = Mapping[str, Mapping[str, Mapping[str, Iterable[str]]]]

_collected: RoleTable = {role.value: {} for role in Role}


def register_role_permissions(declaration: Declaration) -> None:
    """Add an app's permissions to the roles. Registering the same thing twice changes
    nothing; two apps that name the same model's permissions get the union."""
    for role, apps in declaration.items():
        if role not in Role.values:
            raise ImproperlyConfigured(f"{role!r} is not a role (accounts.models.Role).")
        table = _collected[Role(role).value]
        for app_label, models in apps.items():
            for model, actions in models.items():
                have = table.setdefault(app_label, {}).get(model, ())
                table[app_label][model] = (*have, *(a for a in actions if a not in have))


def role_permissions() -> RoleTable:
    """Every installed app's declarations, collected: each role, even one given nothing."""
    return {role: {app_label: dict(models) for app_label, models in apps.items()}
            for role, apps in _collected.items()}  # fmt: skip


@dataclass(frozen=True)
class AddedRole:
    """A role an app adds, held on top of the main one. ``name`` is its group's name."""

    name: str
    label: str | Promise
    description: str | Promise
    # app_label -> model -> actions, as in a role's declaration.
    permissions: Mapping[str, Mapping[str, Iterable[str]]]


_added: dict[str, AddedRole] = {}


def register_added_role(role: AddedRole) -> None:
    """Declare an added role (from the app's ``AppConfig.ready()``); its name must not be a
    main role's, nor another added role's."""
    if role.name in Role.values:
        raise ImproperlyConfigured(f"{role.name!r} is a main role (accounts.models.Role).")
    if _added.get(role.name, role) != role:
        raise ImproperlyConfigured(f"The added role {role.name!r} is declared twice.")
    _added[role.name] = role


def added_roles() -> list[AddedRole]:
    """Every added role the installed apps declare, by name."""
    return [_added[name] for name in sorted(_added)]


def added_role_permissions() -> RoleTable:
    """Each added role's declared permissions, in the table's shape."""
    return {role.name: {app_label: {model: tuple(actions) for model, actions in models.items()}
                        for app_label, models in role.permissions.items()}
            for role in added_roles()}  # fmt: skip


# accounts' own: the people pages, the Django groups, and the sign-in lockouts.
ROLE_PERMISSIONS: Declaration = {
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
    },
}
