from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordResetForm
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views import i18n
from django.views.decorators.http import require_http_methods
from django.views.decorators.vary import vary_on_headers
from django_ratelimit.core import is_ratelimited

from accounts import permissions, selectors
from accounts.forms import PreferencesForm, RosterSearchForm
from accounts.http import AuthenticatedRequest
from accounts.services import AccountError, user_update_preferences
from core import cursors

_CURSOR_SALT = "accounts.roster"
logger = logging.getLogger(__name__)


def _reset_email_key(group: str, request: HttpRequest) -> str:
    return request.POST.get("email", "").strip().lower()


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset form, with its mail throttled per address and per account. A
    throttled request gets the same "sent" page as any other and nothing is sent, so
    the page never tells whether the account exists or how often it was asked for."""

    template_name = "accounts/password_reset_form.html"
    email_template_name = "accounts/email/password_reset.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        limits = [
            is_ratelimited(self.request, group="password-reset-address", key="ip",
                           rate=settings.PASSWORD_RESET_RATE_PER_ADDRESS, increment=True),
            is_ratelimited(self.request, group="password-reset-account", key=_reset_email_key,
                           rate=settings.PASSWORD_RESET_RATE_PER_ACCOUNT, increment=True),
        ]  # fmt: skip
        if any(limits):
            logger.warning("Password reset throttled (per address: %s, per account: %s)",
                           *limits)  # fmt: skip
            return HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    form = PreferencesForm(
        request.POST or None,
        initial={
            "full_name": user.full_name,
            "time_zone": user.time_zone,
            "ui_language": user.ui_language,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            user_update_preferences(actor=user, user=user, **form.cleaned_data)
        except AccountError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Your preferences are saved."))
            return redirect("accounts:preferences")
    return render(request, "accounts/preferences.html", {"form": form})


@login_required
@vary_on_headers("HX-Request")
def roster(request: AuthenticatedRequest) -> HttpResponse:
    if not permissions.can_view_roster(request.user):
        raise Http404
    form = RosterSearchForm(request.GET)
    form.is_valid()
    query = form.cleaned_data.get("q", "")
    after = None
    if form.cleaned_data.get("after"):
        try:
            name, pk = cursors.decode(form.cleaned_data["after"], salt=_CURSOR_SALT) or []
            after = (str(name), int(pk))
        except (ValueError, TypeError):  # garbage, tampered or not a (name, pk) pair
            after = None
    rows, cursor = selectors.roster_page(request.user, after=after, query=query)
    context = {
        "form": form,
        "rows": rows,
        "query": query,
        "next_cursor": cursors.encode(list(cursor), salt=_CURSOR_SALT) if cursor else "",
        "is_first_page": after is None,
    }
    template = "accounts/roster.html#roster-table" if request.htmx else "accounts/roster.html"
    return render(request, template, context)


@require_http_methods(["POST"])
def set_language(request: HttpRequest) -> HttpResponse:
    """The footer's language switcher (Django's ``set_language``: the cookie, then back to
    ``next``). A signed-in person's choice is also saved as their UI language, which
    their pages (UserLanguageMiddleware) and their mail follow in any browser."""
    response = i18n.set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        user_update_preferences(actor=request.user, user=request.user, ui_language=language)
    return response
