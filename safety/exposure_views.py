"""The wellbeing pages: an agent's own exposure ("My wellbeing"), a lead's view of the
people they lead (figures only, never content nor ticket links), one person's figures,
and the admins' clearance list. Another person's figures are 404 to anyone who does not
lead them."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.forms import Form
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.http import AuthenticatedRequest
from core.errors import DomainError, NotFound
from safety import categories, exposure, exposure_forms, exposure_selectors


@login_required
@require_http_methods(["GET", "POST"])
def wellbeing(request: AuthenticatedRequest) -> HttpResponse:
    me = request.user
    data = exposure_selectors.wellbeing(me)
    form = exposure_forms.OptOutForm(choices=data.can_opt_out)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "withdraw":
                exposure.withdraw_opt_out(agent=me, opt_out_id=_int(request.POST.get("opt_out")))
                messages.success(request, _("Your opt-out is withdrawn."))
                return redirect("safety:wellbeing")
            if action == "opt_out":
                form = exposure_forms.OptOutForm(request.POST, choices=data.can_opt_out)
                if form.is_valid():
                    exposure.request_opt_out(agent=me, **form.cleaned_data)
                    messages.success(request, _("Your request is sent to your lead."))
                    return redirect("safety:wellbeing")
        except DomainError as exc:
            _refused(request, form, exc)
    return render(request, "safety/exposure/wellbeing.html", {
        "data": data, "form": form, "leads_people": exposure_selectors.can_lead(me)})  # fmt: skip


def _refused(request: AuthenticatedRequest, form: Form, exc: DomainError) -> None:
    """Someone else's object is 404; any other refusal is said on the form, or above the
    page when the form was not the one sent."""
    if isinstance(exc, NotFound):
        raise Http404 from exc
    if form.is_bound:
        form.add_error(None, str(exc))
    else:
        messages.error(request, str(exc))


def _int(value: str | None) -> int:
    try:
        return int(value or "")
    except ValueError:
        raise Http404 from None


def _leads_only(request: AuthenticatedRequest) -> None:
    if not exposure_selectors.can_lead(request.user):
        raise Http404


@login_required
@require_http_methods(["GET", "POST"])
def people(request: AuthenticatedRequest) -> HttpResponse:
    _leads_only(request)
    lead = request.user
    led = exposure_selectors.led_people(lead)
    form = exposure_forms.OverrideForm(people=led)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action in ("approve", "refuse"):
                exposure.decide_opt_out(lead=lead, opt_out_id=_int(request.POST.get("opt_out")),
                                        approve=action == "approve")  # fmt: skip
                messages.success(request, _("The request is decided."))
                return redirect("safety:exposure_people")
            if action == "override":
                form = exposure_forms.OverrideForm(request.POST, people=led)
                if form.is_valid():
                    exposure.grant_override(lead=lead, **form.cleaned_data)
                    messages.success(request, _("The override is granted."))
                    return redirect("safety:exposure_people")
        except DomainError as exc:
            _refused(request, form, exc)
    data = exposure_selectors.people_exposure(lead)
    return render(request, "safety/exposure/people.html", {"data": data, "form": form})


@login_required
@require_GET
def person(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    _leads_only(request)
    someone = exposure_selectors.person_for(request.user, pk)
    if someone is None:
        raise Http404
    return render(request, "safety/exposure/person.html", {
        "data": exposure_selectors.wellbeing(someone, with_opt_outs=False),
        "trend": exposure_selectors.daily_for(someone),
    })  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def clearances(request: AuthenticatedRequest) -> HttpResponse:
    admin = request.user
    if not admin.is_admin:
        raise Http404
    form = exposure_forms.ClearanceForm()
    if request.method == "POST":
        try:
            if request.POST.get("action") == "revoke":
                cleared = exposure_selectors.cleared_person(_int(request.POST.get("user")))
                if cleared is None:
                    raise Http404
                exposure.revoke_clearance(admin=admin, user=cleared)
                messages.success(request, _("Clearance revoked."))
                return redirect("safety:clearances")
            form = exposure_forms.ClearanceForm(request.POST)
            if form.is_valid():
                exposure.grant_clearance(admin=admin, user=form.cleaned_data["email"],
                                         note=form.cleaned_data["note"])  # fmt: skip
                messages.success(request, _("Clearance granted."))
                return redirect("safety:clearances")
        except DomainError as exc:
            _refused(request, form, exc)
    restricted = [c for c in categories.all_categories() if c.requires_clearance]
    return render(request, "safety/exposure/clearances.html", {
        "cleared": exposure_selectors.cleared_people(), "form": form,
        "restricted": restricted,
    })  # fmt: skip
