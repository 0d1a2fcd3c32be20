"""What a server process does once at start, before its first request."""

from __future__ import annotations


def import_url_configuration() -> None:
    """Import the URL configuration (and every view module it names) now, not in the first
    request: every request that arrives meanwhile would wait on that one import (seconds:
    the chat bench saw the first half-second of a burst queue behind it, on both servers)."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 (a cached property: reading it imports)
