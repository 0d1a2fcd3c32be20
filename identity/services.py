"""Every write about signing in: sessions, second factors, API tokens, policies and
providers. Each writes its SecurityEvent in the same transaction."""

from __future__ import annotations

import hashlib
import ipaddress
import secrets
import time
from datetime import timedelta
from typing import Any, TypeVar

from django.contrib.auth import login
from django.contrib.sessions.backends.base import SessionBase
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.lockout import client_address
from accounts.models import Role, User
from core.errors import Invalid
from identity import policy
from identity.models import (
    ApiToken,
    IdentityProvider,
    OrganisationPolicy,
    RolePolicy,
    SecurityEvent,
    SecurityKey,
    SignInSession,
)

Kind = SecurityEvent.Kind
SESSION_KEY = "_identity"
RECOVERY_CODES = 10


class IdentityError(Invalid):
    """A sign-in or access change that is not allowed; the message says why."""


def audit(
    kind: str,
    *,
    user: User | None = None,
    actor: User | None = None,
    request: HttpRequest | None = None,
    email: str = "",
    **detail: Any,
) -> SecurityEvent:
    return SecurityEvent.objects.create(
        kind=kind,
        user=user,
        actor=actor,
        email=email or (user.email if user else ""),
        address=(client_address(request) or None) if request is not None else None,
        detail=detail,
    )


def address_refused(
    *, user: User, request: HttpRequest, where: str, **detail: Any
) -> SecurityEvent | None:
    """Audit a refused address once a minute per person, address and place ("sign-in",
    "page", "api"): a queue page polling every few seconds from outside the allowed
    networks must not write an event each time."""
    address = client_address(request)
    if not cache.add(f"identity:refused:{user.pk}:{address}:{where}", 1, timeout=60):
        return None
    return audit(Kind.ADDRESS_REFUSED, user=user, request=request, where=where, **detail)


# --- sign-in and sessions -------------------------------------------------------------


def has_second_factor(user: User) -> bool:
    return (
        TOTPDevice.objects.filter(user=user, confirmed=True).exists()
        or SecurityKey.objects.filter(user=user).exists()
    )


def must_enrol(user: User) -> bool:
    return policy.second_factor_required(
        role=user.role, vendor_id=organisation_of(user)
    ) and not has_second_factor(user)


def organisation_of(user: User) -> int | None:
    """The vendor whose policy covers the person; None: the in-house staff's."""
    return user.team.vendor_id if user.team_id and user.team else None


def sign_in(
    request: HttpRequest, *, user: User, method: str, backend: str, hold_for_enrolment: bool
) -> None:
    """Log the person in (a new session key), record the session and its limits
    (``session_started``, through Django's user_logged_in signal) and say how."""
    request._identity_method = method  # type: ignore[attr-defined]
    login(request, user, backend=backend)
    if hold_for_enrolment:
        request.session[SESSION_KEY]["hold"] = True
        request.session.modified = True


def session_started(request: HttpRequest, user: User) -> None:
    """Every login (Django's user_logged_in): the session's record and its limits, kept
    in the session itself so that checking them costs no query."""
    session = request.session
    if session.session_key is None:
        session.save()
    now = time.time()
    rules = policy.for_role(user.role)
    method = getattr(request, "_identity_method", SignInSession.Method.OTHER)
    # Signing in again as the same person keeps the session's key (Django cycles it only
    # when someone else was signed in): the record starts over.
    record, _created = SignInSession.objects.update_or_create(
        session_key=session.session_key or "",
        defaults={
            "user": user,
            "method": method,
            "address": client_address(request) or None,
            "user_agent": request.META.get("HTTP_USER_AGENT", "")[:300],
            "created_at": timezone.now(),
            "last_seen_at": timezone.now(),
            "ended_at": None,
            "end_reason": "",
        },
    )
    session[SESSION_KEY] = {
        "sid": record.pk,
        "start": now,
        "seen": now,
        "idle": rules.idle_seconds,
        "life": rules.lifetime_seconds,
        "vendor": organisation_of(user),
    }
    audit(Kind.SIGNED_IN, user=user, request=request, method=method)


