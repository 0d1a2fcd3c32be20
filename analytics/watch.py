"""Spike alerts: watching the series for surges, telling the leads, and turning an alert
into an incident with its tickets in one step.

``evaluate`` runs from beat every ten minutes (30 s after the boundary, so what was in
flight at it has committed): it reads 35 days of ten-minute counts per series
(``SpikeCount``, kept by the fold), scores the trailing hour of each with
``analytics.spikes`` and, for each surge whose series is out of its cool-down, records a
``SpikeAlert``, emails the admins and in-house leads through the outbox and, if
``ANALYTICS_SPIKE_PAGE_TEAM`` names a team with an on-call rotation, pages it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, Team, User
from analytics import spikes
from analytics.models import SpikeAlert
from analytics.selectors import metric_scope
from core.errors import Conflict, Invalid
from core.urls import absolute_url
from escalations import services as escalations
from escalations.models import Incident, Rotation, Severity
from tickets import outbox
from tickets.models import Queue, Ticket
from tickets.outbox import mail
from tickets.selectors import visible_tickets

log = logging.getLogger(__name__)

BUCKET = timedelta(minutes=10)
HISTORY = timedelta(days=35)
KEEP = timedelta(days=36)
GRACE = timedelta(seconds=30)


class SpikeError(Invalid):
    """An alert that cannot be acted on as asked."""


class SpikeConflict(Conflict):
    """An alert someone already handled."""


@dataclass(frozen=True)
class Series:
    dim: str
    value: str


def _boundary(now: datetime) -> datetime:
    """The last ten-minute boundary at least GRACE before ``now``."""
    seconds = int((now - GRACE).timestamp())
    return datetime.fromtimestamp(seconds - seconds % 600, tz=now.tzinfo)


def load_counts(end: datetime) -> tuple[list[Series], np.ndarray]:
    """Every series' ten-minute counts for the 35 days before ``end`` (series × buckets),
    NaN before a series' first ticket."""
    start = end - HISTORY
    size = int(HISTORY / BUCKET)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT dim, value, ((extract(epoch FROM bucket) - %s) / 600)::int, n "
            "FROM analytics_spikecount WHERE bucket >= %s AND bucket < %s",
            [start.timestamp(), start, end],
        )
        rows = cursor.fetchall()
    index: dict[Series, int] = {}
    for dim, value, _i, _n in rows:
        index.setdefault(Series(dim, value), len(index))
    matrix = np.zeros((len(index), size))
    first = np.full(len(index), size)
    for dim, value, i, n in rows:
        row = index[Series(dim, value)]
        if 0 <= i < size:
            matrix[row, i] += n
            if n > 0:
                first[row] = min(first[row], i)
    for row, begin in enumerate(first):
        matrix[row, :begin] = np.nan
    return list(index), matrix


Thresholds = spikes.Thresholds


def evaluate(*, now: datetime | None = None,
             thresholds: Thresholds = spikes.DEFAULT_THRESHOLDS) -> list[SpikeAlert]:  # fmt: skip
    """Score every series' trailing hour; record, tell and page for the new surges."""
    end = _boundary(now or timezone.now())
    series, counts = load_counts(end)
    if not series:
        return []
    windows = spikes.trailing_hour_windows(counts)
    results = spikes.detect_spikes(windows, thresholds)
    last = dict(
        ((dim, value), at)
        for dim, value, at in SpikeAlert.objects.order_by("dim", "value", "-detected_at")
        .distinct("dim", "value").values_list("dim", "value", "detected_at")
    )  # fmt: skip
    alerts = []
    for item, result in zip(series, results, strict=True):
        if not result.is_spike:
            continue
        if not spikes.may_alert(last.get((item.dim, item.value)), end, thresholds.cooldown):
            continue
        alerts.append(_record(item, result, end))
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM analytics_spikecount WHERE bucket < %s", [end - KEEP])
    return alerts


@transaction.atomic
def _record(item: Series, result: spikes.SpikeResult, end: datetime) -> SpikeAlert:
    alert = SpikeAlert.objects.create(
        dim=item.dim, value=item.value, window_start=end - timedelta(hours=1), detected_at=end,
        count=result.count, expected=result.expected, z=result.z, p_value=result.p_value,
    )  # fmt: skip
    log.warning("spike: %s=%s %d tickets in the hour against %.1f expected (z %.1f)",
                item.dim, item.value, result.count, result.expected, result.z)  # fmt: skip
    _notify(alert)
    return alert


