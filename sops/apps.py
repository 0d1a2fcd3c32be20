from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SopsConfig(AppConfig):
    """Standard Operating Procedures, their versions, acknowledgements and checklists."""

    name = "sops"
    verbose_name = _("SOPs")

    def ready(self) -> None:
        from sops import selectors  # noqa: PLC0415 - after the registry
        from sops.models import TicketEventKind  # noqa: PLC0415
        from tickets import events, panels  # noqa: PLC0415

        events.register_kinds(TicketEventKind)

        def sop_panel(page: panels.PanelPage) -> dict:
            return {"ticket_sops": selectors.sops_for_ticket(page.user, page.ticket, page.macros)}

        panels.register(panels.TicketPanel(
            name="sops", template="sops/partials/ticket_panel.html", context=sop_panel,
            slot="sidebar", order=20,
        ))  # fmt: skip
