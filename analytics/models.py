"""Facts about tickets and their hourly and daily rollups (see ``analytics.measures``)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from analytics import measures


class Fact(models.Model):
    """One thing that happened to a ticket, written in the transaction of the change by
    the ticket hooks (``analytics.handlers``), never updated except ``folded``.

    ``at`` is the moment it counts for (a reopen takes back a solve at the solve's own
    hour); the slice columns hold the ticket and the people as they were then. Plain
    integers rather than foreign keys: facts outlive nothing and slow no delete."""

    kind = models.CharField(max_length=32)
    at = models.DateTimeField()
    sign = models.SmallIntegerField(default=1)
    value = models.FloatField(null=True, blank=True)
    bucket = models.SmallIntegerField(null=True, blank=True)
    ticket_id = models.BigIntegerField()
    queue_id = models.BigIntegerField(null=True, blank=True)
    vendor_id = models.BigIntegerField(null=True, blank=True)
    team_id = models.BigIntegerField(null=True, blank=True)
    agent_id = models.BigIntegerField(null=True, blank=True)
    language = models.CharField(max_length=16, blank=True)
    channel = models.CharField(max_length=16, blank=True)
    category = models.CharField(max_length=64, blank=True)
    priority = models.SmallIntegerField(null=True, blank=True)
    tags = ArrayField(models.CharField(max_length=64), default=list, blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)
    folded = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("analytics fact")
        verbose_name_plural = _("analytics facts")
        indexes = [
            models.Index(fields=["ticket_id", "kind"], name="analytics_fact_ticket_idx"),
            # The fold's work list: only what it has not folded yet.
            models.Index(fields=["id"], name="analytics_fact_unfolded_idx",
                         condition=Q(folded=False)),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.kind} {self.sign:+d} on {self.ticket_id} at {self.at:%Y-%m-%d %H:%M}"


class _RollupBase(models.Model):
    """Facts summed per period, queue and slice (``dim`` names the slice, ``value`` its
    value; the total has both empty). One column per count kind, two per value kind,
    three per duration kind."""

    queue_id = models.BigIntegerField(null=True, blank=True)
    dim = models.CharField(max_length=12, blank=True)
    value = models.CharField(max_length=96, blank=True)

    class Meta:
        abstract = True


for _kind in measures.ALL_KINDS:
    if _kind in measures.COUNT_KINDS:
        _RollupBase.add_to_class(_kind, models.BigIntegerField(default=0))
    else:
        _RollupBase.add_to_class(f"{_kind}_n", models.BigIntegerField(default=0))
        _RollupBase.add_to_class(f"{_kind}_sum", models.FloatField(default=0))
    if _kind in measures.DURATION_KINDS:
        _RollupBase.add_to_class(
            f"{_kind}_hist", ArrayField(models.IntegerField(), null=True, blank=True)
        )


class HourlyRollup(_RollupBase):
    hour = models.DateTimeField()

    class Meta:
        verbose_name = _("hourly rollup")
        verbose_name_plural = _("hourly rollups")
        constraints = [
            models.UniqueConstraint(fields=["dim", "hour", "queue_id", "value"],
                                    name="analytics_hourly_key", nulls_distinct=False),
        ]  # fmt: skip
        indexes = [
            # The backlog by age reads only the hours that still hold open tickets, from
            # the index alone (a slice's value and the queue too): at 1M tickets the heap
            # rows it fetched instead, scattered over a year of hours, took 85-370 ms.
            models.Index(fields=["dim", "value", "hour"], include=["queue_id", "open"],
                         name="analytics_hourly_open_idx", condition=~Q(open=0)),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.hour:%Y-%m-%d %H}h {self.dim}={self.value} queue {self.queue_id}"


class _ZoneRollup(_RollupBase):
    """Kept per local period in each of ANALYTICS_DAY_ZONES (``day``: its first day)."""

    zone = models.CharField(max_length=64)
    day = models.DateField()

    class Meta:
        abstract = True


def _zone_key(name: str) -> models.UniqueConstraint:
    return models.UniqueConstraint(fields=["zone", "dim", "day", "queue_id", "value"],
                                   name=name, nulls_distinct=False)  # fmt: skip


class DailyRollup(_ZoneRollup):
    """The same per local day: long ranges read these (24 times fewer rows) when the
    viewer's time zone is one of them."""

    class Meta:
        verbose_name = _("daily rollup")
        verbose_name_plural = _("daily rollups")
        constraints = [_zone_key("analytics_daily_key")]

    def __str__(self) -> str:
        return f"{self.day} ({self.zone}) {self.dim}={self.value} queue {self.queue_id}"


class WeeklyRollup(_ZoneRollup):
    """The same per local week (``day`` is its Monday): ranges of many weeks read these
    for their whole weeks (7 times fewer rows than the days; a year by queue × language
    took 230 ms from daily rows at 1M tickets)."""

    class Meta:
        verbose_name = _("weekly rollup")
        verbose_name_plural = _("weekly rollups")
        constraints = [_zone_key("analytics_weekly_key")]

    def __str__(self) -> str:
        return f"week of {self.day} ({self.zone}) {self.dim}={self.value} queue {self.queue_id}"


class BackfillState(models.Model):
    """Where ``analytics_backfill`` is (one row): it resumes after ``last_ticket_id``.
    Facts with ids above ``live_since`` were written by the hooks while it ran; for a
    ticket it replays, those are taken back (the replay holds them)."""

    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    last_ticket_id = models.BigIntegerField(default=0)
    live_since = models.BigIntegerField(default=0)
    total = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("analytics backfill")
        verbose_name_plural = _("analytics backfills")

    def __str__(self) -> str:
        return f"backfill to ticket {self.last_ticket_id} of {self.total}"


