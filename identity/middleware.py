"""Every signed-in request: its session's idle and absolute limits, the person's
organisation's networks, and the hold on someone who must enrol a second factor first.
All of it is read from the session and the policy cache: no query, except a session's
"last seen" written at most once a minute."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.lockout import client_address
from identity import policy, services

TOUCH_SECONDS = 60
# Paths someone held for enrolment may still reach.
_OPEN_PREFIXES = ("/static/", "/i18n/", "/jsi18n/", "/healthz")


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


class AccessMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        data = request.session.get(services.SESSION_KEY) if hasattr(request, "session") else None
        if data is None or not request.user.is_authenticated:
            return self.get_response(request)
        now = time.time()
        reason = services.session_expiry(data, now)
        if reason:
            return self._expired(request, reason)
        address = client_address(request)
        rules = policy.for_organisation(data.get("vendor"))
        if not rules.allows(address):
            services.address_refused(user=request.user, request=request,
                                     where="api" if _is_api(request) else "page",
                                     path=request.path[:200])  # fmt: skip
            return refused(request, address)
        if data.get("hold") and not self._open_while_held(request):
            if _is_api(request) or request.headers.get("HX-Request"):
                return JsonResponse({"detail": _("Set up a second factor first.")}, status=403)
            return redirect("identity:enrol")
        if now - float(data.get("seen", 0)) > TOUCH_SECONDS:
            services.session_touch(request, data, now)
        return self.get_response(request)

    def _open_while_held(self, request: HttpRequest) -> bool:
        path = request.path
        if path.startswith(_OPEN_PREFIXES):
            return True
        allowed = {reverse("identity:enrol"), reverse("identity:sign_out")}
        return path in allowed or path.startswith(reverse("identity:enrol"))

    def _expired(self, request: HttpRequest, reason: str) -> HttpResponse:
        request._identity_end_reason = reason  # type: ignore[attr-defined]
        logout(request)
        if _is_api(request):
            return JsonResponse({"detail": _("Your session has ended. Sign in again.")}, status=401)
        if reason == "idle":
            messages.info(request, _("You were signed out after a time without activity."))
        else:
            messages.info(request, _("Your session reached its time limit. Sign in again."))
        if request.headers.get("HX-Request"):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = resolve_url(settings.LOGIN_URL)
            return response
        return redirect_to_login(request.get_full_path())


def refused(request: HttpRequest, address: str) -> HttpResponse:
    message = _(
        "Your organisation allows this helpdesk only from its own networks, and this "
        "request came from %(address)s. Connect from an allowed network (your office or "
        "its VPN) and try again."
    ) % {"address": address or _("an unknown address")}
    if _is_api(request):
        return JsonResponse({"detail": message}, status=403)
    return render(request, "identity/refused.html", {"message": message}, status=403)
