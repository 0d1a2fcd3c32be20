"""Clearance: the tickets of harm categories that need it (child safety) are reachable
only by cleared specialists. Everyone else, admins included, gets 404 on every route,
because their queues are hidden from them (a ``tickets.restrictions`` restriction).

Both sets are cached per process until a category or a clearance changes
(``core.config_cache``; migration 0002 watches the tables), so the restriction costs no
query on the requests that read tickets."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import connection
from django.utils.translation import gettext as _

from core import config_cache
from safety import categories
from tickets import hooks
from tickets.services import TicketConflict

if TYPE_CHECKING:
    from accounts.models import User
    from safety.models import HarmCategory
    from tickets.models import Ticket


def _load() -> tuple[frozenset[int], frozenset[int]]:
    # One query for both (it runs on a cold cache in every request that reads tickets).
    # Inactive categories count too: switching a category off does not open its tickets.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT queue_id, NULL FROM safety_harmcategory "
            "WHERE requires_clearance AND queue_id IS NOT NULL "
            "UNION ALL SELECT NULL, user_id FROM safety_clearance"
        )
        rows = cursor.fetchall()
    restricted = frozenset(queue for queue, _ in rows if queue is not None)
    return restricted, frozenset(user for _, user in rows if user is not None)


def _sets() -> tuple[frozenset[int], frozenset[int]]:
    return config_cache.cached("safety-clearance", _load)


def restricted_queue_ids() -> frozenset[int]:
    """The queues of the categories that need clearance."""
    return _sets()[0]


def is_cleared(user: User) -> bool:
    return bool(user.is_authenticated and user.pk in _sets()[1])


def hidden_queues_for(user: User) -> frozenset[int]:
    """The restriction registered with tickets.restrictions: one cached read."""
    restricted, cleared = _sets()
    if not restricted or user.pk in cleared:
        return frozenset()
    return restricted


# ------------------------------------------------- keeping cleared tickets in place


class ClearanceConflict(TicketConflict):
    """A ticket of a category that needs clearance asked to leave its cleared queue (a
    ticket refusal: the ticket views and the API show it as they show their own)."""


def _needing_clearance(ticket: Ticket) -> HarmCategory | None:
    category = categories.for_ticket(ticket)
    return category if category is not None and category.requires_clearance else None


def place_by_category(queue_id: int, category: str) -> int | None:
    """The ``tickets.placement`` placer: a ticket that arrives in a category needing
    clearance (a routing rule, a form or the API named it) goes to that category's queue,
    whatever queue it was sent to, so it is never visible to the uncleared. Cached: no
    query."""
    found = categories.by_key().get(category) if category else None
    if found is None or not found.requires_clearance:
        return None
    return found.queue_id


def on_queue_changed(event: hooks.QueueChanged) -> None:
    """A ticket leaves a cleared queue only when its category no longer needs clearance
    (marked with another one first): a cleared specialist cannot put child-safety content
    where everyone sees it by moving it."""
    restricted = restricted_queue_ids()
    if event.old not in restricted or event.new in restricted:
        return
    category = _needing_clearance(event.ticket)
    if category is not None:
        raise ClearanceConflict(
            _(
                "A %(category)s ticket stays in a queue only cleared people work. Mark it "
                "with another category first if it is not %(category)s."
            )
            % {"category": category.name}
        )


def on_merged(event: hooks.Merged) -> None:
    """A cleared ticket's conversation does not go into a ticket outside the cleared
    queues either (a merge moves its messages)."""
    restricted = restricted_queue_ids()
    if event.source.queue_id not in restricted or event.target.queue_id in restricted:
        return
    category = _needing_clearance(event.source)
    if category is not None:
        raise ClearanceConflict(
            _("A %(category)s ticket can only be merged into another ticket in its queue.")
            % {"category": category.name}
        )
