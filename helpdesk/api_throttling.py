"""Calls to the API without a valid sign-in are limited per address (the "anon" rate).

DRF checks throttles only after authentication and permissions, so its
AnonRateThrottle alone never sees the calls that matter: a wrong token fails in
authentication, a missing one in the permission check, both before any throttle.
Those two places charge the same per-address count here, and past the rate the
answer is 429 instead of 401. Each call is charged once: the one that fails first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions, permissions, throttling
from rest_framework.settings import api_settings

if TYPE_CHECKING:  # DRF's settings import this module while rest_framework.views loads
    from rest_framework.request import Request
    from rest_framework.views import APIView


class AnonRateThrottle(throttling.AnonRateThrottle):
    """DRF's, with the rate read when used (so settings changes apply)."""

    def get_rate(self) -> str | None:
        # The stubs type the rates as numbers; they are strings such as "20/min".
        rates = cast("dict[str | None, str | None]", api_settings.DEFAULT_THROTTLE_RATES)
        return rates.get(self.scope)


class _RefusedCallThrottle(AnonRateThrottle):
    """The same count, for a call already known to be anonymous (``request.user`` must
    not be read while authentication is still running)."""

    def get_cache_key(self, request: Request, view: APIView | None) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def charge_anonymous_call(request: Request, view: Any = None) -> None:
    throttle = _RefusedCallThrottle()
    if not throttle.allow_request(request, view):
        raise exceptions.Throttled(throttle.wait())


class TokenAuthentication(authentication.TokenAuthentication):
    """``Authorization: Token <key>`` (or ``Bearer <key>``): a named API token
    (identity.auth: its scope, expiry and the owner's allowed networks)."""

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        from identity.auth import authenticate_key

        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() not in (b"token", b"bearer"):
            return None
        try:
            if len(header) != 2:
                raise exceptions.AuthenticationFailed(
                    _("Invalid token header: send Authorization: Token <key>.")
                )
            try:
                key = header[1].decode()
            except UnicodeError as exc:
                raise exceptions.AuthenticationFailed(_("Invalid token header.")) from exc
            return authenticate_key(request, key)
        except exceptions.AuthenticationFailed:
            charge_anonymous_call(request)
            raise


class IsAuthenticated(permissions.IsAuthenticated):
    def has_permission(self, request: Request, view: APIView) -> bool:
        if super().has_permission(request, view):
            return True
        charge_anonymous_call(request, view)
        return False
