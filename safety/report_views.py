"""Report pages: the public report form (help center), the agents' list of cases and
their "New report" form, and the case's decision, appeal and appeal-decision forms
(reached from the case panel on the ticket page, addressed by the ticket's reference and
scoped by ``tickets.selectors.get_ticket_for``: out of scope is 404). Thin: forms in, one
service call, out."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from django_ratelimit.core import is_ratelimited

from accounts.http import AuthenticatedRequest
from core.errors import DomainError
from safety import categories, report_selectors, reports
from safety.models import Appeal, Case, Report
from safety.report_forms import (
    AppealDecisionForm,
    AppealForm,
    CaseFilterForm,
    DecisionForm,
    NotifierAppealForm,
    ReportForm,
    add_service_error,
)
from tickets import panels, selectors
from tickets.models import Ticket

SENT_SALT = "safety.report-sent"


def _input(form: ReportForm, channel: str, language: str) -> reports.ReportInput:
    data = form.cleaned_data
    return reports.ReportInput(
        channel=channel, item_type=data["item_type"], item_url=data["item_url"],
        item_id=data["item_id"], category=data["category"], explanation=data["explanation"],
        evidence_links=form.links(), notifier_name=data["notifier_name"],
        notifier_email=data["notifier_email"] or "", good_faith=data["good_faith"],
        notifier_language=data.get("notifier_language") or language,
        account_id=data.get("account_id") or "",
    )  # fmt: skip


def _submit(request: HttpRequest, form: ReportForm, *, channel: str, language: str,
            actor: Any = None) -> Report | None:  # fmt: skip
    try:
        return reports.report_submit(data=_input(form, channel, language),
                                     files=request.FILES.getlist("files"), actor=actor)  # fmt: skip
    except reports.ReportError as exc:
        add_service_error(form, exc)
    except DomainError as exc:  # a file refused by tickets.attachments
        form.add_error(None, str(exc))
    return None


def _refused_for_rate(request: HttpRequest, form: forms.Form) -> bool:
    """Whether this address sent too much to the help center's forms lately (counted); the
    form then says so above its fields."""
    if not is_ratelimited(request, group="help-center", key="ip",
                          rate=settings.HELP_CENTER_RATE, increment=True):  # fmt: skip
        return False
    form.is_valid()
    form.add_error(None, _("Too many requests from your address. Please try again in a few "
                           "minutes."))  # fmt: skip
    return True


@require_http_methods(["GET", "POST"])
def public_report(request: HttpRequest) -> HttpResponse:
    """The help center's report form (no sign-in), rate-limited like its request form."""
    form = ReportForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if _refused_for_rate(request, form):
            status = 429
        elif form.is_valid():
            if form.cleaned_data["website"]:
                return redirect("safety:report_sent", token=signing.dumps("-", salt=SENT_SALT))
            language = (get_language() or "en").split("-")[0]
            report = _submit(request, form, channel=Report.Channel.WEB, language=language)
            if report is not None:
                token = signing.dumps([report.reference, bool(report.notifier_email)],
                                      salt=SENT_SALT)  # fmt: skip
                return redirect("safety:report_sent", token=token)
            status = 400
        else:
            status = 400
    return render(request, "safety/reports/public_form.html", {"form": form}, status=status)


@require_GET
def report_sent(request: HttpRequest, token: str) -> HttpResponse:
    try:
        value = signing.loads(token, salt=SENT_SALT, max_age=3600)
    except signing.BadSignature as exc:
        raise Http404 from exc
    reference, emailed = value if isinstance(value, list) else ("", False)
    return render(request, "safety/reports/sent.html",
                  {"reference": reference, "emailed": emailed})  # fmt: skip


@require_http_methods(["GET", "POST"])
def notifier_appeal(request: HttpRequest, token: str) -> HttpResponse:
    """A notifier's appeal, through the link in their statement of reasons (no sign-in):
    the page is in the statement's language; a forged or expired link is 404."""
    named = reports.notifier_appeal_from(token)
    if named is None:
        raise Http404
    language = named.language or get_language() or "en"
    with translation.override(language):
        form = NotifierAppealForm(request.POST or None)
        status, appeal = 200, None
        if request.method == "POST":
            if _refused_for_rate(request, form):
                status = 429
            elif form.is_valid() and not form.cleaned_data["website"]:
                try:
                    appeal = reports.notifier_appeal_submit(
                        token=token, explanation=form.cleaned_data["explanation"]
                    )
                except reports.ReportError as exc:
                    add_service_error(form, exc)
                    status = exc.status
            else:
                status = 400
        decision = named.decision
        context = {"form": form, "appeal": appeal, "case": decision.case,
                   "outcome": decision.get_outcome_display(),
                   "ground": decision.ground.name_in(language)}  # fmt: skip
        return render(request, "safety/reports/notifier_appeal.html", context, status=status)


