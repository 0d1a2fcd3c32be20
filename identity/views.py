"""Signing in (password, second factor, single sign-on), one's own security page, and
the admins' pages: policies, identity providers, a person's access and the security log."""

from __future__ import annotations

import base64
import time
from typing import Any

import segno
from authlib.integrations.base_client import OAuthError
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_ratelimit.core import is_ratelimited

from accounts.http import AuthenticatedRequest
from accounts.lockout import client_address
from accounts.models import User
from core import cursors, navigation
from identity import forms, policy, selectors, services, sso
from identity.models import IdentityProvider, SecurityEvent, SecurityKey, SignInSession

PENDING = "_identity_pending"
PENDING_SECONDS = 300
PENDING_TRIES = 5
_LOG_SALT = "identity.log"
_TOKENS_SALT = "identity.tokens"


def _next_url(request: HttpRequest, value: str | None) -> str:
    if value and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return ""


def _landing(request: HttpRequest, user: User, next_url: str) -> HttpResponse:
    if next_url:  # a URL (checked by _next_url), never a view's name
        return HttpResponseRedirect(next_url)
    return redirect(navigation.landing_url(user) or settings.LOGIN_REDIRECT_URL)


def _finish_sign_in(
    request: HttpRequest, user: User, *, method: str, next_url: str
) -> HttpResponse:
    hold = services.must_enrol(user)
    services.sign_in(request, user=user, method=method,
                     backend="django.contrib.auth.backends.ModelBackend",
                     hold_for_enrolment=hold)  # fmt: skip
    if hold:
        request.session["_identity_after_enrol"] = next_url
        return redirect("identity:enrol")
    return _landing(request, user, next_url)


def _organisation(user: User) -> policy.OrganisationRules:
    return policy.for_organisation(services.organisation_of(user))


@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    next_url = _next_url(request, request.POST.get("next") or request.GET.get("next"))
    if request.user.is_authenticated:
        return _landing(request, request.user, next_url)
    form = forms.SignInForm(request, data=request.POST or None)
    refusal = ""
    provider = None
    if request.method == "POST" and form.is_valid():
        user: User = form.get_user()
        rules = _organisation(user)
        if rules.sso_only:
            services.audit(services.Kind.PASSWORD_REFUSED, user=user, request=request)
            provider = sso.provider_for_email(user.email)
            refusal = _("Your organisation signs in through single sign-on only.")
        elif not rules.allows(client_address(request)):
            services.address_refused(user=user, request=request, where="sign-in")
            refusal = _(
                "Your organisation allows this helpdesk only from its own networks, and "
                "you are connecting from %(address)s."
            ) % {"address": client_address(request)}
        elif services.has_second_factor(user):
            request.session[PENDING] = {"uid": user.pk, "at": time.time(), "tries": 0,
                                        "next": next_url}  # fmt: skip
            return redirect("identity:verify")
        else:
            return _finish_sign_in(request, user, method=SignInSession.Method.PASSWORD,
                                   next_url=next_url)  # fmt: skip
    return _sign_in_page(request, form=form, status=403 if refusal else 200,
                         next=next_url, refusal=refusal, provider=provider)  # fmt: skip


def _sign_in_page(
    request: HttpRequest,
    *,
    form: forms.SignInForm | None = None,
    sso_form: forms.SingleSignOnForm | None = None,
    status: int = 200,
    **extra: Any,
) -> HttpResponse:
    context = {
        "form": form or forms.SignInForm(request),
        "sso_form": sso_form or forms.SingleSignOnForm(),
        "has_providers": IdentityProvider.objects.filter(is_active=True).exists(),
        **extra,
    }
    return render(request, "identity/sign_in.html", context, status=status)


def pending_user(request: HttpRequest) -> tuple[dict[str, Any], User] | None:
    pending = request.session.get(PENDING)
    if not pending or time.time() - float(pending.get("at", 0)) > PENDING_SECONDS:
        request.session.pop(PENDING, None)
        return None
    user = User.objects.filter(pk=pending.get("uid"), is_active=True).first()
    return (pending, user) if user else None


