"""API tokens as the API's authentication reads them (helpdesk.api_throttling wraps it
to charge refused calls to the caller's address)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request

from accounts.lockout import client_address
from accounts.models import User
from identity import policy, services
from identity.models import ApiToken

# "last used" is written at most this often per token.
_USED_EVERY = timedelta(minutes=5)


def authenticate_key(request: Request, key: str) -> tuple[User, ApiToken]:
    token = (
        ApiToken.objects.select_related("user__team")
        .filter(digest=services.token_digest(key))
        .first()
    )
    if token is None or not token.is_live:
        raise exceptions.AuthenticationFailed(_("Invalid, expired or revoked token."))
    user = token.user
    if not user.is_active:
        raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
    vendor_id = services.organisation_of(user)
    address = client_address(request)
    if not policy.for_organisation(vendor_id).allows(address):
        services.address_refused(user=user, request=request, where="api",
                                 path=request.path[:200], token=token.pk)  # fmt: skip
        raise exceptions.PermissionDenied(
            _(
                "Your organisation allows the API only from its own networks, and this "
                "call came from %(address)s."
            )
            % {"address": address}
        )
    if token.scope == ApiToken.Scope.READ and request.method not in SAFE_METHODS:
        raise exceptions.PermissionDenied(
            _("This token is read only: make a read-and-write token to change things.")
        )
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > _USED_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return user, token