@login_required
@require_GET
def case_list(request: AuthenticatedRequest) -> HttpResponse:
    """The cases of the tickets this person may see, newest first, keyset-paginated."""
    form = CaseFilterForm(request.GET or None)
    values = form.cleaned_data if form.is_valid() else {}
    page = report_selectors.cases_page(request.user, state=values.get("state", ""),
                                       category=values.get("category", ""),
                                       cursor=values.get("cursor", ""))  # fmt: skip
    query = {"state": values.get("state", ""), "category": values.get("category", "")}
    return render(request, "safety/reports/list.html",
                  {"page": page, "form": form, "query": query})  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def report_new(request: AuthenticatedRequest) -> HttpResponse:
    """An agent enters a report they received (by phone, by letter, from a partner)."""
    form = ReportForm(request.POST or None, agent=True)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            report = _submit(request, form, channel=Report.Channel.AGENT,
                             language="", actor=request.user)  # fmt: skip
            if report is not None:
                messages.success(request, _("Report %(ref)s saved.") % {"ref": report.reference})
                return redirect("safety:reports")
    return render(request, "safety/reports/new.html", {"form": form}, status=status)


# ------------------------------------------------------------------ the case


def _case(request: AuthenticatedRequest, reference: str) -> tuple[Ticket, Case]:
    ticket = selectors.get_ticket_for(request.user, reference)
    case = Case.objects.select_related("category").filter(ticket=ticket).first()
    if case is None:
        raise Http404
    case.ticket = ticket
    return ticket, case


def _case_page(request: AuthenticatedRequest, case: Case, form: Any, action: str,
               title: str, status: int) -> HttpResponse:  # fmt: skip
    return render(request, "safety/reports/case_form.html", {
        "case": case, "ticket": case.ticket, "form": form, "action": action, "title": title,
    }, status=status)  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def case_decide(request: AuthenticatedRequest, reference: str) -> HttpResponse:
    ticket, case = _case(request, reference)
    form = DecisionForm(request.POST or None, case=case)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                reports.case_decide(
                    actor=request.user, case=case, outcome=data["outcome"],
                    ground=data["ground"], facts=data["facts"],
                    automated_detection=data["automated_detection"],
                    automated_decision=data["automated_decision"],
                )  # fmt: skip
            except reports.ReportError as exc:
                add_service_error(form, exc)
                status = exc.status
            else:
                messages.success(request, _("Decided; the statement of reasons is on its way."))
                return redirect("tickets:detail", reference=ticket.reference)
    return _case_page(request, case, form, "safety:case_decide", _("Decide the case"), status)


@login_required
@require_http_methods(["GET", "POST"])
def appeal_new(request: AuthenticatedRequest, reference: str) -> HttpResponse:
    ticket, case = _case(request, reference)
    form = AppealForm(request.POST or None, initial={"account_id": case.account_id})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                appeal = reports.appeal_submit(
                    case_reference=case.reference, account_id=data["account_id"],
                    explanation=data["explanation"], email=data["email"] or "",
                    language=data["language"], actor=request.user,
                )  # fmt: skip
            except reports.ReportError as exc:
                add_service_error(form, exc)
                status = exc.status
            else:
                messages.success(request, _("Appeal %(ref)s goes to %(name)s.") % {
                    "ref": appeal.reference, "name": appeal.reviewer})  # fmt: skip
                return redirect("tickets:detail", reference=ticket.reference)
    return _case_page(request, case, form, "safety:appeal_new", _("Enter an appeal"), status)


@login_required
@require_http_methods(["GET", "POST"])
def appeal_decide(request: AuthenticatedRequest, reference: str) -> HttpResponse:
    ticket, case = _case(request, reference)
    appeal = (Appeal.objects.filter(against__case=case, state=Appeal.State.OPEN)
              .select_related("against").first())  # fmt: skip
    if appeal is None:
        raise Http404
    form = AppealDecisionForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                reports.appeal_decide(
                    actor=request.user, appeal=appeal, upheld=data["result"] == "upheld",
                    outcome=data["outcome"], facts=data["facts"],
                )  # fmt: skip
            except reports.ReportError as exc:
                add_service_error(form, exc)
                status = exc.status
            else:
                messages.success(request, _("Appeal decided."))
                return redirect("tickets:detail", reference=ticket.reference)
    return _case_page(request, case, form, "safety:appeal_decide", _("Decide the appeal"),
                      status)  # fmt: skip


# ------------------------------------------------------------- the ticket panel


def case_panel_context(page: panels.PanelPage) -> dict[str, Any]:
    """The case panel on the ticket page: nothing (no query) when the ticket has no case."""
    if page.known_empty(report_selectors.PANEL_FLAG[0]):
        return {"safety_case": None}
    case = report_selectors.case_detail(page.ticket.pk)
    if case is None:
        return {"safety_case": None}
    decisions = list(case.decisions.all())
    appeals = [appeal for decision in decisions for appeal in decision.appeals.all()]
    open_appeal = next((a for a in appeals if a.state == Appeal.State.OPEN), None)
    return {
        "safety_case": case,
        "safety_reports": list(case.reports.all()),
        "safety_decisions": decisions,
        "safety_appeals": appeals,
        "safety_open_appeal": open_appeal,
        # Ids of their own: the ticket page has forms of its own.
        "safety_decision_form": DecisionForm(case=case, auto_id="safety-%s")
        if case.state == Case.State.OPEN else None,
        "safety_appeal_form": AppealForm(initial={"account_id": case.account_id},
                                         auto_id="safety-%s")
        if case.state == Case.State.DECIDED else None,
        "safety_appeal_decision_form": AppealDecisionForm(auto_id="safety-%s")
        if open_appeal else None,
        "safety_category": categories.by_id().get(case.category_id),
    }  # fmt: skip