def _pending_key(group: str, request: HttpRequest) -> str:
    pending = request.session.get(PENDING) or {}
    return str(pending.get("uid", ""))


@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """The second step: a code from the app, a recovery code, or a security key."""
    found = pending_user(request)
    if found is None:
        messages.info(request, _("Sign in again: the second step waited too long."))
        return redirect("identity:sign_in")
    pending, user = found
    form = forms.CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        limited = is_ratelimited(request, group="identity-second-factor", key=_pending_key,
                                 rate=settings.SECOND_FACTOR_RATE, increment=True)  # fmt: skip
        pending["tries"] = int(pending.get("tries", 0)) + 1
        request.session.modified = True
        if limited or pending["tries"] > PENDING_TRIES:
            request.session.pop(PENDING, None)
            services.audit(services.Kind.SECOND_FACTOR_FAILED, user=user, request=request,
                           factor="code", locked=True)  # fmt: skip
            messages.error(request, _("Too many wrong codes. Sign in again in a few minutes."))
            return redirect("identity:sign_in")
        used = services.verify_code(user=user, code=form.cleaned_data["code"], request=request)
        if used:
            request.session.pop(PENDING, None)
            return _finish_sign_in(request, user, method=SignInSession.Method.SECOND_FACTOR,
                                   next_url=pending.get("next", ""))  # fmt: skip
        form.add_error("code", _("That code is not right, or it was used already. Try again."))
    has_keys = SecurityKey.objects.filter(user=user).exists()
    return render(request, "identity/verify.html", {"form": form, "has_keys": has_keys})


def webauthn_signed_in(request: HttpRequest, user: User) -> str:
    """After a security key answered the second step: the URL to go to next."""
    pending = request.session.pop(PENDING, None) or {}
    response = _finish_sign_in(request, user, method=SignInSession.Method.SECOND_FACTOR,
                               next_url=pending.get("next", ""))  # fmt: skip
    return str(response["Location"])


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect(settings.LOGOUT_REDIRECT_URL)


# --- single sign-on -----------------------------------------------------------------


@require_POST
def sso_find(request: HttpRequest) -> HttpResponse:
    """The sign-in page's "single sign-on" form: the provider for the address's domain."""
    form = forms.SingleSignOnForm(request.POST)
    provider = sso.provider_for_email(form.data.get("email", "")) if form.is_valid() else None
    if provider is None:
        messages.error(request, _("No single sign-on is set up for that address. Sign in with "
                                  "your password, or ask an admin."))  # fmt: skip
        return redirect("identity:sign_in")
    # A page with the provider's link, not a redirect: the sign-in page's
    # Content-Security-Policy (form-action 'self') stops a form's redirect chain from
    # leaving for the provider.
    return _sign_in_page(request, sso_form=form, sso_provider=provider)


def sso_start(request: HttpRequest, slug: str) -> HttpResponse:
    provider = get_object_or_404(IdentityProvider, slug=slug, is_active=True)
    request.session["_identity_sso_next"] = _next_url(request, request.GET.get("next"))
    callback = request.build_absolute_uri(reverse("identity:sso_callback", args=[slug]))
    try:
        return sso.start(request, provider, callback)
    except Exception:  # the provider is down or its discovery document is wrong
        messages.error(request, _("%(name)s did not answer. Try again in a moment.")
                       % {"name": provider.name})  # fmt: skip
        return redirect("identity:sign_in")


