"""What identity does when someone signs in or out, and when their access changes."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.http import HttpRequest

from accounts import hooks
from accounts.models import User
from identity import services


def _signed_in(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        services.session_started(request, user)


def _signed_out(sender: Any, request: HttpRequest | None, user: User | None, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        reason = getattr(request, "_identity_end_reason", "signed_out")
        services.session_closed(request, reason=reason)


def _sign_in_failed(
    sender: Any, credentials: dict, request: HttpRequest | None = None, **kwargs: Any
) -> None:
    email = str(credentials.get("username") or credentials.get("email") or "")[:254]
    services.audit(services.Kind.SIGN_IN_FAILED, request=request, email=email.strip().lower())


def _access_changed(event: hooks.AccessChanged) -> None:
    services.sessions_end(actor=event.actor, user=event.user, reason=event.what)
    if event.what == "deactivated":
        services.tokens_revoke_all(actor=event.actor, user=event.user, reason="deactivated")


def connect() -> None:
    user_logged_in.connect(_signed_in, dispatch_uid="identity.signed_in")
    user_logged_out.connect(_signed_out, dispatch_uid="identity.signed_out")
    user_login_failed.connect(_sign_in_failed, dispatch_uid="identity.sign_in_failed")
    hooks.access_changed.connect(_access_changed)
