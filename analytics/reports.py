"""Scheduled reports: a saved dashboard sent daily or weekly.

Writes (``report_save``, ``report_pause``, ``report_resume``, ``report_delete``,
``report_send_test``) each write their audit event in their transaction. Beat calls
``reports_run_due`` every minute: each due report is locked (``SKIP LOCKED``, so two
beats or a slow run never send one twice), its mails and webhook are queued through the
outbox in the same transaction as its "sent" event and its next run, and the outbox
sends them after commit. Idempotency keys name the report, the period and the person:
a run retried after a crash queues nothing new.

What each recipient gets is what they may see: the numbers are read through their own
``metric_scope``, in their language, and someone who can no longer see the report's slice
(or the vendor comparison) is left out and named in the event. The webhook, which only
an admin can set, carries the owner's numbers.

Periods: a daily report sent on day D covers D − 1 (local days in the report's zone); a
weekly one the seven days before D. A run that is late (the workers were down) sends the
latest period due, once, and the schedule moves on from now.
"""

from __future__ import annotations

import logging
import zoneinfo
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Role, User
from accounts.selectors import visible_users
from analytics import presenters, selectors, tables
from analytics.models import ScheduledReport, ScheduledReportEvent
from analytics.presenters import Frame
from analytics.selectors import Period
from core.errors import Forbidden, Invalid
from core.urls import absolute_url
from core.webhook_targets import new_secret, validate_webhook_url
from exports.services import csv_text
from tickets import outbox
from tickets.models import Notification
from tickets.outbox import mail

log = logging.getLogger(__name__)
Kind = ScheduledReportEvent.Kind
Page = ScheduledReport.Page
Cadence = ScheduledReport.Cadence

# The page's table that goes with each report as its CSV.
PAGE_TABLE = {Page.DASHBOARD: "by_queue", Page.AGENTS: "agents", Page.VENDORS: "by_vendor"}
# The slices each page's filter takes.
PAGE_SLICES = {Page.DASHBOARD: tables.SLICE_DIMS, Page.AGENTS: ("queue",),
               Page.VENDORS: ("queue",)}  # fmt: skip
# The key numbers every report states, with the period before for comparison.
NUMBERS = ("created", "solved", "first_reply", "first_reply_p90", "sla", "reopen_rate",
           "one_touch")  # fmt: skip


class ReportError(Invalid):
    """A report that cannot be saved or sent as asked; the message says why, and
    ``field`` which form field it belongs beside (None: the form as a whole)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


# ------------------------------------------------------------------ who and what


def visible_reports(user: User) -> QuerySet[ScheduledReport]:
    """The scoping function of reports: admins see every report, anyone else who may
    read dashboards their own; deleted ones are gone for everyone."""
    reports = ScheduledReport.objects.filter(deleted_at__isnull=True)
    if not selectors.can_view(user):
        return reports.none()
    return reports if user.is_admin else reports.filter(owner=user)


def recipient_choices(owner: User) -> QuerySet[User]:
    """Whom ``owner`` may send a report to: the active people they can see who read
    dashboards (leads and admins), themselves included."""
    readers = Q(role=Role.ADMIN) | Q(role=Role.LEAD) | Q(is_superuser=True)
    people = visible_users(owner).filter(readers, is_active=True)
    return (people | User.objects.filter(pk=owner.pk)).distinct().order_by(
        "full_name", "email", "id")  # fmt: skip


def _frame_for(report: ScheduledReport, user: User) -> Frame | None:
    """``report``'s page as ``user`` may see it now (a run sets the period); None if its
    slice or page is not theirs to see."""
    if not selectors.can_view(user):
        return None
    data = {"slice": report.slice, "tz": report.time_zone,
            "range": "today" if report.cadence == Cadence.DAILY else "7"}  # fmt: skip
    frame, errors = tables.frame_for(user, data, slices=PAGE_SLICES[Page(report.page)],
                                     now=timezone.now())  # fmt: skip
    if errors or (report.page == Page.VENDORS and not presenters.can_compare_vendors(frame)):
        return None
    return frame


def unable_to_read(report: ScheduledReport, people: list[User]) -> list[User]:
    """Those among ``people`` who may not see ``report`` (its slice, the vendor page)."""
    return [person for person in people if _frame_for(report, person) is None]


# ------------------------------------------------------------------ the schedule


def _days(report: ScheduledReport) -> int:
    return 1 if report.cadence == Cadence.DAILY else 7


def _occurrence_on(report: ScheduledReport, day: date) -> datetime | None:
    """The report's sending time on local date ``day``, if it is sent that day."""
    if report.cadence == Cadence.WEEKLY and day.weekday() != report.weekday:
        return None
    return datetime.combine(day, time(report.hour), ZoneInfo(report.time_zone))