def session_expiry(data: dict[str, Any], now: float) -> str:
    """Why the session must end now ("idle", "lifetime"), or ""."""
    if now - float(data.get("start", now)) > float(data.get("life", 0) or 1e12):
        return "lifetime"
    if now - float(data.get("seen", now)) > float(data.get("idle", 0) or 1e12):
        return "idle"
    return ""


def session_touch(request: HttpRequest, data: dict[str, Any], now: float) -> None:
    data["seen"] = now
    request.session.modified = True
    SignInSession.objects.filter(pk=int(data.get("sid") or 0)).update(
        last_seen_at=timezone.now(), address=client_address(request) or None
    )


def _session_store() -> type[SessionBase]:
    from django.conf import settings

    return import_string(f"{settings.SESSION_ENGINE}.SessionStore")


@transaction.atomic
def sessions_end(
    *,
    actor: User | None,
    user: User,
    reason: str,
    only: SignInSession | None = None,
    keep_key: str | None = None,
    request: HttpRequest | None = None,
) -> int:
    """End the person's open sessions (or just ``only``), all but ``keep_key``."""
    records = SignInSession.objects.select_for_update().filter(user=user, ended_at__isnull=True)
    if only is not None:
        records = records.filter(pk=only.pk)
    if keep_key:
        records = records.exclude(session_key=keep_key)
    keys = list(records.values_list("session_key", flat=True))
    if not keys:
        return 0
    records.update(ended_at=timezone.now(), end_reason=reason)
    # At once, not after commit: the session rows go with this transaction, and if it
    # rolls back, a session dropped from the cache is read back from its row.
    store = _session_store()
    for key in keys:
        store(session_key=key).delete()
    audit(Kind.SESSION_ENDED, user=user, actor=actor, request=request,
          reason=reason, sessions=len(keys))  # fmt: skip
    return len(keys)


def session_closed(request: HttpRequest, *, reason: str) -> None:
    """The session in hand ends (sign-out, or its idle or absolute limit)."""
    data = request.session.get(SESSION_KEY) or {}
    user = request.user if request.user.is_authenticated else None
    if data.get("sid"):
        SignInSession.objects.filter(pk=data["sid"], ended_at__isnull=True).update(
            ended_at=timezone.now(), end_reason=reason
        )
    kind = Kind.SIGNED_OUT if reason == "signed_out" else Kind.SESSION_ENDED
    audit(kind, user=user, request=request, reason=reason)


# --- second factors -----------------------------------------------------------------


