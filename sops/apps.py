from functools import partial

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from core import navigation


class SopsConfig(AppConfig):
    """Standard Operating Procedures, their versions, acknowledgements and checklists."""

    name = "sops"
    verbose_name = _("SOPs")

    def ready(self) -> None:
        # Imported here: models (and what imports them) load after the app registry.
        from accounts.roles import register_role_permissions
        from sops.roles import ROLE_PERMISSIONS
        from sops.selectors import pending_acknowledgements

        register_role_permissions(ROLE_PERMISSIONS)
        navigation.register(navigation.NavEntry(key="sops", label=_("SOPs"),
                                                url_name="sops:library", order=200))  # fmt: skip
        # The banner of SOPs to acknowledge: a callable, so htmx fragments never run it.
        navigation.register_page_value(
            "pending_sops", lambda user: partial(pending_acknowledgements, user)
        )