def next_run(report: ScheduledReport, after: datetime) -> datetime:
    """The first sending time strictly after ``after``."""
    day = after.astimezone(ZoneInfo(report.time_zone)).date()
    for offset in range(9):
        moment = _occurrence_on(report, day + timedelta(days=offset))
        if moment is not None and moment > after:
            return moment
    raise AssertionError("a weekly schedule comes round within 8 days")


def last_run(report: ScheduledReport, at: datetime) -> datetime:
    """The latest sending time at or before ``at``."""
    day = at.astimezone(ZoneInfo(report.time_zone)).date()
    for offset in range(9):
        moment = _occurrence_on(report, day - timedelta(days=offset))
        if moment is not None and moment <= at:
            return moment
    raise AssertionError("a weekly schedule comes round within 8 days")


def period_for(report: ScheduledReport, run_at: datetime) -> Period:
    """The local days a run at ``run_at`` reports on: those before its own day."""
    zone = ZoneInfo(report.time_zone)
    midnight = datetime.combine(run_at.astimezone(zone).date(), time(0), zone)
    return Period.last_days(_days(report), tz=report.time_zone,
                            now=midnight - timedelta(microseconds=1), bucket="day")  # fmt: skip


# ------------------------------------------------------------------ writes


def _event(report: ScheduledReport, actor: User | None, kind: str, **detail: Any) -> None:
    ScheduledReportEvent.objects.create(report=report, actor=actor, kind=kind, detail=detail)


def _may_change(actor: User, report: ScheduledReport) -> None:
    if not visible_reports(actor).filter(pk=report.pk).exists():
        raise Forbidden(_("You cannot change this report."))


@dataclass
class ReportInput:
    name: str
    page: str
    slice: str
    cadence: str
    weekday: int
    hour: int
    time_zone: str
    recipients: list[User]
    webhook_url: str = ""


FIELDS = ("name", "page", "slice", "cadence", "weekday", "hour", "time_zone", "webhook_url")


