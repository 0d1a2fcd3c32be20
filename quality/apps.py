from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from core import navigation


class QualityConfig(AppConfig):
    """Quality: satisfaction surveys (CSAT) after a solve, rated by one click."""

    name = "quality"
    verbose_name = _("Quality")

    def ready(self) -> None:
        from accounts.roles import register_added_role, register_role_permissions
        from quality import handlers, panels
        from quality.models import TicketEventKind
        from quality.roles import QA_REVIEWER, ROLE_PERMISSIONS
        from quality.services import webhook_endpoint
        from quality.timeline import SENTENCES
        from tickets import events, outbox, timeline

        handlers.connect()
        events.register_kinds(TicketEventKind)
        timeline.register_sentences(SENTENCES)
        panels.register()
        register_role_permissions(ROLE_PERMISSIONS)
        register_added_role(QA_REVIEWER)
        outbox.register_webhook_endpoint("csat_submitted", webhook_endpoint)
        navigation.register(navigation.NavEntry(
            key="ratings", label=_("Ratings"), url_name="quality:ratings", order=450,
            visible_to=lambda user: user.is_authenticated))  # fmt: skip
        navigation.register(navigation.NavEntry(
            key="reviews", label=_("QA reviews"), url_name="quality:reviews", order=460,
            visible_to=lambda user: user.is_authenticated))  # fmt: skip
