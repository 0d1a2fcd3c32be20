from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SopsConfig(AppConfig):
    """Standard Operating Procedures, their versions, acknowledgements and checklists."""

    name = "sops"
    verbose_name = _("SOPs")

    def ready(self) -> None:
        # Imported here: models (and what imports them) load after the app registry.
        from accounts.roles import register_role_permissions
        from sops.roles import ROLE_PERMISSIONS

        register_role_permissions(ROLE_PERMISSIONS)