@transaction.atomic
def report_save(*, actor: User, data: ReportInput,
                report: ScheduledReport | None = None) -> ScheduledReport:  # fmt: skip
    """Make a report (``report`` None) or change one; the form has checked each field,
    this checks who may do it and that every recipient may read what it sends."""
    if not selectors.can_view(actor):
        raise Forbidden(_("Only leads and admins schedule reports."))
    if report is not None:
        _may_change(actor, report)
        report = ScheduledReport.objects.select_for_update().get(pk=report.pk)
    if (
        data.webhook_url
        and not actor.is_admin
        and (report is None or data.webhook_url != report.webhook_url)
    ):
        raise ReportError(_("Only admins send reports to a webhook."), field="webhook_url")
    if data.page not in Page.values or data.cadence not in Cadence.values:
        raise ReportError(_("Choose a page and how often from the lists."))
    if not (0 <= data.hour <= 23 and 0 <= data.weekday <= 6):
        raise ReportError(_("Choose a day and an hour from the lists."))
    if data.time_zone not in zoneinfo.available_timezones():
        raise ReportError(_("“%(zone)s” is not a time zone we know.") % {"zone": data.time_zone},
                          field="time_zone")  # fmt: skip
    dim = data.slice.partition(":")[0]
    if dim and dim not in PAGE_SLICES[Page(data.page)]:
        raise ReportError(_("This page is narrowed by queue only."), field="slice")
    if data.webhook_url:
        try:
            validate_webhook_url(data.webhook_url)
        except ValidationError as exc:
            raise ReportError(exc.messages[0], field="webhook_url") from exc
    owner = report.owner if report else actor
    allowed = set(recipient_choices(owner).values_list("pk", flat=True))
    strangers = [person for person in data.recipients if person.pk not in allowed]
    if strangers:
        raise ReportError(_("You cannot send reports to %(name)s.")
                          % {"name": strangers[0].get_full_name() or strangers[0].email},
                          field="recipients")  # fmt: skip
    if not data.recipients and not data.webhook_url:
        raise ReportError(_("Choose at least one recipient."), field="recipients")
    before = {name: getattr(report, name) for name in FIELDS} if report else {}
    before_people = sorted(report.recipients.values_list("pk", flat=True)) if report else []
    target = report or ScheduledReport(owner=actor)
    for name in FIELDS:
        setattr(target, name, getattr(data, name))
    blind = unable_to_read(target, data.recipients)
    if blind:
        raise ReportError(_("%(name)s cannot see what this report shows.")
                          % {"name": blind[0].get_full_name() or blind[0].email},
                          field="recipients")  # fmt: skip
    if target.webhook_url and not target.webhook_secret:
        target.webhook_secret = new_secret()
    target.next_run_at = next_run(target, timezone.now()) if target.active else None
    target.save()
    target.recipients.set(data.recipients)
    people = sorted(person.pk for person in data.recipients)
    if report is None:
        _event(target, actor, Kind.CREATED, **{n: getattr(target, n) for n in FIELDS
                                               if n != "webhook_url"},
               webhook=bool(target.webhook_url), recipients=people)  # fmt: skip
    else:
        changed = {n: [before[n], getattr(target, n)] for n in FIELDS
                   if before[n] != getattr(target, n) and n != "webhook_url"}  # fmt: skip
        if before["webhook_url"] != target.webhook_url:
            changed["webhook"] = [bool(before["webhook_url"]), bool(target.webhook_url)]
        if before_people != people:
            changed["recipients"] = [before_people, people]
        if changed:
            _event(target, actor, Kind.CHANGED, **changed)
    return target


@transaction.atomic
def report_pause(*, actor: User, report: ScheduledReport) -> ScheduledReport:
    _may_change(actor, report)
    report = ScheduledReport.objects.select_for_update().get(pk=report.pk)
    if report.active:
        report.active, report.next_run_at = False, None
        report.save(update_fields=["active", "next_run_at"])
        _event(report, actor, Kind.PAUSED)
    return report


@transaction.atomic
def report_resume(*, actor: User, report: ScheduledReport) -> ScheduledReport:
    _may_change(actor, report)
    report = ScheduledReport.objects.select_for_update().get(pk=report.pk)
    if not report.active:
        report.active, report.next_run_at = True, next_run(report, timezone.now())
        report.save(update_fields=["active", "next_run_at"])
        _event(report, actor, Kind.RESUMED)
    return report


@transaction.atomic
def report_delete(*, actor: User, report: ScheduledReport) -> None:
    _may_change(actor, report)
    report = ScheduledReport.objects.select_for_update().get(pk=report.pk)
    report.deleted_at, report.active, report.next_run_at = timezone.now(), False, None
    report.save(update_fields=["deleted_at", "active", "next_run_at"])
    _event(report, actor, Kind.DELETED)


# ------------------------------------------------------------------ sending


@dataclass
class Number:
    label: str
    value: str
    previous: str


def _numbers(frame: Frame, previous: Frame) -> tuple[list[Number], dict[str, Any]]:
    """The key numbers in words for the mail, and as numbers for the webhook."""
    now = selectors.totals(frame.scope, frame.period, frame.controls.slice)
    then = selectors.totals(previous.scope, previous.period, previous.controls.slice)
    shown = presenters.metric_cells(frame, now, NUMBERS)
    before = presenters.metric_cells(previous, then, NUMBERS)
    words = [Number(str(presenters.METRIC_LABELS[name]), cell.text, old.text)
             for name, cell, old in zip(NUMBERS, shown, before, strict=True)]  # fmt: skip
    data = {
        "current": dict(zip(NUMBERS, tables.raw_values(now, NUMBERS), strict=True)),
        "previous": dict(zip(NUMBERS, tables.raw_values(then, NUMBERS), strict=True)),
    }
    return words, data


