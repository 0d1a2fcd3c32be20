"""Where a new ticket goes when an app above says it must go elsewhere: a registry
``services.ticket_create`` asks before its INSERT, so the ticket is never, even for a
moment, in the queue it was sent to.

A placer looks at the queue asked for and the ticket's category (its contact reason) and
answers the id of the queue the ticket must go to, or None. Trust & safety registers one:
a ticket in a category that needs clearance (child safety) goes to that category's
queue, whoever sent it where::

    placement.register("safety-clearance", place_by_category)

A placer runs on every new ticket (intake's hot path): it answers from per-process caches
(``core.config_cache``), never with a query of its own."""

from __future__ import annotations

from collections.abc import Callable

Placer = Callable[[int, str], int | None]
_placers: dict[str, Placer] = {}


def register(name: str, placer: Placer) -> None:
    _placers[name] = placer


def unregister(name: str) -> None:
    _placers.pop(name, None)


def place(queue_id: int, category: str) -> int | None:
    """The queue a placer requires instead of ``queue_id``, or None (the first answer)."""
    for placer in _placers.values():
        answer = placer(queue_id, category)
        if answer is not None and answer != queue_id:
            return answer
    return None
