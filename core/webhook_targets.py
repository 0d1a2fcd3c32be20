"""Where a webhook may be sent: https on a public address, or a host listed in
``WEBHOOK_ALLOWED_PRIVATE_HOSTS``; and the secrets that sign it. Shared by the apps
that store webhook targets (vendors, on-call routes) and the outbox that posts to them
(``tickets.outbox.webhooks``)."""

from __future__ import annotations

import ipaddress
import secrets
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def _allowed_private(host: str) -> bool:
    return host.lower() in {h.lower() for h in settings.WEBHOOK_ALLOWED_PRIVATE_HOSTS}


def validate_webhook_url(url: str) -> None:
    """Raise ValidationError unless ``url`` is an https URL on a public address."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ValidationError(_("This is not a valid URL.")) from exc
    host = parts.hostname or ""
    if not host:
        raise ValidationError(_("The URL has no host."))
    if parts.username or parts.password:
        raise ValidationError(_("The URL must not carry a user name or password."))
    listed = _allowed_private(host)
    if parts.scheme != "https" and not (parts.scheme == "http" and listed):
        raise ValidationError(_("Webhook URLs must use https."))
    if listed:
        return
    try:
        infos = socket.getaddrinfo(host, port or 443, proto=socket.IPPROTO_TCP)
    except OSError as exc:
        raise ValidationError(
            _("The host %(host)s cannot be resolved."), params={"host": host}
        ) from exc
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global or address.is_multicast:
            raise ValidationError(
                _("%(host)s resolves to %(address)s, which is not a public address."),
                params={"host": host, "address": str(address)},
            )