def sso_callback(request: HttpRequest, slug: str) -> HttpResponse:
    provider = get_object_or_404(IdentityProvider, slug=slug, is_active=True)
    try:
        claims = sso.finish(request, provider)
        user = sso.account_for(provider, claims, request)
    except sso.SignInRefused as exc:
        services.audit(services.Kind.SSO_REFUSED, request=request, provider=slug,
                       reason=str(exc))  # fmt: skip
        messages.error(request, str(exc))
        return redirect("identity:sign_in")
    except (OAuthError, ValueError, KeyError) as exc:
        services.audit(services.Kind.SSO_REFUSED, request=request, provider=slug,
                       reason=type(exc).__name__)  # fmt: skip
        messages.error(request, _("Single sign-on did not complete. Try again."))
        return redirect("identity:sign_in")
    if not _organisation(user).allows(client_address(request)):
        services.address_refused(user=user, request=request, where="sign-in")
        messages.error(request, _("Your organisation allows this helpdesk only from its own "
                                  "networks."))  # fmt: skip
        return redirect("identity:sign_in")
    next_url = request.session.pop("_identity_sso_next", "")
    # The identity provider is the second factor's owner here: no hold for enrolment.
    services.sign_in(request, user=user, method=SignInSession.Method.SSO,
                     backend="django.contrib.auth.backends.ModelBackend",
                     hold_for_enrolment=False)  # fmt: skip
    return _landing(request, user, next_url)


# --- one's own security page ----------------------------------------------------------


def _security_context(request: AuthenticatedRequest, **extra: Any) -> dict[str, Any]:
    user = request.user
    return {
        "overview": selectors.access_overview(user, current_key=request.session.session_key),
        "token_form": extra.pop("token_form", None) or forms.TokenForm(),
        "required": policy.second_factor_required(
            role=user.role, vendor_id=services.organisation_of(user)
        ),
        **extra,
    }


@login_required
def security(request: AuthenticatedRequest) -> HttpResponse:
    return render(request, "identity/security.html", _security_context(request))


@login_required
def enrol(request: AuthenticatedRequest) -> HttpResponse:
    """Where someone whose role needs a second factor is held until they add one."""
    data = request.session.get(services.SESSION_KEY) or {}
    if not data.get("hold") or services.has_second_factor(request.user):
        return redirect("identity:security")
    return render(request, "identity/security.html", _security_context(request, holding=True))


def release_hold(request: AuthenticatedRequest) -> str:
    data = request.session.get(services.SESSION_KEY) or {}
    if data.get("hold"):
        data["hold"] = False
        request.session.modified = True
        return request.session.pop("_identity_after_enrol", "") or reverse("identity:security")
    return ""


@login_required
@require_POST
def totp_start(request: AuthenticatedRequest) -> HttpResponse:
    device = services.totp_begin(user=request.user)
    form = forms.TotpConfirmForm(initial={"device": device.pk})
    return render(request, "identity/security.html", _totp_setup(request, device, form))


def _totp_setup(
    request: AuthenticatedRequest, device: Any, form: forms.TotpConfirmForm
) -> dict[str, Any]:
    """The security page with an authenticator app being set up: its QR code and its key
    in groups of four, for typing."""
    secret = base64.b32encode(device.bin_key).decode()
    return _security_context(
        request,
        holding=bool((request.session.get(services.SESSION_KEY) or {}).get("hold")),
        totp_device=device,
        totp_form=form,
        totp_qr=segno.make(device.config_url, error="m").svg_inline(
            scale=4, title=_("QR code for your authenticator app")
        ),
        totp_secret=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
    )


@login_required
@require_POST
def totp_confirm(request: AuthenticatedRequest) -> HttpResponse:
    form = forms.TotpConfirmForm(request.POST)
    codes: list[str] = []
    if form.is_valid():
        try:
            codes = services.totp_confirm(
                user=request.user,
                device_id=form.cleaned_data["device"],
                code=form.cleaned_data["code"],
                request=request,
            )
        except services.IdentityError as exc:
            form.add_error("code", str(exc))
    if form.errors:
        device_id = form.data.get("device")
        device = request.user.totpdevice_set.filter(pk=device_id, confirmed=False).first()  # type: ignore[attr-defined]
        if device is None:
            messages.error(request, _("Start again: that set-up has expired."))
            return redirect("identity:security")
        context = _totp_setup(request, device, form)
        return render(request, "identity/security.html", context, status=400)
    then = release_hold(request)
    messages.success(request, _("Your authenticator app is set up."))
    if codes:
        return render(request, "identity/recovery_codes.html", {"codes": codes, "then": then})
    return redirect(then or "identity:security")


