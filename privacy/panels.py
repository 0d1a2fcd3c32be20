"""The ticket page's privacy panel: a link to redact, for leads and admins who may
(agents see nothing and cost no query)."""

from __future__ import annotations

from typing import Any

from privacy.redaction import can_redact
from tickets import panels


def ticket_panel(page: panels.PanelPage) -> dict[str, Any]:
    return {"privacy_may_redact": can_redact(page.user)}


def register() -> None:
    panels.register(panels.TicketPanel(
        name="privacy", template="privacy/partials/ticket_panel.html", context=ticket_panel,
        slot="sidebar", order=90))  # fmt: skip