def totp_begin(*, user: User) -> TOTPDevice:
    """A new authenticator app, unconfirmed until a code from it is entered."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name=_("Authenticator app"), confirmed=False)


@transaction.atomic
def totp_confirm(
    *, user: User, device_id: int, code: str, request: HttpRequest | None = None
) -> list[str]:
    """Confirm the app with a code from it. Returns new recovery codes when the person
    had none (shown once), else []."""
    device = TOTPDevice.objects.filter(user=user, pk=device_id, confirmed=False).first()
    if device is None:
        raise IdentityError(_("Start again: that set-up has expired."))
    if not device.verify_token(code.strip().replace(" ", "")):
        raise IdentityError(_("That code is not right. Enter the 6 digits the app shows now."))
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    audit(Kind.FACTOR_ADDED, user=user, actor=user, request=request, factor="totp")
    return _recovery_codes_if_none(user=user, request=request)


def _recovery_codes_if_none(*, user: User, request: HttpRequest | None) -> list[str]:
    if StaticToken.objects.filter(device__user=user).exists():
        return []
    return recovery_codes_make(user=user, request=request)


@transaction.atomic
def recovery_codes_make(*, user: User, request: HttpRequest | None = None) -> list[str]:
    """Ten new one-time recovery codes (the old ones stop working). Shown once."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=_("Recovery codes"))
    codes = [StaticToken.random_token() for _n in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    audit(Kind.RECOVERY_CODES_MADE, user=user, actor=user, request=request)
    return codes


def security_key_added(
    *, user: User, name: str, credential_id: bytes, public_key: bytes, sign_count: int,
    transports: list[str], request: HttpRequest | None = None,
) -> tuple[SecurityKey, list[str]]:  # fmt: skip
    with transaction.atomic():
        key = SecurityKey.objects.create(
            user=user, name=name.strip()[:80] or _("Security key"), credential_id=credential_id,
            public_key=public_key, sign_count=sign_count, transports=transports,
        )  # fmt: skip
        audit(Kind.FACTOR_ADDED, user=user, actor=user, request=request, factor="webauthn")
        codes = _recovery_codes_if_none(user=user, request=request)
    return key, codes


@transaction.atomic
def factor_remove(
    *, actor: User, user: User, kind: str, factor_id: int, request: HttpRequest | None = None
) -> None:
    """Remove one app or key. Someone whose policy requires a second factor keeps one."""
    model = TOTPDevice if kind == "totp" else SecurityKey
    factor = model.objects.filter(user=user, pk=factor_id).first()
    if factor is None:
        raise IdentityError(_("That second factor is already gone."))
    factor.delete()
    if must_enrol(user) and actor.pk == user.pk:
        raise IdentityError(
            _("Your role needs a second factor: add another before removing this one.")
        )
    if not has_second_factor(user):  # recovery codes recover a factor; with none, they go
        StaticDevice.objects.filter(user=user).delete()
    audit(Kind.FACTOR_REMOVED, user=user, actor=actor, request=request, factor=kind)


@transaction.atomic
def factors_reset(*, actor: User, user: User, request: HttpRequest | None = None) -> None:
    """An admin clears every factor and recovery code of a person who lost them; the
    person enrols again at their next sign-in (if their policy requires it)."""
    if not actor.is_admin:
        raise IdentityError(_("Only admins can reset someone's second factors."))
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    SecurityKey.objects.filter(user=user).delete()
    audit(Kind.FACTORS_RESET, user=user, actor=actor, request=request)
    sessions_end(actor=actor, user=user, reason="factors_reset", request=request)


def verify_code(*, user: User, code: str, request: HttpRequest | None = None) -> str:
    """Check a code from an authenticator app or a recovery code: "totp", "recovery",
    or "" when neither matches. django-otp throttles each device (a wrong code doubles
    the wait before the next try)."""
    code = code.strip().replace(" ", "").replace("-", "").lower()
    if code.isdigit():
        for device in TOTPDevice.objects.filter(user=user, confirmed=True):
            if device.verify_token(code):
                return "totp"
    for static in StaticDevice.objects.filter(user=user):
        if static.verify_token(code):
            audit(Kind.RECOVERY_CODE_USED, user=user, request=request,
                  left=static.token_set.count())  # fmt: skip
            return "recovery"
    audit(Kind.SECOND_FACTOR_FAILED, user=user, request=request, factor="code")
    return ""


# --- API tokens ----------------------------------------------------------------------


def token_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def token_create(
    *, actor: User, name: str, scope: str, expires_in_days: int | None,
    request: HttpRequest | None = None,
) -> tuple[ApiToken, str]:  # fmt: skip
    """A new named token for the actor. Returns it and its key, which is shown once."""
    name = name.strip()
    if not name:
        raise IdentityError(_("Give the token a name, so you know later what uses it."))
    if scope not in ApiToken.Scope.values:
        raise IdentityError(_("Choose read only, or read and write."))
    key = secrets.token_urlsafe(32)
    expires = timezone.now() + timedelta(days=expires_in_days) if expires_in_days else None
    token = ApiToken.objects.create(
        user=actor,
        name=name[:80],
        prefix=key[:8],
        digest=token_digest(key),
        scope=scope,
        expires_at=expires,
    )
    audit(Kind.TOKEN_CREATED, user=actor, actor=actor, request=request,
          token=token.pk, name=token.name, scope=scope,
          expires=expires.isoformat() if expires else None)  # fmt: skip
    return token, key


@transaction.atomic
def token_revoke(
    *, actor: User | None, token: ApiToken, reason: str = "", request: HttpRequest | None = None
) -> None:
    if actor is not None and actor.pk != token.user_id and not actor.is_admin:
        raise IdentityError(_("Only its owner or an admin can revoke a token."))
    updated = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if updated:
        audit(Kind.TOKEN_REVOKED, user=token.user, actor=actor, request=request,
              token=token.pk, name=token.name, reason=reason)  # fmt: skip


def tokens_revoke_all(*, actor: User | None, user: User, reason: str) -> int:
    tokens = list(ApiToken.objects.filter(user=user, revoked_at__isnull=True))
    for token in tokens:
        token_revoke(actor=actor, token=token, reason=reason)
    return len(tokens)


# --- policies and providers ---------------------------------------------------------


P = TypeVar("P", RolePolicy, OrganisationPolicy)


def _policy_apply(row: P, *, actor: User, values: dict[str, Any], scope: dict[str, Any]) -> P:
    """Write the changed values, audit before and after, and let the policy cache go."""
    before = {name: getattr(row, name) for name in values}
    for name, value in values.items():
        setattr(row, name, value)
    row.full_clean()
    row.save()
    audit(Kind.POLICY_CHANGED, user=None, actor=actor,
          before=before, after=values, **scope)  # fmt: skip
    policy.forget()  # this transaction's reads see it at once, other threads after commit
    transaction.on_commit(policy.forget)
    return row


@transaction.atomic
def role_policy_save(*, actor: User, role: str, **values: Any) -> RolePolicy:
    if not actor.is_admin:
        raise IdentityError(_("Only admins change access policies."))
    rules = policy.for_role(role)
    defaults = {
        "require_second_factor": rules.require_second_factor,
        "idle_minutes": rules.idle_seconds // 60,
        "lifetime_hours": rules.lifetime_seconds // 3600,
    }
    row, _created = RolePolicy.objects.get_or_create(role=Role(role), defaults=defaults)
    return _policy_apply(row, actor=actor, values=values, scope={"role": role})


@transaction.atomic
def organisation_policy_save(
    *, actor: User, vendor_id: int | None, address: str | None = None, **values: Any
) -> OrganisationPolicy:
    """An organisation's rules. Two saves that would lock people out are refused: single
    sign-on only without an active identity provider for them, and networks that leave
    out the address the admin is saving from (for the admin's own organisation)."""
    if not actor.is_admin:
        raise IdentityError(_("Only admins change access policies."))
    providers = IdentityProvider.objects.filter(is_active=True)
    providers = (
        providers.filter(vendor__isnull=True)
        if vendor_id is None
        else providers.filter(vendor_id=vendor_id)
    )
    if values.get("sso_only") and not providers.exists():
        raise IdentityError(
            _("Add an active identity provider for them first: nobody could sign in.")
        )
    own = organisation_of(actor)
    networks = values.get("networks")
    if networks and address is not None and own == vendor_id:
        rules = policy.OrganisationRules(
            networks=tuple(ipaddress.ip_network(n, strict=False) for n in networks)
        )
        if not rules.allows(address):
            raise IdentityError(
                _("Your own address (%(address)s) is not in the list: you would lock "
                  "yourself out.") % {"address": address}
            )  # fmt: skip
    row, _created = OrganisationPolicy.objects.get_or_create(vendor_id=vendor_id)
    return _policy_apply(row, actor=actor, values=values, scope={"vendor": vendor_id})


@transaction.atomic
def provider_save(*, actor: User, provider: IdentityProvider) -> IdentityProvider:
    if not actor.is_admin:
        raise IdentityError(_("Only admins configure identity providers."))
    provider.email_domains = sorted({d.strip().lower().lstrip("@") for d in provider.email_domains
                                     if d.strip()})  # fmt: skip
    provider.full_clean()
    provider.save()
    audit(Kind.PROVIDER_CHANGED, actor=actor, provider=provider.slug,
          issuer=provider.issuer, active=provider.is_active)  # fmt: skip
    return provider
