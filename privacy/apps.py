from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from core import navigation


class PrivacyConfig(AppConfig):
    """Privacy: data-subject exports and erasure, legal holds."""

    name = "privacy"
    verbose_name = _("Privacy")

    def ready(self) -> None:
        from accounts.roles import register_role_permissions
        from privacy import export, panels
        from privacy.models import TicketEventKind
        from privacy.permissions import can_handle_privacy
        from privacy.roles import ROLE_PERMISSIONS
        from privacy.timeline import SENTENCES
        from tickets import events, timeline

        events.register_kinds(TicketEventKind)
        timeline.register_sentences(SENTENCES)
        register_role_permissions(ROLE_PERMISSIONS)
        export.register()
        panels.register()
        navigation.register(navigation.NavEntry(
            key="privacy", label=_("Privacy"), url_name="privacy:home", order=860,
            visible_to=can_handle_privacy))  # fmt: skip
