from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


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
