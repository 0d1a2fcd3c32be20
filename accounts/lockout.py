"""Sign-in lockout: how django-axes names the account an attempt was for, and the
handler that counts each lockout rule against its own limit.

The rules (``AXES_LOCKOUT_PARAMETERS``, in this order) and their limits:

- one account from one address: ``AXES_FAILURE_LIMIT`` (someone who forgot a password);
- one account from any address: ``AXES_ACCOUNT_FAILURE_LIMIT`` (a guess spread over
  many addresses at one password);
- one address for any account: ``AXES_ADDRESS_FAILURE_LIMIT`` (one address trying
  many accounts; higher, since an office signs in from behind one address).

Axes itself compares every rule with one limit, so the handler reports a rule that
reached its own limit as the common limit reached.
"""

from __future__ import annotations

import ipaddress

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """The address a request came from, for sign-in lockouts (AXES_CLIENT_IP_CALLABLE),
    rate limits (RATELIMIT_IP_META_KEY) and network allow-lists (identity).

    X-Forwarded-For is believed only from a proxy we run:

    - with TRUSTED_PROXIES (address ranges), only when the connection comes from one of
      them; the client is then the right-most forwarded address that is not a proxy;
    - else with TRUSTED_PROXY_COUNT (env AXES_PROXY_COUNT) proxies in front, each
      appended the address it was reached from, so the client's is that many entries from
      the right (as DRF's NUM_PROXIES reads it);
    - else only the connection's address counts, whatever X-Forwarded-For a client sends.
    (django-axes reads the forwarded header only through django-ipware, which is not
    installed, so behind a proxy every sign-in looked as if it came from the proxy.)"""
    remote = request.META.get("REMOTE_ADDR", "")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    trusted = _trusted_proxies()
    if trusted:
        if not hops or not _within(remote, trusted):
            return remote
        for hop in reversed(hops):
            if not _within(hop, trusted):
                try:
                    return str(ipaddress.ip_address(hop))
                except ValueError:
                    return remote  # not an address: the proxies are not as configured
        return remote
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies and hops:
        try:
            return str(ipaddress.ip_address(hops[-min(proxies, len(hops))]))
        except ValueError:
            pass  # not an address: the proxies are not as configured
    return remote


_proxy_cache: dict[tuple[str, ...], tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]] = {}


def _trusted_proxies() -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    ranges = tuple(getattr(settings, "TRUSTED_PROXIES", ()) or ())
    if ranges not in _proxy_cache:
        _proxy_cache[ranges] = tuple(ipaddress.ip_network(r, strict=False) for r in ranges)
    return _proxy_cache[ranges]


def _within(
    address: str, networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def attempted_username(request: HttpRequest, credentials: dict | None) -> str | None:
    value = (credentials or {}).get("username") or request.POST.get("username")
    return value.strip().lower() if isinstance(value, str) and value.strip() else None


def rule_limits() -> list[tuple[tuple[str, ...], int]]:
    """Each lockout rule (its parameters) with its limit, in AXES_LOCKOUT_PARAMETERS order."""
    limits = {
        ("ip_address", "username"): settings.AXES_FAILURE_LIMIT,
        ("username",): settings.AXES_ACCOUNT_FAILURE_LIMIT,
        ("ip_address",): settings.AXES_ADDRESS_FAILURE_LIMIT,
    }
    rules = []
    for parameter in settings.AXES_LOCKOUT_PARAMETERS:
        key = tuple(sorted([parameter] if isinstance(parameter, str) else parameter))
        rules.append((key, limits[key]))
    return rules


class AxesRequest(HttpRequest):
    """A request as axes hands it to its handler, with the address axes resolved."""

    axes_ip_address: str


class LockoutHandler(AxesDatabaseHandler):
    def get_failures(self, request: AxesRequest, credentials: dict | None = None) -> int:
        attempts = self.get_user_attempts(request, credentials)
        pair_failures = 0
        for (rule, limit), queryset in zip(rule_limits(), attempts, strict=True):
            failures = queryset.aggregate(n=Sum("failures_since_start"))["n"] or 0
            if failures >= limit:
                return get_failure_limit(request, credentials)
            if rule == ("ip_address", "username"):
                pair_failures = failures
        return pair_failures

    def reset_user_attempts(self, request: AxesRequest, credentials: dict | None = None) -> int:
        # A successful sign-in clears only that account's failures from that address.
        # Axes would clear every rule's records: the address's failures on other
        # accounts too, so signing in to one's own account would reset a guess at
        # someone else's.
        username = get_client_username(request, credentials)
        deleted, _ = AccessAttempt.objects.filter(
            username=username, ip_address=request.axes_ip_address
        ).delete()
        return deleted