def describe(alert: SpikeAlert) -> str:
    """The series in words: "account in es" or "queue Payments"."""
    if alert.dim == "queue":
        name = Queue.objects.filter(pk=alert.value).values_list("name", flat=True).first()
        return _("queue %(name)s") % {"name": name or alert.value}
    category, _slash, language = alert.value.rpartition("/")
    return _("%(reason)s in %(language)s") % {"reason": category or _("(no category)"),
                                                "language": language or "?"}  # fmt: skip


def _notify(alert: SpikeAlert) -> None:
    leads = User.objects.filter(is_active=True).filter(
        Q(role=Role.ADMIN) | Q(role=Role.LEAD, team__vendor__isnull=True, team__isnull=False)
    )
    url = absolute_url("analytics:alert", alert.pk)
    batch = outbox.Batch()
    for lead in leads:
        if not lead.email:
            continue
        batch.email(
            kind="spike_alert", key=[alert.pk, "user", lead.pk], to=lead.email,
            template="spike_alert", language=mail.language_for(lead), automatic="auto-generated",
            context={"series": describe(alert), "count": alert.count,
                     "expected": round(alert.expected, 1), "since": alert.window_start,
                     "url": url},
        )  # fmt: skip
    batch.queue()
    team_slug = settings.ANALYTICS_SPIKE_PAGE_TEAM
    if team_slug:
        rotation = Rotation.objects.filter(team__slug=team_slug).first()
        if rotation is not None:
            escalations.page_open(
                rotation=rotation, severity=Severity.SEV2, now=alert.detected_at,
                summary=f"Spike: {describe(alert)} ({alert.count} vs {alert.expected:.0f})"[:300],
            )  # fmt: skip


# ------------------------------------------------------------------ reading, acting


def visible_alerts(user: User) -> QuerySet[SpikeAlert]:
    """Admins and in-house leads: every alert. A vendor's lead: alerts on their queues.
    Anyone else: none (through ``metric_scope``)."""
    scope = metric_scope(user)
    alerts = SpikeAlert.objects.all()
    if scope.empty:
        return alerts.none()
    if scope.queue_ids is None:
        return alerts
    queues = [str(pk) for pk in scope.queue_ids]
    if scope.compare_vendors:  # in-house: contact reasons span queues
        return alerts.filter(Q(dim="reason") | Q(dim="queue", value__in=queues))
    return alerts.filter(dim="queue", value__in=queues)


def matching_tickets(user: User, alert: SpikeAlert) -> QuerySet[Ticket]:
    """The tickets the alert counted that ``user`` may see."""
    tickets = visible_tickets(user).filter(created_at__gte=alert.window_start,
                                           created_at__lt=alert.detected_at)  # fmt: skip
    if alert.dim == "queue":
        return tickets.filter(queue_id=int(alert.value))
    category, _slash, language = alert.value.rpartition("/")
    return tickets.filter(category=category, language=language)


@transaction.atomic
def alert_open_incident(*, actor: User, alert: SpikeAlert, severity: int = Severity.SEV3,
                        team: Team | None = None) -> Incident:  # fmt: skip
    """One click: an incident titled after the surge, with the tickets it counted linked."""
    alert = SpikeAlert.objects.select_for_update().get(pk=alert.pk)
    if not visible_alerts(actor).filter(pk=alert.pk).exists():
        raise SpikeError(_("You cannot act on this alert."))
    if alert.state != SpikeAlert.State.OPEN:
        raise SpikeConflict(_("This alert was already handled."))
    tickets = list(matching_tickets(actor, alert).order_by("id")[:500])
    incident = escalations.incident_open(
        actor=actor, severity=severity, team=team, tickets=tickets,
        title=_("Surge: %(series)s") % {"series": describe(alert)},
    )  # fmt: skip
    alert.state, alert.incident = SpikeAlert.State.INCIDENT, incident
    alert.handled_by, alert.handled_at = actor, timezone.now()
    alert.save(update_fields=["state", "incident", "handled_by", "handled_at"])
    return incident


@transaction.atomic
def alert_dismiss(*, actor: User, alert: SpikeAlert, note: str) -> SpikeAlert:
    alert = SpikeAlert.objects.select_for_update().get(pk=alert.pk)
    if not visible_alerts(actor).filter(pk=alert.pk).exists():
        raise SpikeError(_("You cannot act on this alert."))
    if alert.state != SpikeAlert.State.OPEN:
        raise SpikeConflict(_("This alert was already handled."))
    note = (note or "").strip()
    if not note:
        raise SpikeError(_("Say why the alert is dismissed."))
    alert.state, alert.note = SpikeAlert.State.DISMISSED, note[:300]
    alert.handled_by, alert.handled_at = actor, timezone.now()
    alert.save(update_fields=["state", "note", "handled_by", "handled_at"])
    return alert