@login_required
@require_POST
def recovery_codes(request: AuthenticatedRequest) -> HttpResponse:
    if not services.has_second_factor(request.user):
        messages.error(request, _("Add an authenticator app or a security key first."))
        return redirect("identity:security")
    codes = services.recovery_codes_make(user=request.user, request=request)
    return render(request, "identity/recovery_codes.html", {"codes": codes, "then": ""})


@login_required
@require_POST
def factor_remove(request: AuthenticatedRequest, kind: str, factor_id: int) -> HttpResponse:
    if kind not in {"totp", "key"}:
        raise Http404
    try:
        services.factor_remove(actor=request.user, user=request.user, kind=kind,
                               factor_id=factor_id, request=request)  # fmt: skip
    except services.IdentityError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The second factor is removed."))
    return redirect("identity:security")


@login_required
@require_POST
def session_end(request: AuthenticatedRequest, session_id: int) -> HttpResponse:
    record = get_object_or_404(SignInSession, pk=session_id, user=request.user, ended_at=None)
    services.sessions_end(actor=request.user, user=request.user, reason="ended_by_owner",
                          only=record, request=request)  # fmt: skip
    messages.success(request, _("That session is signed out."))
    return redirect("identity:security")


@login_required
@require_POST
def sessions_end_all(request: AuthenticatedRequest) -> HttpResponse:
    """Sign out everywhere: every other session now, this one too."""
    services.sessions_end(actor=request.user, user=request.user, reason="signed_out_everywhere",
                          keep_key=request.session.session_key, request=request)  # fmt: skip
    logout(request)
    messages.success(request, _("You are signed out everywhere."))
    return redirect("identity:sign_in")


@login_required
@require_POST
def token_create(request: AuthenticatedRequest) -> HttpResponse:
    form = forms.TokenForm(request.POST)
    if form.is_valid():
        try:
            expires = form.cleaned_data["expires"]
            token, key = services.token_create(
                actor=request.user, name=form.cleaned_data["name"],
                scope=form.cleaned_data["scope"],
                expires_in_days=int(expires) if expires else None, request=request,
            )  # fmt: skip
        except services.IdentityError as exc:
            form.add_error(None, str(exc))
        else:
            return render(request, "identity/token_created.html", {"token": token, "key": key})
    return render(request, "identity/security.html", _security_context(request, token_form=form),
                  status=400)  # fmt: skip


@login_required
@require_POST
def token_revoke(request: AuthenticatedRequest, token_id: int) -> HttpResponse:
    token = get_object_or_404(selectors.visible_tokens(request.user), pk=token_id)
    services.token_revoke(actor=request.user, token=token, request=request)
    messages.success(request, _("The token “%(name)s” is revoked.") % {"name": token.name})
    back = request.POST.get("back", "")
    return redirect(_next_url(request, back) or "identity:security")


# --- admins -----------------------------------------------------------------------------


def _admin_only(request: AuthenticatedRequest) -> None:
    if not request.user.is_admin:
        raise Http404