class SpikeCount(models.Model):
    """Tickets created per ten minutes in each watched series: a contact reason in one
    language (``dim`` "reason", ``value`` "<category>/<language>") or a queue (``dim``
    "queue", ``value`` its id). Kept by the fold for 36 days: what spike detection reads."""

    dim = models.CharField(max_length=12)
    value = models.CharField(max_length=96)
    bucket = models.DateTimeField()
    n = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("spike count")
        verbose_name_plural = _("spike counts")
        constraints = [
            models.UniqueConstraint(fields=["bucket", "dim", "value"], name="analytics_spike_key"),
        ]

    def __str__(self) -> str:
        return f"{self.dim}={self.value} {self.bucket:%Y-%m-%d %H:%M} {self.n}"


class SpikeAlert(models.Model):
    """A surge detected in one series over the hour before ``detected_at``."""

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        INCIDENT = "incident", _("Incident opened")
        DISMISSED = "dismissed", _("Dismissed")

    dim = models.CharField(_("series"), max_length=12)
    value = models.CharField(_("value"), max_length=96)
    window_start = models.DateTimeField(_("from"))
    detected_at = models.DateTimeField(_("detected"), default=timezone.now, db_index=True)
    count = models.IntegerField(_("tickets"))
    expected = models.FloatField(_("expected"))
    z = models.FloatField(_("score"))
    p_value = models.FloatField(_("Poisson p"))
    state = models.CharField(_("state"), max_length=16, choices=State.choices,
                             default=State.OPEN)  # fmt: skip
    incident = models.ForeignKey("escalations.Incident", verbose_name=_("incident"),
                                 on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+")  # fmt: skip
    handled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")  # fmt: skip
    handled_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("spike alert")
        verbose_name_plural = _("spike alerts")
        ordering = ["-detected_at", "-id"]
        indexes = [models.Index(fields=["dim", "value", "-detected_at"],
                                name="analytics_spike_series_idx")]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.dim}={self.value}: {self.count} vs {self.expected:.0f}"


WEEKDAYS = [
    (0, _("Monday")), (1, _("Tuesday")), (2, _("Wednesday")), (3, _("Thursday")),
    (4, _("Friday")), (5, _("Saturday")), (6, _("Sunday")),
]  # fmt: skip


class ScheduledReport(models.Model):
    """A saved dashboard (its page and slice) sent daily or weekly: by email to each
    recipient as they may see it, in their language, with the page's table as a CSV;
    and, if an admin set one, as a signed webhook of the owner's numbers.

    A daily report covers the local day before the one it is sent on, a weekly one the
    seven days before; ``hour`` and ``weekday`` are in ``time_zone``. Deleting keeps
    the row (``deleted_at``) for its audit trail."""

    class Page(models.TextChoices):
        DASHBOARD = "dashboard", _("Dashboard")
        AGENTS = "agents", _("Agents")
        VENDORS = "vendors", _("Vendors side by side")

    class Cadence(models.TextChoices):
        DAILY = "daily", _("Daily")
        WEEKLY = "weekly", _("Weekly")

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                              related_name="scheduled_reports")  # fmt: skip
    name = models.CharField(_("name"), max_length=120)
    page = models.CharField(_("page"), max_length=16, choices=Page.choices,
                            default=Page.DASHBOARD)  # fmt: skip
    # The dashboard's slice as its filter writes it ("language:es", "queue:3"), or "".
    slice = models.CharField(_("show only"), max_length=100, blank=True)
    cadence = models.CharField(_("how often"), max_length=8, choices=Cadence.choices,
                               default=Cadence.WEEKLY)  # fmt: skip
    weekday = models.PositiveSmallIntegerField(_("day of the week"), default=0,
                                               choices=WEEKDAYS)  # fmt: skip
    hour = models.PositiveSmallIntegerField(_("hour"), default=7)
    time_zone = models.CharField(_("time zone"), max_length=64)
    recipients = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+",
                                        verbose_name=_("recipients"))  # fmt: skip
    webhook_url = models.URLField(_("webhook URL"), max_length=500, blank=True)
    webhook_secret = models.CharField(max_length=100, blank=True)
    active = models.BooleanField(default=True)
    next_run_at = models.DateTimeField(null=True, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # The beat task's question: which reports are due?
            models.Index(
                fields=["next_run_at"],
                name="report_due_idx",
                condition=Q(active=True, deleted_at__isnull=True),
            ),  # fmt: skip
            models.Index(fields=["owner", "-created_at", "-id"], name="report_owner_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class ScheduledReportEvent(models.Model):
    """Append-only audit of scheduled reports: made, changed, paused, resumed, deleted,
    and each sending (its period and whom it reached). A database trigger refuses edits."""

    class Kind(models.TextChoices):
        CREATED = "created"
        CHANGED = "changed"
        PAUSED = "paused"
        RESUMED = "resumed"
        DELETED = "deleted"
        SENT = "sent"
        TEST_SENT = "test_sent"

    report = models.ForeignKey(ScheduledReport, on_delete=models.PROTECT, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                              blank=True, related_name="+")  # fmt: skip
    kind = models.CharField(max_length=16, choices=Kind.choices)
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["report", "created_at", "id"], name="report_event_idx")]

    def __str__(self) -> str:
        return f"{self.kind} on report {self.report_id}"
