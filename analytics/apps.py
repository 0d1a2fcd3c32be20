from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    """Operations analytics: facts from the ticket hooks, rollups, dashboards, spikes."""

    name = "analytics"
    verbose_name = _("Analytics")

    def ready(self) -> None:
        from analytics import handlers

        handlers.connect()