def _frames(report: ScheduledReport, user: User, run_at: datetime) -> tuple[Frame, Frame] | None:
    frame = _frame_for(report, user)
    if frame is None:
        return None
    period = period_for(report, run_at)
    span = period.end - period.start
    earlier = Period(start=period.start - span, end=period.start, tz=period.tz, bucket="day")
    return (replace(frame, period=period, now=period.end),
            replace(frame, period=earlier, now=earlier.end))  # fmt: skip


def _period_words(period: Period) -> str:
    zone = ZoneInfo(period.tz)
    first = period.start.astimezone(zone).date()
    last = (period.end.astimezone(zone) - timedelta(microseconds=1)).date()
    if first == last:
        return formats.date_format(first, "DATE_FORMAT")
    return _("%(first)s to %(last)s") % {
        "first": formats.date_format(first, "DATE_FORMAT"),
        "last": formats.date_format(last, "DATE_FORMAT"),
    }


def _page_url(report: ScheduledReport) -> str:
    name = {Page.DASHBOARD: "analytics:dashboard", Page.AGENTS: "analytics:agents",
            Page.VENDORS: "analytics:vendors"}[Page(report.page)]  # fmt: skip
    query = {"range": "7", "tz": report.time_zone}
    if report.slice:
        query["slice"] = report.slice
    return f"{absolute_url(name)}?{urlencode(query)}"


def _mail(batch: outbox.Batch, report: ScheduledReport, person: User, run_at: datetime, *,
          key: list[object]) -> bool:  # fmt: skip
    """Queue ``person``'s mail of ``report``; False if they may not see it."""
    language = mail.language_for(person)
    with translation.override(language):
        frames = _frames(report, person, run_at)
        if frames is None:
            return False
        frame, previous = frames
        numbers, _data = _numbers(frame, previous)
        spec = tables.TABLES[PAGE_TABLE[Page(report.page)]]
        text = csv_text(spec.header(frame.controls), spec.rows(frame),
                        zone=ZoneInfo(report.time_zone))  # fmt: skip
        too_big = len(text.encode()) > settings.EMAIL_ATTACHMENTS_MAX_BYTES
        day = frame.period.start.astimezone(ZoneInfo(report.time_zone)).date().isoformat()
        files = [] if too_big else [outbox.TextFile(
            f"{report.name[:60]} {day}.csv".replace("/", "-"), "text/csv", text)]  # fmt: skip
        context = {
            "name": report.name,
            "cadence": report.get_cadence_display(),
            "period": _period_words(frame.period),
            "zone": report.time_zone,
            "summary": frame.label(frame.controls.slice_dim, frame.controls.slice_value)
            if frame.controls.slice_dim
            else "",
            "page": report.get_page_display(),
            "numbers": numbers,
            "table": str(spec.title),
            "csv_left_out": too_big,
            "url": _page_url(report),
            "manage_url": absolute_url("analytics:reports"),
            "owner": report.owner.get_full_name() or report.owner.email,
        }
    return batch.email(kind="analytics_report", key=key, to=person.email, language=language,
                       template="analytics_report", context=context,
                       automatic="auto-generated", files=files)  # fmt: skip


