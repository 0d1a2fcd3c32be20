from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from core import navigation


class AnalyticsConfig(AppConfig):
    """Operations analytics: facts from the ticket hooks, rollups, dashboards, spikes."""

    name = "analytics"
    verbose_name = _("Analytics")

    def ready(self) -> None:
        from analytics import handlers
        from analytics.selectors import can_view

        handlers.connect()
        from analytics import export_sources

        export_sources.register()
        from analytics.reports import webhook_endpoint
        from tickets import outbox

        outbox.register_webhook_endpoint("analytics_report", webhook_endpoint)
        navigation.register(navigation.NavEntry(
            key="dashboard", label=_("Dashboard"), url_name="analytics:dashboard", order=400,
            visible_to=can_view))  # fmt: skip
        # A lead's (and an admin's) home is their dashboard: where they land on signing in.
        navigation.register_landing("dashboard", "analytics:dashboard", can_view)
