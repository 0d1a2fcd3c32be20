from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SafetyConfig(AppConfig):
    """Trust & safety: user reports and decisions, protected viewing, exposure limits."""

    name = "safety"
    verbose_name = _("Trust & safety")

    def ready(self) -> None:
        from accounts.roles import register_role_permissions
        from safety import clearance, exposure, reports, viewing
        from safety.models import TicketEventKind
        from safety.roles import ROLE_PERMISSIONS
        from safety.timeline import SENTENCES
        from tickets import events, hooks, placement, restrictions, timeline

        events.register_kinds(TicketEventKind)
        timeline.register_sentences(SENTENCES)
        register_role_permissions(ROLE_PERMISSIONS)
        restrictions.register("safety-clearance", clearance.hidden_queues_for)
        placement.register("safety-clearance", clearance.place_by_category)
        hooks.queue_changed.connect(clearance.on_queue_changed)
        hooks.merged.connect(clearance.on_merged)
        reports.connect()
        viewing.connect()
        exposure.connect()
