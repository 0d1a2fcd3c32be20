"""Scheduled reports: the list, the form (new or change), and pause, resume, delete and
"send me a test". Thin: the form checks fields, ``analytics.reports`` does the rest; a
report someone may not see is a 404, as elsewhere."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.http import AuthenticatedRequest
from accounts.models import User
from analytics import presenters, reports, selectors, tables
from analytics.forms import ReportForm, default_zone
from analytics.models import ScheduledReport
from core.errors import DomainError
from tickets.selectors import visible_queue_list


def _may_schedule(user: User) -> None:
    if not selectors.can_view(user):
        raise Http404


@login_required
@require_GET
def report_list(request: AuthenticatedRequest) -> HttpResponse:
    _may_schedule(request.user)
    found = list(
        reports.visible_reports(request.user)
        .select_related("owner").prefetch_related("recipients").order_by("name", "id")[:200]
    )  # fmt: skip
    # Each slice as its filter names it ("Spanish (es)", a queue's name).
    names = selectors.visible_names(request.user)
    queues = {queue.pk: queue.name for queue in visible_queue_list(request.user)}
    labels = {report.pk: presenters.value_label(dim, value, names=names, queues=queues)
              for report in found if report.slice
              for dim, _colon, value in [report.slice.partition(":")]}  # fmt: skip
    return render(request, "analytics/reports.html", {
        "reports": [(report, labels.get(report.pk, "")) for report in found]})  # fmt: skip


def _slice_options(user: User, chosen: str) -> list[tuple[str, Any]]:
    """The dashboard filter's options for ``user`` (30 days of values), ``chosen`` kept."""
    frame, _errors = tables.frame_for(user, {"range": "30", "slice": chosen},
                                      slices=tables.SLICE_DIMS, now=timezone.now())  # fmt: skip
    _found, offered = selectors.breakdowns(frame.scope, frame.period, (),
                                           choices=presenters.CHOICE_DIMS)  # fmt: skip
    return list(presenters.slice_choices(frame, offered))


def _form(request: AuthenticatedRequest, report: ScheduledReport | None) -> ReportForm:
    user = request.user
    owner = report.owner if report else user
    if report is not None:
        initial: dict[str, Any] = {name: getattr(report, name) for name in reports.FIELDS}
        initial["recipients"] = list(report.recipients.all())
    else:
        initial = {"page": request.GET.get("page") or ScheduledReport.Page.DASHBOARD,
                   "slice": request.GET.get("slice", ""),
                   "time_zone": request.GET.get("tz") or default_zone(user),
                   "cadence": ScheduledReport.Cadence.WEEKLY, "recipients": [user]}  # fmt: skip
        initial["name"] = _("Weekly numbers")
    chosen = request.POST.get("slice", initial.get("slice", "")) or ""
    pages = list(ScheduledReport.Page.choices)
    if not (user.is_admin or selectors.metric_scope(user).compare_vendors):
        pages = [(v, label) for v, label in pages if v != ScheduledReport.Page.VENDORS]
    return ReportForm(
        request.POST if request.method == "POST" else None, initial=initial, pages=pages,
        cadences=list(ScheduledReport.Cadence.choices), slices=_slice_options(user, chosen),
        people=reports.recipient_choices(owner), webhook=user.is_admin,
    )  # fmt: skip


def _edit(request: AuthenticatedRequest, report: ScheduledReport | None) -> HttpResponse:
    form = _form(request, report)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        values = reports.ReportInput(
            name=data["name"], page=data["page"], slice=data.get("slice") or "",
            cadence=data["cadence"], weekday=data["weekday"], hour=data["hour"],
            time_zone=data["time_zone"], recipients=list(data["recipients"]),
            webhook_url=data.get("webhook_url", report.webhook_url if report else "") or "",
        )  # fmt: skip
        try:
            saved = reports.report_save(actor=request.user, data=values, report=report)
        except reports.ReportError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Report saved. Next: %(when)s.") % {
                "when": timezone.localtime(saved.next_run_at).strftime("%Y-%m-%d %H:%M")
                if saved.next_run_at else "—"})  # fmt: skip
            return redirect("analytics:reports")
    status = 400 if request.method == "POST" else 200
    return render(request, "analytics/report_form.html", {"form": form, "report": report},
                  status=status)  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def report_new(request: AuthenticatedRequest) -> HttpResponse:
    _may_schedule(request.user)
    return _edit(request, None)


def _report(request: AuthenticatedRequest, pk: int) -> ScheduledReport:
    _may_schedule(request.user)
    return get_object_or_404(reports.visible_reports(request.user).select_related("owner"), pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
def report_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _edit(request, _report(request, pk))


ACTIONS = {
    "pause": (reports.report_pause, gettext_lazy("Report paused.")),
    "resume": (reports.report_resume, gettext_lazy("Report resumed.")),
    "delete": (reports.report_delete, gettext_lazy("Report deleted.")),
    "test": (reports.report_send_test, gettext_lazy("A test is on its way to your inbox.")),
}


@login_required
@require_POST
def report_action(request: AuthenticatedRequest, pk: int, action: str) -> HttpResponse:
    report = _report(request, pk)
    if action not in ACTIONS:
        raise Http404
    act, done = ACTIONS[action]
    try:
        act(actor=request.user, report=report)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, str(done))
    return redirect("analytics:reports")
