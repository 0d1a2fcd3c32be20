"""Clearance: the tickets of harm categories that need it (child safety) are reachable
only by cleared specialists. Everyone else, admins included, gets 404 on every route,
because their queues are hidden from them (a ``tickets.restrictions`` restriction).

Both sets are cached per process until a category or a clearance changes
(``core.config_cache``; migration 0002 watches the tables), so the restriction costs no
query on the requests that read tickets."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import connection

from core import config_cache

if TYPE_CHECKING:
    from accounts.models import User


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
