"""Channels that deliver an agent's public reply themselves, registered by the apps above.

By default a public reply goes to the requester by email through the outbox. An app
with a live channel (the chat app, while a chat is live) registers a function that,
given the ticket, names the channel that carries the reply now; the reply is then
stored with that channel and no email is queued (the app pushes it from its
``message_added`` hook)::

    delivery.register("chat", live_chat_channel)

A function runs inside the reply's transaction, on the agent's hot path: it answers
from the ticket's own columns when it can (a ticket that is not a chat needs no query).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tickets.models import Ticket

Deliverer = Callable[["Ticket"], str | None]
_deliverers: dict[str, Deliverer] = {}


def register(name: str, deliverer: Deliverer) -> None:
    _deliverers[name] = deliverer


def unregister(name: str) -> None:
    _deliverers.pop(name, None)


def live_channel(ticket: Ticket) -> str | None:
    """The channel that delivers a public reply on this ticket now (None: email)."""
    for deliverer in _deliverers.values():
        channel = deliverer(ticket)
        if channel:
            return channel
    return None
