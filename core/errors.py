"""One root for every domain error, and its few kinds. An app's errors derive from a
kind (`class TicketError(Invalid)`), so the API's one handler (core/api.py) answers
each with the kind's HTTP status and code, and callers may catch the app's error or
the kind alike.

A narrower error of an app names its kind first, `class TicketConflict(Conflict,
TicketError)`: the status and code come from the first class in the MRO that sets
them, so the kind must come before the app's root (an `Invalid`)."""

from __future__ import annotations

from typing import ClassVar


class DomainError(Exception):
    """A change the domain refuses; the message says why, in a sentence shown to the
    user. Raise one of its kinds, not the root itself."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "invalid"


class Invalid(DomainError):
    """The request is not allowed as asked (HTTP 400)."""

    status = 400
    code = "invalid"


class NotFound(DomainError):
    """What the request names does not exist, or is not the actor's to see (HTTP 404)."""

    status = 404
    code = "not_found"


class Conflict(DomainError):
    """The change conflicts with the current state; reload and try again (HTTP 409)."""

    status = 409
    code = "conflict"


class Forbidden(DomainError):
    """The actor may see this but not do this to it (HTTP 403)."""

    status = 403
    code = "forbidden"
