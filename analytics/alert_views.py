"""Spike alerts: the list, one alert with its tickets, and its two actions."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from accounts.http import AuthenticatedRequest
from analytics import watch
from analytics.models import SpikeAlert
from analytics.selectors import can_view
from escalations.models import Severity
from escalations.selectors import can_manage_incidents

PAGE = 50


@login_required
@require_GET
def alerts(request: AuthenticatedRequest) -> HttpResponse:
    if not can_view(request.user):
        raise Http404
    rows = list(watch.visible_alerts(request.user).select_related("incident")[:PAGE])
    return render(request, "analytics/alerts.html", {
        "alerts": [(alert, watch.describe(alert)) for alert in rows],
    })  # fmt: skip


def _alert(request: AuthenticatedRequest, pk: int) -> SpikeAlert:
    if not can_view(request.user):
        raise Http404
    return get_object_or_404(watch.visible_alerts(request.user).select_related("incident"), pk=pk)


@login_required
@require_GET
def alert(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    found = _alert(request, pk)
    tickets = watch.matching_tickets(request.user, found)
    return render(request, "analytics/alert.html", {
        "alert": found, "series": watch.describe(found),
        "tickets": list(tickets.select_related("queue").order_by("-created_at")[:20]),
        "ticket_count": tickets.count(),
        "can_open_incident": can_manage_incidents(request.user),
        "severities": Severity.choices, "error": request.GET.get("error", ""),
    })  # fmt: skip


@login_required
@require_POST
def alert_incident(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    found = _alert(request, pk)
    try:
        severity = int(request.POST.get("severity") or Severity.SEV3)
        incident = watch.alert_open_incident(actor=request.user, alert=found, severity=severity)
    except (
        ValueError,
        watch.SpikeError,
        watch.SpikeConflict,
        watch.escalations.EscalationError,
    ) as exc:
        message = str(exc) if not isinstance(exc, ValueError) else "Choose a severity."
        return _error(request, found, message)
    return redirect("escalations:incident", pk=incident.pk)


@login_required
@require_POST
def alert_dismiss(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    found = _alert(request, pk)
    try:
        watch.alert_dismiss(actor=request.user, alert=found, note=request.POST.get("note", ""))
    except (watch.SpikeError, watch.SpikeConflict) as exc:
        return _error(request, found, str(exc))
    return redirect("analytics:alerts")


def _error(request: AuthenticatedRequest, found: SpikeAlert, message: str) -> HttpResponse:
    tickets = watch.matching_tickets(request.user, found)
    return render(request, "analytics/alert.html", {
        "alert": found, "series": watch.describe(found),
        "tickets": list(tickets.select_related("queue").order_by("-created_at")[:20]),
        "ticket_count": tickets.count(), "can_open_incident": can_manage_incidents(request.user),
        "severities": Severity.choices, "error": message,
    }, status=400)  # fmt: skip
