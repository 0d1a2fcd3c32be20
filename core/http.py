"""Request types for views' signatures. Django's `HttpRequest` knows neither what
django-htmx's middleware adds nor that a view behind `login_required` has a signed-in
person; these subclasses only tell the type checker so (nothing is built from them)."""

from __future__ import annotations

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails


class HtmxRequest(HttpRequest):
    """Any request of the site: the htmx middleware gives each one `request.htmx`."""

    htmx: HtmxDetails