@login_required
def person(request: AuthenticatedRequest, user_id: int) -> HttpResponse:
    """An admin's view of one person's factors, sessions and tokens."""
    _admin_only(request)
    subject = get_object_or_404(selectors.visible_people(request.user), pk=user_id)
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "reset_factors":
            services.factors_reset(actor=request.user, user=subject, request=request)
            messages.success(request, _("Their second factors are reset and their sessions ended."))
        elif action == "end_sessions":
            services.sessions_end(actor=request.user, user=subject, reason="ended_by_admin",
                                  request=request)  # fmt: skip
            messages.success(request, _("Their sessions are ended."))
        return redirect("identity:person", user_id=subject.pk)
    return render(
        request,
        "identity/person.html",
        {"subject": subject, "overview": selectors.access_overview(subject, current_key=None)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def policies(request: AuthenticatedRequest) -> HttpResponse:
    _admin_only(request)
    rows = selectors.role_policies()
    vendors = selectors.visible_vendors(request.user)
    org_form = forms.OrganisationPolicyForm(prefix="org", vendors=vendors)
    role_forms = {row.role: forms.RolePolicyForm(prefix=row.role, initial={
        "require_second_factor": row.require_second_factor, "idle_minutes": row.idle_minutes,
        "lifetime_hours": row.lifetime_hours}) for row in rows}  # fmt: skip
    if request.method == "POST":
        role = request.POST.get("role", "")
        if role in role_forms:
            form = forms.RolePolicyForm(request.POST, prefix=role)
            role_forms[role] = form
            if form.is_valid():
                services.role_policy_save(actor=request.user, role=role, **form.cleaned_data)
                messages.success(request, _("The policy is saved."))
                return redirect("identity:policies")
        else:
            org_form = forms.OrganisationPolicyForm(request.POST, prefix="org", vendors=vendors)
            if org_form.is_valid():
                values = dict(org_form.cleaned_data)
                vendor = values.pop("vendor")
                try:
                    services.organisation_policy_save(
                        actor=request.user, vendor_id=vendor.pk if vendor else None,
                        address=client_address(request), **values,
                    )  # fmt: skip
                except services.IdentityError as exc:
                    org_form.add_error(None, str(exc))
                else:
                    messages.success(request, _("The policy is saved."))
                    return redirect("identity:policies")
    context = {
        "roles": [(row, role_forms[row.role]) for row in rows],
        "org_form": org_form,
        "organisations": selectors.organisation_policies(vendors),
    }
    return render(request, "identity/policies.html", context,
                  status=400 if request.method == "POST" else 200)  # fmt: skip


@login_required
def providers(request: AuthenticatedRequest) -> HttpResponse:
    _admin_only(request)
    return render(request, "identity/providers.html",
                  {"providers": IdentityProvider.objects.select_related("vendor")})  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def provider_edit(request: AuthenticatedRequest, provider_id: int | None = None) -> HttpResponse:
    _admin_only(request)
    instance = get_object_or_404(IdentityProvider, pk=provider_id) if provider_id else None
    form = forms.ProviderForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        try:
            services.provider_save(actor=request.user, provider=form.save(commit=False))
        except services.IdentityError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The identity provider is saved."))
            return redirect("identity:providers")
    callback = (
        request.build_absolute_uri(reverse("identity:sso_callback", args=[instance.slug]))
        if instance else ""
    )  # fmt: skip
    return render(request, "identity/provider_edit.html",
                  {"form": form, "provider": instance, "callback": callback},
                  status=400 if request.method == "POST" else 200)  # fmt: skip


def _after(request: HttpRequest, salt: str) -> tuple[str, int] | None:
    raw = request.GET.get("after") or ""
    try:
        stamp, pk = cursors.decode(raw, salt=salt) or []
        return (str(stamp), int(pk))
    except (ValueError, TypeError):
        return None


@login_required
def tokens(request: AuthenticatedRequest) -> HttpResponse:
    """Every live API token, for admins to review and revoke."""
    _admin_only(request)
    rows, cursor = selectors.live_tokens_page(request.user, after=_after(request, _TOKENS_SALT))
    return render(request, "identity/tokens.html", {
        "rows": rows,
        "next_cursor": cursors.encode(list(cursor), salt=_TOKENS_SALT) if cursor else "",
    })  # fmt: skip


@login_required
def security_log(request: AuthenticatedRequest) -> HttpResponse:
    _admin_only(request)
    form = forms.LogSearchForm(request.GET)
    form.is_valid()
    rows, cursor = selectors.security_log_page(
        request.user, email=form.cleaned_data.get("email") or "",
        kind=form.cleaned_data.get("kind") or "", after=_after(request, _LOG_SALT),
    )  # fmt: skip
    return render(request, "identity/security_log.html", {
        "form": form, "rows": rows, "kinds": SecurityEvent.Kind.choices,
        "next_cursor": cursors.encode(list(cursor), salt=_LOG_SALT) if cursor else "",
    })  # fmt: skip
