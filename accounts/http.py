"""Request types for views that only a signed-in person reaches (``login_required``, or
an API view whose permission classes demand authentication). Types only: the request
objects are Django's and DRF's own."""

from __future__ import annotations

from rest_framework.request import Request

from accounts.models import User
from core.http import HtmxRequest


class AuthenticatedRequest(HtmxRequest):
    """A page request from a signed-in person (``request.user`` is never anonymous)."""

    user: User


class AuthenticatedApiRequest(Request):
    """An API request that passed ``IsAuthenticated`` (or a stricter permission)."""

    user: User
