"""What each role may do: Django groups and model permissions, declared by each app.

Each role is a Django group of the same name. An app declares the model permissions it
gives each role, ``{role: {app_label: {model: actions}}}``, in its own ``roles.py`` and
registers them from its ``AppConfig.ready()`` with ``register_role_permissions``.
``role_permissions()`` is the table collected from every installed app, and
``role_groups_sync`` (run after every migrate) makes the groups' permissions match it,
so a new app's permissions need no change here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.core.exceptions import ImproperlyConfigured

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
