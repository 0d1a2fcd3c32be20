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
        from sops import selectors
        from sops.models import TicketEventKind
        from sops.roles import ROLE_PERMISSIONS
        from tickets import events, panels

        register_role_permissions(ROLE_PERMISSIONS)
        navigation.register(navigation.NavEntry(key="sops", label=_("SOPs"),
                                                url_name="sops:library", order=200))  # fmt: skip
        # The banner of SOPs to acknowledge: a callable, so htmx fragments never run it.
        navigation.register_page_value(
            "pending_sops", lambda user: partial(selectors.pending_acknowledgements, user)
        )
        events.register_kinds(TicketEventKind)

        def sop_panel(page: panels.PanelPage) -> dict:
            return {"ticket_sops": selectors.sops_for_ticket(page.user, page.ticket, page.macros)}

        panels.register(panels.TicketPanel(
            name="sops", template="sops/partials/ticket_panel.html", context=sop_panel,
            slot="sidebar", order=20,
        ))  # fmt: skip
