"""WebAuthn security keys and passkeys as a second factor, with Duo's ``webauthn``
library on the server and SimpleWebAuthn (npm) in the browser (static/js/webauthn.js).
Each ceremony is two JSON calls: ``begin`` returns the options and keeps the challenge
in the session; ``finish`` checks the browser's answer against it (origin, relying
party, signature, sign count)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import webauthn
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import InvalidAuthenticationResponse, InvalidRegistrationResponse
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from accounts.http import AuthenticatedRequest
from identity import services, views
from identity.models import SecurityKey

_CHALLENGE = "_identity_webauthn_challenge"


def _rp_id(request: HttpRequest) -> str:
    return settings.WEBAUTHN_RP_ID or (urlsplit(request.build_absolute_uri("/")).hostname or "")


def _origin(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def _error(message: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"detail": message}, status=status)


def _body(request: HttpRequest) -> dict[str, Any] | None:
    """The JSON object sent, or None (not JSON, not an object, or a NUL anywhere: no
    column takes one, and no browser's WebAuthn answer holds one)."""
    if b"\\u0000" in (request.body or b"") or b"\x00" in (request.body or b""):
        return None
    try:
        value = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


@login_required
@require_POST
def register_begin(request: AuthenticatedRequest) -> JsonResponse:
    user = request.user
    options = webauthn.generate_registration_options(
        rp_id=_rp_id(request),
        rp_name=settings.OTP_TOTP_ISSUER,
        user_id=str(user.pk).encode(),
        user_name=user.email,
        user_display_name=user.full_name or user.email,
        exclude_credentials=[
            PublicKeyCredentialDescriptor(id=bytes(key.credential_id))
            for key in SecurityKey.objects.filter(user=user)
        ],  # fmt: skip
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
    )
    request.session[_CHALLENGE] = bytes_to_base64url(options.challenge)
    return JsonResponse(json.loads(webauthn.options_to_json(options)))


@login_required
@require_POST
def register_finish(request: AuthenticatedRequest) -> JsonResponse:
    body = _body(request)
    challenge = request.session.pop(_CHALLENGE, None)
    if body is None or not challenge:
        return _error(_("Start adding the key again."))
    try:
        verified = webauthn.verify_registration_response(
            credential=body.get("credential") or {},
            expected_challenge=base64url_to_bytes(challenge),
            expected_rp_id=_rp_id(request),
            expected_origin=_origin(request),
        )
    except (InvalidRegistrationResponse, ValueError, KeyError, TypeError):
        return _error(_("The key's answer could not be checked. Try again."))
    if SecurityKey.objects.filter(credential_id=verified.credential_id).exists():
        return _error(_("That key is already registered."))
    transports = (body.get("credential") or {}).get("response", {}).get("transports") or []
    _key, codes = services.security_key_added(
        user=request.user, name=str(body.get("name") or ""),
        credential_id=verified.credential_id, public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        transports=[str(t)[:20] for t in transports][:5], request=request,
    )  # fmt: skip
    then = views.release_hold(request)
    return JsonResponse({"recovery_codes": codes, "then": then})


@require_POST
def sign_in_begin(request: HttpRequest) -> JsonResponse:
    found = views.pending_user(request)
    if found is None:
        return _error(_("Sign in again: the second step waited too long."), status=401)
    _pending, user = found
    keys = list(SecurityKey.objects.filter(user=user))
    if not keys:
        return _error(_("You have no security key. Enter a code instead."))
    options = webauthn.generate_authentication_options(
        rp_id=_rp_id(request),
        allow_credentials=[
            PublicKeyCredentialDescriptor(id=bytes(key.credential_id)) for key in keys
        ],  # fmt: skip
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    request.session[_CHALLENGE] = bytes_to_base64url(options.challenge)
    return JsonResponse(json.loads(webauthn.options_to_json(options)))


@require_POST
def sign_in_finish(request: HttpRequest) -> JsonResponse:
    found = views.pending_user(request)
    body = _body(request)
    challenge = request.session.pop(_CHALLENGE, None)
    if found is None:
        return _error(_("Sign in again: the second step waited too long."), status=401)
    _pending, user = found
    if body is None or not challenge:
        return _error(_("Try the key again."))
    credential = body.get("credential") or {}
    try:
        raw_id = base64url_to_bytes(str(credential.get("rawId") or credential.get("id") or ""))
    except ValueError:
        raw_id = b""
    key = SecurityKey.objects.filter(user=user, credential_id=raw_id).first()
    if key is None:
        services.audit(services.Kind.SECOND_FACTOR_FAILED, user=user, request=request,
                       factor="webauthn")  # fmt: skip
        return _error(_("That key is not one of yours."))
    try:
        verified = webauthn.verify_authentication_response(
            credential=credential,
            expected_challenge=base64url_to_bytes(challenge),
            expected_rp_id=_rp_id(request),
            expected_origin=_origin(request),
            credential_public_key=bytes(key.public_key),
            credential_current_sign_count=key.sign_count,
        )
    except (InvalidAuthenticationResponse, ValueError, KeyError, TypeError):
        services.audit(services.Kind.SECOND_FACTOR_FAILED, user=user, request=request,
                       factor="webauthn")  # fmt: skip
        return _error(_("The key's answer could not be checked. Try again."))
    SecurityKey.objects.filter(pk=key.pk).update(
        sign_count=verified.new_sign_count, last_used_at=timezone.now()
    )
    return JsonResponse({"then": views.webauthn_signed_in(request, user)})