def _webhook(batch: outbox.Batch, report: ScheduledReport, run_at: datetime) -> bool:
    frames = _frames(report, report.owner, run_at)
    if frames is None:
        return False
    frame, previous = frames
    with translation.override(mail.language_for(report.owner)):
        _numbers_words, data = _numbers(frame, previous)
        spec = tables.TABLES[PAGE_TABLE[Page(report.page)]]
        header = spec.header(frame.controls)
        rows = [[value.isoformat() if isinstance(value, datetime) else value for value in row]
                for row in spec.rows(frame)]  # fmt: skip
    payload = {
        "report_id": report.pk,
        "name": report.name,
        "page": report.page,
        "slice": report.slice,
        "period": {
            "start": frame.period.start.isoformat(),
            "end": frame.period.end.isoformat(),
            "time_zone": report.time_zone,
        },  # fmt: skip
        **data,
        "table": {"header": header, "rows": rows},
    }
    stamp = frame.period.start.date().isoformat()
    return batch.webhook(kind="analytics_report", url=report.webhook_url, payload=payload,
                         key=[report.pk, "webhook", stamp])  # fmt: skip


def webhook_endpoint(notification: Notification) -> outbox.WebhookEndpoint | None:
    """Where a report's webhook goes: the report's URL and secret as they are when it is
    sent (none once the report is deleted or its webhook removed)."""
    report = ScheduledReport.objects.filter(pk=notification.payload.get("report_id"),
                                            deleted_at__isnull=True).first()  # fmt: skip
    if report is None or not report.webhook_url:
        return None
    return outbox.WebhookEndpoint(report.webhook_url, report.webhook_secret)


def _send(report: ScheduledReport, run_at: datetime, *, actor: User | None,
          people: list[User]) -> dict[str, Any]:  # fmt: skip
    """Queue the mails (and the webhook) of one run; what became of each."""
    batch = outbox.Batch()
    period = period_for(report, run_at)
    stamp = period.start.astimezone(ZoneInfo(report.time_zone)).date().isoformat()
    test = actor is not None
    sent: list[int] = []
    skipped: list[int] = []
    for person in people:
        if not person.is_active or not person.email:
            skipped.append(person.pk)
            continue
        key: list[object] = [report.pk, stamp, "user", person.pk]
        if test:  # the actor's n-th test of this report: once, however often retried
            tests = report.events.filter(kind=Kind.TEST_SENT, actor=actor).count()
            key = [report.pk, "test", person.pk, tests]
        (sent if _mail(batch, report, person, run_at, key=key) else skipped).append(person.pk)
    webhook = bool(report.webhook_url) and not test and _webhook(batch, report, run_at)
    batch.drop_queued()  # a period already sent (a late run again) goes out once
    batch.queue()
    return {"period_start": period.start.isoformat(), "period_end": period.end.isoformat(),
            "sent_to": sent, "left_out": skipped, "webhook": webhook}  # fmt: skip


@transaction.atomic
def report_send_test(*, actor: User, report: ScheduledReport) -> dict[str, Any]:
    """Send the latest period to ``actor`` only, now (to see what the recipients get)."""
    _may_change(actor, report)
    report = ScheduledReport.objects.select_for_update().get(pk=report.pk)
    result = _send(report, timezone.now(), actor=actor, people=[actor])
    if not result["sent_to"]:
        raise ReportError(_("You cannot see what this report shows, or you have no email."))
    _event(report, actor, Kind.TEST_SENT, **result)
    return result


def reports_run_due(*, now: datetime | None = None, limit: int = 50) -> int:
    """Beat: send every report that is due (each in its own transaction); how many."""
    now = now or timezone.now()
    done = 0
    while done < limit:
        with transaction.atomic():
            report = (
                ScheduledReport.objects.select_for_update(skip_locked=True)
                .filter(active=True, deleted_at__isnull=True, next_run_at__lte=now)
                .select_related("owner").order_by("next_run_at").first()
            )  # fmt: skip
            if report is None:
                break
            run_at = last_run(report, now)
            people = list(report.recipients.all())
            result = _send(report, run_at, actor=None, people=people)
            report.last_run_at, report.next_run_at = now, next_run(report, now)
            report.save(update_fields=["last_run_at", "next_run_at"])
            _event(report, None, Kind.SENT, **result)
            if result["left_out"]:
                log.warning("report %s: left out %s (cannot see it, inactive or no email)",
                            report.pk, result["left_out"])  # fmt: skip
        done += 1
    return done
