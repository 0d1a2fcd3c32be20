"""The ticket page's panels from the apps that build on tickets.

Each app registers its panels from its ``AppConfig.ready()``; the ticket page renders
the registry, so ``tickets`` names no other app::

    panels.register(panels.TicketPanel(
        name="escalations", template="escalations/partials/ticket_panel.html",
        context=escalation_panel_context, slot="sidebar", order=10,
        flag=("has_escalations",
              "SELECT 1 FROM escalations_escalation e WHERE e.ticket_id = tickets_ticket.id", []),
    ))

- ``context(page)`` returns the names the panel's template reads; they are merged into
  the page's context, so an app prefixes its names. It runs on every ticket page: keep
  it to a query or two, configuration from the per-process caches.
- ``flag`` (optional) is a cheap existence test, an SQL ``SELECT 1 … WHERE …
  tickets_ticket.id`` the page's own ticket query evaluates as ``EXISTS`` (one query for
  every panel). A context function skips its queries when ``page.known_empty(flag)``:
  most tickets have no escalation or incident, and their panels cost nothing.
- ``slot`` is ``"banner"`` (above the conversation) or ``"sidebar"``; ``order`` sorts
  panels within a slot.

The requester's own page in the help center has panels too (``RequesterPanel``, below
the conversation): their ``context(request, ticket)`` may run a query; they are shown to
whoever holds the page's signed link, so they show only what the requester may see.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.http import HttpRequest

    from accounts.models import User
    from tickets.models import Macro, Ticket

SLOTS = ("banner", "sidebar")


@dataclass(frozen=True)
class PanelPage:
    """What a panel's context function is given: the request, the viewer, the ticket
    (as the page fetched it, with the panels' flags) and what the page already read."""

    request: HttpRequest
    user: User
    ticket: Ticket
    macros: list[Macro] = field(default_factory=list)

    def known_empty(self, *flags: str) -> bool:
        """True when the page's ticket query found nothing for these flags."""
        return known_empty(self.ticket, *flags)


@dataclass(frozen=True)
class TicketPanel:
    name: str
    template: str
    context: Callable[[PanelPage], dict[str, Any]]
    slot: str = "sidebar"
    order: int = 100
    # (flag name, SQL, params): see the module's docstring.
    flag: tuple[str, str, list] | None = None


_panels: dict[str, TicketPanel] = {}


def register(panel: TicketPanel) -> TicketPanel:
    if panel.slot not in SLOTS:
        raise ValueError(f"panel {panel.name!r}: slot must be one of {SLOTS}")
    existing = _panels.get(panel.name)
    if existing is not None and existing != panel:
        raise ValueError(f"a ticket panel named {panel.name!r} is already registered")
    _panels[panel.name] = panel
    return panel


def unregister(name: str) -> None:
    _panels.pop(name, None)


def registered() -> list[TicketPanel]:
    return sorted(_panels.values(), key=lambda panel: (panel.order, panel.name))


def flags() -> dict[str, tuple[str, list]]:
    """The registered panels' existence tests, by flag name."""
    return {p.flag[0]: (p.flag[1], p.flag[2]) for p in registered() if p.flag is not None}


def known_empty(ticket: Ticket, *names: str) -> bool:
    """True when the ticket page's fetch found none of these flags; False when it found
    some or the ticket was fetched without them."""
    return all(getattr(ticket, name, True) is False for name in names)


def page_context(page: PanelPage) -> dict[str, Any]:
    """Every panel's context merged, and the panels to render in each slot."""
    context: dict[str, Any] = {}
    slots: dict[str, list[TicketPanel]] = {slot: [] for slot in SLOTS}
    for panel in registered():
        context.update(panel.context(page))
        slots[panel.slot].append(panel)
    context["banner_panels"] = slots["banner"]
    context["sidebar_panels"] = slots["sidebar"]
    return context


@dataclass(frozen=True)
class RequesterPanel:
    name: str
    template: str
    context: Callable[[HttpRequest, Ticket], dict[str, Any] | None]
    order: int = 100


_requester_panels: dict[str, RequesterPanel] = {}


def register_requester_panel(panel: RequesterPanel) -> RequesterPanel:
    existing = _requester_panels.get(panel.name)
    if existing is not None and existing != panel:
        raise ValueError(f"a requester panel named {panel.name!r} is already registered")
    _requester_panels[panel.name] = panel
    return panel


def requester_panels(request: HttpRequest, ticket: Ticket) -> list[tuple[str, dict[str, Any]]]:
    """The help-center panels that have something to show: (template, context) each. A
    context function returns None to show nothing."""
    shown = []
    for panel in sorted(_requester_panels.values(), key=lambda p: (p.order, p.name)):
        context = panel.context(request, ticket)
        if context is not None:
            shown.append((panel.template, context))
    return shown
