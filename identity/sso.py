"""Single sign-on with OpenID Connect, through Authlib's Django client: discovery, the
authorization-code flow with PKCE (S256), state and nonce kept in the session, and the
ID token's signature, issuer, audience, expiry and nonce checked against the provider's
published keys. What is ours: which provider an address goes to, and the account the
claims make (created at the first sign-in, updated at each, refused when deactivated).

A vendor's provider vouches only for that vendor's people: it can put them in that
vendor's teams as agents or leads, never in another organisation's team, never make an
admin, and never take over an account of someone outside the vendor."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from authlib.integrations.django_client import OAuth
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import services as accounts
from accounts.models import Role, Team, User
from identity import services
from identity.models import ExternalIdentity, IdentityProvider

_clients: dict[tuple[int, str], Any] = {}
_lock = threading.Lock()
_RANK = {Role.AGENT.value: 0, Role.LEAD.value: 1, Role.ADMIN.value: 2}


class SignInRefused(services.IdentityError):
    """The provider vouched for someone this helpdesk will not sign in; says why."""


def provider_for_email(email: str) -> IdentityProvider | None:
    domain = email.rpartition("@")[2].strip().lower()
    if not domain:
        return None
    return (
        IdentityProvider.objects.filter(is_active=True, email_domains__contains=[domain])
        .order_by("pk")
        .first()
    )


def _client(provider: IdentityProvider) -> Any:
    """Authlib's client for the provider, kept per process (it caches the provider's
    discovery document and keys) until the provider's settings change."""
    key = (provider.pk, provider.updated_at.isoformat())
    with _lock:
        client = _clients.get(key)
        if client is None:
            oauth = OAuth()
            client = oauth.register(
                name=f"idp{provider.pk}",
                client_id=provider.client_id,
                client_secret=provider.client_secret,
                server_metadata_url=provider.issuer.rstrip("/")
                + "/.well-known/openid-configuration",
                client_kwargs={
                    "scope": provider.scopes,
                    "code_challenge_method": "S256",
                    "timeout": 10,
                },  # fmt: skip
            )
            _clients[key] = client
    return client


def start(request: HttpRequest, provider: IdentityProvider, redirect_uri: str) -> HttpResponse:
    return _client(provider).authorize_redirect(request, redirect_uri)


def finish(request: HttpRequest, provider: IdentityProvider) -> dict[str, Any]:
    """The provider's verified claims about the person (Authlib raises on anything off)."""
    token = _client(provider).authorize_access_token(request)
    claims = dict(token.get("userinfo") or {})
    if not claims.get("sub"):
        raise SignInRefused(_("The identity provider did not say who you are."))
    return claims


@dataclass(frozen=True, slots=True)
class Mapped:
    role: str
    team: Team | None


def _values(claims: dict[str, Any], name: str) -> list[str]:
    value = claims.get(name) if name else None
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(item) for item in value]
    return []


def map_claims(provider: IdentityProvider, claims: dict[str, Any]) -> Mapped:
    roles = [provider.role_map[v] for v in _values(claims, provider.role_claim)
             if v in provider.role_map]  # fmt: skip
    role = max(roles, key=lambda r: _RANK.get(r, 0)) if roles else provider.default_role
    slugs = [provider.team_map[v] for v in _values(claims, provider.team_claim)
             if v in provider.team_map]  # fmt: skip
    team = Team.objects.filter(slug=slugs[0]).first() if slugs else provider.default_team
    if provider.vendor_id is not None:
        if role == Role.ADMIN:
            role = Role.LEAD.value
        if team is None or team.vendor_id != provider.vendor_id:
            raise SignInRefused(
                _("Your identity provider did not give you a team of your organisation.")
            )
    elif team is not None and team.vendor_id is not None:
        raise SignInRefused(_("Your identity provider gave you a team outside your organisation."))
    if role != Role.ADMIN and team is None:
        raise SignInRefused(_("Your identity provider did not give you a team."))
    return Mapped(role=role, team=team)


@transaction.atomic
def account_for(
    provider: IdentityProvider, claims: dict[str, Any], request: HttpRequest | None = None
) -> User:
    """The account these claims sign in to: the one linked to the subject, else the one
    with the address (if it belongs to the provider's organisation), else a new one.
    Role, team and name follow the claims at every sign-in."""
    subject = str(claims["sub"])
    email = str(claims.get("email") or "").strip().lower()
    link = (
        ExternalIdentity.objects.select_related("user__team")
        .filter(provider=provider, subject=subject)
        .first()
    )
    user = link.user if link else None
    domain = email.rpartition("@")[2]
    if provider.email_domains and domain not in provider.email_domains:
        raise SignInRefused(
            _("Your address is not at a domain this identity provider signs in for.")
        )
    if user is None:
        if not email or claims.get("email_verified") is False:
            raise SignInRefused(_("Your identity provider did not give a verified email address."))
        user = User.objects.select_related("team").filter(email__iexact=email).first()
    # Linked or found by address: the account must belong to the provider's organisation
    # now (someone who left the vendor, or was made an admin, is not the vendor's to sign
    # in any more).
    if user is not None:
        organisation = services.organisation_of(user)
        if organisation != provider.vendor_id or (provider.vendor_id and user.is_admin):
            raise SignInRefused(
                _("This address belongs to an account your identity provider cannot sign in to.")
            )
    mapped = map_claims(provider, claims)
    if user is not None and not user.is_active:
        raise SignInRefused(
            _("This account is inactive. Ask your lead or an admin to reactivate it.")
        )
    name = str(claims.get("name") or "").strip() or email
    if user is None:
        user = accounts.user_create(actor=None, email=email, full_name=name,
                                    role=Role(mapped.role), team=mapped.team)  # fmt: skip
        services.audit(services.Kind.ACCOUNT_CREATED, user=user, request=request,
                       provider=provider.slug)  # fmt: skip
    else:
        if mapped.team is not None and user.team_id != mapped.team.pk:
            user = accounts.user_update(actor=None, user=user, team=mapped.team)
        if user.role != mapped.role:
            user = accounts.user_change_role(actor=None, user=user, role=Role(mapped.role))
        if name and name != user.full_name:
            user = accounts.user_update(actor=None, user=user, full_name=name)
    ExternalIdentity.objects.update_or_create(
        provider=provider, subject=subject,
        defaults={"user": user, "claims": _kept(claims), "last_sign_in_at": timezone.now()},
    )  # fmt: skip
    return user


def _kept(claims: dict[str, Any]) -> dict[str, Any]:
    """The claims worth showing an admin; never tokens or nonces."""
    drop = {"nonce", "at_hash", "c_hash", "auth_time", "iat", "exp", "jti"}
    return {k: v for k, v in claims.items() if k not in drop}
