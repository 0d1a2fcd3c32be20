from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

from core import navigation


def _sync_roles(sender: AppConfig, **kwargs: Any) -> None:
    # Permissions exist only after post_migrate has created them, so role groups
    # are synced here rather than in a data migration.
    from accounts.services import role_groups_sync

    role_groups_sync()


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        # Not limited to this app as sender: later apps' permissions are created
        # by their own post_migrate, and the sync is idempotent and cheap.
        post_migrate.connect(_sync_roles, dispatch_uid="accounts.sync_roles")
        from accounts import permissions, roles

        roles.register_role_permissions(roles.ROLE_PERMISSIONS)
        navigation.register(navigation.NavEntry(
            key="people", label=_("People"), url_name="accounts:roster", order=800,
            visible_to=permissions.can_view_roster))  # fmt: skip
