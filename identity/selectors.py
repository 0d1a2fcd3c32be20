"""Reads about signing in. Who sees what: people see their own sessions, factors and
tokens; admins see everyone's (through accounts' visible_users) and the security log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import selectors as accounts
from accounts.models import Role, User, Vendor
from identity import policy
from identity.models import (
    ApiToken,
    OrganisationPolicy,
    RolePolicy,
    SecurityEvent,
    SecurityKey,
    SignInSession,
)

LOG_PAGE = 50


def visible_people(viewer: User) -> QuerySet[User]:
    return accounts.visible_users(viewer) if viewer.is_admin else User.objects.filter(pk=viewer.pk)


def visible_vendors(viewer: User) -> QuerySet[Vendor]:
    return accounts.visible_vendors(viewer)


def visible_tokens(viewer: User) -> QuerySet[ApiToken]:
    tokens = ApiToken.objects.select_related("user")
    if viewer.is_admin:
        return tokens.filter(user__in=accounts.visible_users(viewer))
    return tokens.filter(user=viewer)


def visible_security_events(viewer: User) -> QuerySet[SecurityEvent]:
    if not viewer.is_admin:
        return SecurityEvent.objects.none()
    return SecurityEvent.objects.all()


@dataclass(frozen=True, slots=True)
class AccessOverview:
    apps: list[TOTPDevice]
    keys: list[SecurityKey]
    recovery_codes_left: int
    sessions: list[SignInSession]
    current_key: str | None
    tokens: list[ApiToken]


def access_overview(user: User, *, current_key: str | None) -> AccessOverview:
    return AccessOverview(
        apps=list(TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id")),
        keys=list(SecurityKey.objects.filter(user=user)),
        recovery_codes_left=StaticToken.objects.filter(device__user=user).count(),
        sessions=list(open_sessions(user)[:50]),
        current_key=current_key,
        tokens=list(ApiToken.objects.filter(user=user, revoked_at__isnull=True)[:100]),
    )


def open_sessions(user: User) -> QuerySet[SignInSession]:
    """The person's sessions still open: not ended, and within their role's limits (a
    browser that never came back is ended only when it is next used)."""
    rules = policy.for_role(user.role)
    now = timezone.now()
    return SignInSession.objects.filter(
        user=user,
        ended_at__isnull=True,
        last_seen_at__gte=now - timedelta(seconds=rules.idle_seconds),
        created_at__gte=now - timedelta(seconds=rules.lifetime_seconds),
    ).order_by("-last_seen_at")


def role_policies() -> list[RolePolicy]:
    have = {row.role: row for row in RolePolicy.objects.all()}
    return [have.get(role) or RolePolicy(role=role) for role in Role.values]


def organisation_policies(vendors: QuerySet[Vendor]) -> list[OrganisationPolicy]:
    return list(
        OrganisationPolicy.objects.select_related("vendor")
        .filter(Q(vendor__in=vendors) | Q(vendor__isnull=True))
        .order_by("vendor__name")
    )


def live_tokens_page(
    viewer: User, *, after: tuple[str, int] | None = None
) -> tuple[list[ApiToken], tuple[Any, ...] | None]:
    """Every live token the admin may see (not revoked, not expired), newest first,
    keyset-paginated on (created_at, id)."""
    tokens = (
        visible_tokens(viewer)
        .filter(revoked_at__isnull=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))
    )
    if after:
        stamp = datetime.fromisoformat(after[0])
        tokens = tokens.filter(created_at__lte=stamp).exclude(created_at=stamp, id__gte=after[1])
    rows = list(tokens.order_by("-created_at", "-id")[: LOG_PAGE + 1])
    cursor = None
    if len(rows) > LOG_PAGE:
        rows = rows[:LOG_PAGE]
        cursor = (rows[-1].created_at.isoformat(), rows[-1].pk)
    return rows, cursor


def security_log_page(
    viewer: User, *, email: str = "", kind: str = "", after: tuple[str, int] | None = None
) -> tuple[list[SecurityEvent], tuple[Any, ...] | None]:
    """Newest first, keyset-paginated on (created_at, id)."""
    events = visible_security_events(viewer).select_related("user", "actor")
    if email:
        events = events.filter(email__icontains=email.strip().lower())
    if kind:
        events = events.filter(kind=kind)
    if after:
        stamp = datetime.fromisoformat(after[0])
        events = events.filter(created_at__lte=stamp).exclude(created_at=stamp, id__gte=after[1])
    rows = list(events.order_by("-created_at", "-id")[: LOG_PAGE + 1])
    cursor = None
    if len(rows) > LOG_PAGE:
        rows = rows[:LOG_PAGE]
        cursor = (rows[-1].created_at.isoformat(), rows[-1].pk)
    return rows, cursor
