"""The harm taxonomy as the other parts read it, cached per process until a category
changes (core.config_cache): by key, which are graphic, and a ticket's category.

A report's ticket carries its category's key in ``Ticket.category`` (reports.py); any
other ticket has one when an agent or a rule marked it sensitive (``TicketMark``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core import config_cache
from safety.models import HarmCategory, TicketMark

if TYPE_CHECKING:
    from tickets.models import Ticket


def all_categories() -> list[HarmCategory]:
    """Every category, active or not, in their order (callers must not modify them)."""
    return config_cache.cached("safety-categories", lambda: list(
        HarmCategory.objects.select_related("queue").order_by("order", "name")))  # fmt: skip


def active() -> list[HarmCategory]:
    return [category for category in all_categories() if category.is_active]


def by_key() -> dict[str, HarmCategory]:
    return {category.key: category for category in all_categories()}


def by_id() -> dict[int, HarmCategory]:
    return {category.pk: category for category in all_categories()}


def graphic_keys() -> frozenset[str]:
    """The graphic categories' keys: a ticket whose category is one of them is graphic
    work for "next ticket" (interleaved with other work, skipped in a cool-down), whatever
    queue it shares with other reports."""
    return frozenset(c.key for c in all_categories() if c.graphic)


def for_ticket(ticket: Ticket, *, mark: TicketMark | None | bool = True) -> HarmCategory | None:
    """The ticket's harm category: its mark's, else its report category's. ``mark``: the
    mark when the caller has it, None when it knows there is none, True to look it up."""
    if mark is True:
        mark = TicketMark.objects.filter(ticket_id=ticket.pk).first()
    if isinstance(mark, TicketMark):
        return by_id().get(mark.category_id)
    return by_key().get(ticket.category) if ticket.category else None
