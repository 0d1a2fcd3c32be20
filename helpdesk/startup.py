"""What a server process does once at start, before its first request."""

from __future__ import annotations


def import_url_configuration() -> None:
    """Import the URL configuration (and every view module it names) now, not in the first
    request: every request that arrives meanwhile would wait on that one import (seconds:
    the chat bench saw the first half-second of a burst queue behind it, on both servers)."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 (a cached property: reading it imports)


def warm_up() -> None:
    """Load now what a web worker would otherwise load in the middle of its first requests
    of each kind. In bench/agents.py each worker's first replies took 100-200 ms more than
    the others, and were the slowest of the run: the first SLA count on a calendar with
    holidays imports every country's module (about 150 ms), the first task sent resolves
    Celery's (disabled) result backend from its entry points and imports the broker's
    transport (about 30 ms). Each UI
    language's catalogue takes 8-14 ms the first time a person with it asks for a page."""
    from django.conf import settings
    from django.utils.translation import trans_real

    for code, _name in settings.LANGUAGES:
        trans_real.translation(code)
    import holidays.countries  # noqa: F401 (what holidays.country_holidays imports)
    import kombu.messaging  # noqa: F401

    from helpdesk.celery import app

    # None of these connects: a broker that is away must not hold the server's start.
    app.connection_for_write().transport  # noqa: B018 (imports the broker's transport)
    app.backend  # noqa: B018 (cached properties: reading them resolves them)
    app.amqp.router  # noqa: B018
    app.producer_pool  # noqa: B018
