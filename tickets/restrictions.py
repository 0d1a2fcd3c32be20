"""Queues hidden from some people whatever their grants: a registry the apps above fill.

``tickets.selectors.visible_queues`` (and so every view, count, search, export and API
endpoint that starts from it) leaves out the queues a restriction names for a person.
Trust & safety registers one: the queues of harm categories that need clearance (child
safety) are hidden from everyone not cleared, admins included::

    restrictions.register("safety-clearance", hidden_queues_for)

A restriction is called on every request that reads tickets: it must answer from
per-process caches (``core.config_cache``), not with a query of its own."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from accounts.models import User

Restriction = Callable[["User"], frozenset[int]]
_restrictions: dict[str, Restriction] = {}
_ATTR = "_helpdesk_hidden_queue_ids"


def register(name: str, restriction: Restriction) -> None:
    _restrictions[name] = restriction


def unregister(name: str) -> None:
    _restrictions.pop(name, None)


def hidden_queue_ids(user: User) -> frozenset[int]:
    """The queues hidden from this person, kept on the user for the request."""
    cached = getattr(user, _ATTR, None)
    if cached is None:
        hidden: set[int] = set()
        for restriction in _restrictions.values():
            hidden |= restriction(user)
        cached = frozenset(hidden)
        setattr(user, _ATTR, cached)
    return cached


def forget(user: User) -> None:
    if hasattr(user, _ATTR):
        delattr(user, _ATTR)
