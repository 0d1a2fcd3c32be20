"""Protected viewing of a ticket's conversation: a registry the apps above fill.

Trust & safety shows the files and words of sensitive tickets protected (blurred,
greyscale, masked) until an agent reveals them. ``tickets`` names no such app: the
ticket page asks ``for_ticket`` whether a shield covers the ticket, and the attachment
route asks ``original_allowed`` before it sends a file's bytes::

    shields.register("safety", shield_for)           # (request, ticket) -> Shield | None
    shields.register_original_guard("safety", guard)  # (request, attachment) -> bool

- With a shield, the page renders ``shield.attachment_template`` for each file (it is
  given ``item``, the attachment, and ``shield``) instead of the download link, and the
  message bodies through ``shield.body`` when it is set (safe HTML).
- A guard that answers False stops the original: the route answers 403, saying why.

Both run on every ticket page and every download: they answer from per-process caches
and what the page already fetched (a panel's flag), with a query only for a ticket they
do protect."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.http import HttpRequest
    from django.utils.safestring import SafeString

    from tickets.models import Attachment, Message, Ticket


@dataclass(frozen=True)
class Shield:
    name: str
    attachment_template: str
    body: Callable[[Message], SafeString] | None = None
    context: dict[str, Any] = field(default_factory=dict)


ShieldFor = Callable[["HttpRequest", "Ticket"], Shield | None]
OriginalGuard = Callable[["HttpRequest", "Attachment"], bool]
_shields: dict[str, ShieldFor] = {}
_guards: dict[str, OriginalGuard] = {}


def register(name: str, shield_for: ShieldFor) -> None:
    _shields[name] = shield_for


def register_original_guard(name: str, guard: OriginalGuard) -> None:
    _guards[name] = guard


def unregister(name: str) -> None:
    _shields.pop(name, None)
    _guards.pop(name, None)


def for_ticket(request: HttpRequest, ticket: Ticket) -> Shield | None:
    """The first shield that covers this ticket for this viewer, or None."""
    for shield_for in _shields.values():
        shield = shield_for(request, ticket)
        if shield is not None:
            return shield
    return None


def original_allowed(request: HttpRequest, item: Attachment) -> bool:
    return all(guard(request, item) for guard in _guards.values())
