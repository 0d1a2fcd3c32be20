"""SLA clocks: started, paused, resumed, fulfilled and retargeted by the ticket services
(inside their transaction, with the ticket row locked), and swept by beat.

Each clock keeps its due and warning times in columns; ``next_check_at`` (indexed)
is the next moment the sweep has to act. The sweep takes only rows whose moment has
come, locks their tickets with ``SKIP LOCKED`` (always ticket first, then clocks,
the same order as every other service, so they never deadlock), fires each warning
and breach once (``warned_at`` / ``breached_at`` record that it fired) and moves
``next_check_at`` on. A sweep that was down simply finds more rows due.
"""

from __future__ import annotations

import json
import logging
import time as monotonic_time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import cast

from django.db import connection, transaction
from django.db.models import Q
from django.forms.models import model_to_dict
from django.utils import timezone

from accounts.models import Role, User, Vendor
from core import config_cache
from core.urls import absolute_url
from tickets import events, hooks, outbox
from tickets.events import EventKind
from tickets.models import (
    ACTIVE_STATUSES,
    BusinessCalendar,
    ConfigEvent,
    Event,
    Priority,
    SLAAction,
    SLAClock,
    SLAMetric,
    SLAPolicy,
    Status,
    Ticket,
)
from tickets.outbox import mail
from tickets.sla.business_time import NoBusinessTime, Schedule

logger = logging.getLogger(__name__)
State = SLAClock.State
LIVE = (State.RUNNING, State.PAUSED)
_EARLIEST = datetime.min.replace(tzinfo=UTC)
PAUSING_STATUSES = (Status.PENDING, Status.ON_HOLD)


# ------------------------------------------------------------ policies and calendars

_schedules: dict[int, tuple[datetime, Schedule]] = {}


def schedule_for(calendar: BusinessCalendar) -> Schedule:
    """The calendar's schedule, cached per process until the calendar changes."""
    cached = _schedules.get(calendar.pk)
    if cached is None or cached[0] != calendar.updated_at:
        cached = (calendar.updated_at, Schedule.for_calendar(calendar))
        _schedules[calendar.pk] = cached
    return cached[1]


def active_policies() -> list[SLAPolicy]:
    """The active policies in order, with calendars, queues and targets (cached until
    any of them changes; callers must not modify what they get)."""
    return config_cache.cached("sla-policies", _load_active_policies)


def _load_active_policies() -> list[SLAPolicy]:
    return list(
        SLAPolicy.objects.filter(is_active=True)
        .select_related("calendar")
        .prefetch_related("queues", "targets")
        .order_by("position", "id")
    )


def _matches(policy: SLAPolicy, ticket: Ticket) -> bool:
    if policy.priorities and ticket.priority not in policy.priorities:
        return False
    if policy.channels and ticket.channel not in policy.channels:
        return False
    if policy.high_profile != SLAPolicy.HighProfile.ANY:
        wanted = policy.high_profile == SLAPolicy.HighProfile.YES
        if ticket.requester.is_high_profile != wanted:
            return False
    queue_ids = {queue.pk for queue in policy.queues.all()}
    return not queue_ids or ticket.queue_id in queue_ids


def sla_policy_for(ticket: Ticket, policies: list[SLAPolicy] | None = None) -> SLAPolicy | None:
    """The first active policy (in the admins' order) whose conditions the ticket meets,
    else its queue's default policy, else none."""
    policies = active_policies() if policies is None else policies
    for policy in policies:
        if _matches(policy, ticket):
            return policy
    default_id = ticket.queue.default_sla_policy_id
    return next((p for p in policies if p.pk == default_id), None)


def target_seconds(policy: SLAPolicy, priority: int, metric: str) -> int | None:
    for target in policy.targets.all():
        if target.priority == priority:
            return target.seconds_for(metric)
    return None


# -------------------------------------------------------------------- clock maths


def clock_next_check(clock: SLAClock) -> datetime | None:
    if clock.state != State.RUNNING:
        return None
    if clock.warned_at is None:
        return clock.warn_at
    if clock.breached_at is None:
        return clock.due_at
    return None


def clock_arm(clock: SLAClock, schedule: Schedule) -> None:
    """Work out a running clock's due and warning times from what is left of it."""
    since = cast(datetime, clock.running_since)  # set on every running clock
    left = clock.target_seconds - clock.used_seconds
    warn_left = clock.warn_seconds - clock.used_seconds
    try:
        # Nothing left (a zero-minute target) is due at the next opening; already over is
        # due when it ran out, in the past.
        clock.due_at = schedule.add(since, left) if left >= 0 else since - timedelta(seconds=-left)
        clock.warn_at = schedule.add(since, warn_left) if warn_left >= 0 else since
        clock.warn_at = min(clock.warn_at, clock.due_at)  # a warning never comes after the due
    except NoBusinessTime:
        # A calendar with no open hours left: no due time rather than a failed ticket
        # change. The clock shows as running without a target until the calendar is fixed
        # (saving it recomputes every clock on it).
        logger.warning("SLA calendar %s never opens; clock %s has no due time",
                       clock.policy.calendar_id, clock.pk)  # fmt: skip
        clock.due_at = clock.warn_at = None
    clock.next_check_at = clock_next_check(clock)


# Beat sweeps every SLA_SWEEP_SECONDS (10 s by default). A warning meant to come before
# the breach must come at least one sweep before it, or the same sweep fires both: a
# target in seconds (a chat's 60 s, warned at 95%) would warn 3 s before its breach.
WARNING_LEAD_SECONDS = 10


def warn_seconds(policy: SLAPolicy, target: int) -> int:
    """When the warning comes, in business seconds into the target: the policy's
    percentage, but at least one sweep before the due time where the target allows."""
    warn = min(target, max(1, target * policy.warn_at_percent // 100))
    if target > 2 * WARNING_LEAD_SECONDS:
        warn = min(warn, target - WARNING_LEAD_SECONDS)
    return warn


def _bank_used_time(clock: SLAClock, now: datetime) -> None:
    """Count a running clock's business time so far on its own calendar into
    ``used_seconds`` and restart it from now: what was used under one calendar is kept
    when the clock moves to another (a queue or policy change)."""
    if clock.state == State.RUNNING and clock.running_since is not None:
        schedule = schedule_for(clock.policy.calendar)
        clock.used_seconds += schedule.between(clock.running_since, now)
        clock.running_since = now


def _describe(clock: SLAClock) -> dict:
    return {
        "metric": clock.metric,
        "policy": clock.policy.name,
        "state": clock.state,
        "due_at": clock.due_at.isoformat() if clock.due_at else None,
        # Business seconds of the target and used so far: the timeline tells how much
        # was left when a clock paused (tickets/timeline.py).
        "target_seconds": clock.target_seconds,
        "used_seconds": clock.used_seconds,
    }


def _live_clocks(ticket: Ticket) -> list[SLAClock]:
    return list(
        SLAClock.objects.filter(ticket=ticket, state__in=LIVE)
        .select_related("policy__calendar")
        .order_by("id")
    )


def _sync_ticket(ticket: Ticket) -> None:
    """Copy the nearest running target onto the ticket (the queue sorts and badges by it)."""
    with connection.cursor() as cursor:
        cursor.execute(_SYNC_TICKETS_SQL + " RETURNING t.sla_due_at, t.sla_warn_at, t.sla_paused,"
                       " t.sla_breached", [[ticket.pk]])  # fmt: skip
        (ticket.sla_due_at, ticket.sla_warn_at, ticket.sla_paused,
         ticket.sla_breached) = cursor.fetchone()  # fmt: skip


def _new_clock(ticket: Ticket, policy: SLAPolicy, metric: str, now: datetime) -> SLAClock | None:
    """A clock for this metric, armed and not saved; None when the policy has no target
    for the ticket's priority."""
    target = target_seconds(policy, ticket.priority, metric)
    if target is None:
        return None
    clock = SLAClock(policy=policy, metric=metric, target_seconds=target,
                     warn_seconds=warn_seconds(policy, target), started_at=now)  # fmt: skip
    if ticket.status in PAUSING_STATUSES:
        clock.state = State.PAUSED
    else:
        clock.running_since = now
        clock_arm(clock, schedule_for(policy.calendar))
    return clock


def _start(ticket: Ticket, policy: SLAPolicy, metric: str, now: datetime) -> SLAClock | None:
    clock = _new_clock(ticket, policy, metric, now)
    if clock is not None:
        clock.ticket = ticket
        clock.save()
    return clock


def _pause(clock: SLAClock, now: datetime) -> None:
    schedule = schedule_for(clock.policy.calendar)
    clock.used_seconds += schedule.between(cast(datetime, clock.running_since), now)
    clock.state = State.PAUSED
    clock.running_since = clock.due_at = clock.warn_at = clock.next_check_at = None
    clock.save(update_fields=["used_seconds", "state", "running_since", "due_at", "warn_at",
                              "next_check_at"])  # fmt: skip


def _resume(clock: SLAClock, now: datetime) -> None:
    clock.state = State.RUNNING
    clock.running_since = now
    clock_arm(clock, schedule_for(clock.policy.calendar))
    clock.save(update_fields=["state", "running_since", "due_at", "warn_at", "next_check_at"])


def _stop(clock: SLAClock, now: datetime, *, fulfilled: bool) -> None:
    if not fulfilled:
        clock.state = State.CANCELLED
    elif clock.state == State.RUNNING:
        clock.state = State.MET if clock.due_at is None or now <= clock.due_at else State.MISSED
    else:  # fulfilled while paused: judged by the time used
        clock.state = State.MET if clock.used_seconds <= clock.target_seconds else State.MISSED
    clock.stopped_at = now
    clock.next_check_at = None
    clock.save(update_fields=["state", "stopped_at", "next_check_at"])


# ------------------------------------------------------- hooks for ticket services


def sla_plan_new(ticket: Ticket, now: datetime) -> tuple[SLAPolicy | None, list[SLAClock]]:
    """For a ticket not yet saved: its policy and its first-reply and resolution clocks,
    armed and unsaved. With ``sla_summary`` the ticket is inserted with its SLA columns
    already set, and ``sla_save_new`` writes the clocks in one statement."""
    policy = sla_policy_for(ticket)
    if policy is None:
        return None, []
    clocks = [
        clock
        for metric in (SLAMetric.FIRST_REPLY, SLAMetric.RESOLUTION)
        if (clock := _new_clock(ticket, policy, metric, now)) is not None
    ]
    return policy, clocks


def sla_summary(clocks: list[SLAClock]) -> tuple[datetime | None, datetime | None, bool, bool]:
    """The ticket's SLA columns (sla_due_at, sla_warn_at, sla_paused, sla_breached) for
    these live clocks: what ``_SYNC_TICKETS_SQL`` computes in the database."""
    running = [c for c in clocks if c.state == State.RUNNING]
    nearest = min(running, key=lambda c: (c.due_at is None, c.due_at or _EARLIEST), default=None)
    paused = nearest is None and any(c.state == State.PAUSED for c in clocks)
    breached = any(c.state in LIVE and (c.breached_at is not None
                                        or c.used_seconds >= c.target_seconds)
                   for c in clocks)  # fmt: skip
    if nearest is None:
        return None, None, paused, breached
    return nearest.due_at, nearest.warn_at, paused, breached


def sla_save_new(*, ticket: Ticket, actor: User | None, policy: SLAPolicy | None,
                 clocks: list[SLAClock]) -> list[Event]:  # fmt: skip
    """Write a new ticket's clocks from ``sla_plan_new`` (one INSERT); the audit event
    to record with the ticket's own, if any."""
    if not clocks or policy is None:
        return []
    for clock in clocks:
        clock.ticket = ticket
    SLAClock.objects.bulk_create(clocks)
    after = {"policy": policy.name, "clocks": [_describe(c) for c in clocks]}
    return [events.build(ticket, actor, EventKind.SLA_STARTED, at=clocks[0].started_at,
                         after=after)]  # fmt: skip


def sla_start(*, ticket: Ticket, actor: User | None, now: datetime) -> list[SLAClock]:
    """A new ticket: start its first-reply and resolution clocks under its policy."""
    policy = sla_policy_for(ticket)
    if policy is None:
        return []
    clocks = [
        clock
        for metric in (SLAMetric.FIRST_REPLY, SLAMetric.RESOLUTION)
        if (clock := _start(ticket, policy, metric, now)) is not None
    ]
    if clocks:
        events.record(ticket, actor, EventKind.SLA_STARTED, after={"policy": policy.name,
               "clocks": [_describe(c) for c in clocks]})  # fmt: skip
        _sync_ticket(ticket)
    return clocks


def sla_agent_replied(*, ticket: Ticket, actor: User | None, now: datetime) -> None:
    """A public reply fulfils the first-reply or next-reply target."""
    done = []
    for clock in _live_clocks(ticket):
        if clock.metric in (SLAMetric.FIRST_REPLY, SLAMetric.NEXT_REPLY):
            _stop(clock, now, fulfilled=True)
            done.append(clock)
    if done:
        events.record(ticket, actor, EventKind.SLA_FULFILLED,
                      after={"clocks": [_describe(c) for c in done]})  # fmt: skip
        _sync_ticket(ticket)
        hooks.sla_stopped.send(hooks.SLAStopped(ticket=ticket, clocks=tuple(done)))


def sla_requester_wrote(*, ticket: Ticket, now: datetime) -> None:
    """The requester wrote: a next-reply clock starts unless a reply is already owed."""
    live = _live_clocks(ticket)
    if any(c.metric in (SLAMetric.FIRST_REPLY, SLAMetric.NEXT_REPLY) for c in live):
        return
    policy = sla_policy_for(ticket)
    if policy is None:
        return
    clock = _start(ticket, policy, SLAMetric.NEXT_REPLY, now)
    if clock is not None:
        events.record(ticket, None, EventKind.SLA_STARTED, after={"policy": policy.name,
               "clocks": [_describe(clock)]})  # fmt: skip
        _sync_ticket(ticket)


def sla_status_changed(*, ticket: Ticket, actor: User | None, old: str, new: str,
                       now: datetime) -> None:  # fmt: skip
    """Pending and on-hold pause every clock; back to open resumes them with the time
    left; solving fulfils resolution (and stops reply clocks); reopening starts a new
    resolution clock."""
    changes: dict[EventKind, list] = {}
    fulfilled: list[SLAClock] = []
    for clock in _live_clocks(ticket):
        if new in (Status.SOLVED, Status.CLOSED):
            _stop(clock, now, fulfilled=clock.metric == SLAMetric.RESOLUTION)
            kind = EventKind.SLA_FULFILLED if clock.state != State.CANCELLED \
                else EventKind.SLA_CANCELLED  # fmt: skip
            changes.setdefault(kind, []).append(_describe(clock))
            if clock.state != State.CANCELLED:
                fulfilled.append(clock)
        elif new in PAUSING_STATUSES and clock.state == State.RUNNING:
            _pause(clock, now)
            changes.setdefault(EventKind.SLA_PAUSED, []).append(_describe(clock))
        elif new not in PAUSING_STATUSES and clock.state == State.PAUSED:
            _resume(clock, now)
            changes.setdefault(EventKind.SLA_RESUMED, []).append(_describe(clock))
    if old in (Status.SOLVED, Status.CLOSED) and new in ACTIVE_STATUSES:
        policy = sla_policy_for(ticket)
        started = _start(ticket, policy, SLAMetric.RESOLUTION, now) if policy else None
        if started is not None:
            changes.setdefault(EventKind.SLA_STARTED, []).append(_describe(started))
    for kind, clocks in changes.items():
        events.record(ticket, actor, kind, after={"clocks": clocks, "status": new})
    if changes:
        _sync_ticket(ticket)
    if fulfilled:
        hooks.sla_stopped.send(hooks.SLAStopped(ticket=ticket, clocks=tuple(fulfilled)))


def sla_retarget(*, ticket: Ticket, actor: User | None, now: datetime, reason: str) -> None:
    """Priority, queue or requester changed: match the policy again and move the live
    clocks to its targets, keeping the business time already used. Clocks the ticket
    should have but lacks (it matched no policy before) are started."""
    if ticket.status not in ACTIVE_STATUSES:
        return
    policy = sla_policy_for(ticket)
    live = _live_clocks(ticket)
    before = [_describe(c) for c in live]
    changed = False
    for clock in live:
        target = target_seconds(policy, ticket.priority, clock.metric) if policy else None
        if policy is None or target is None:
            _stop(clock, now, fulfilled=False)
            changed = True
            continue
        if (clock.policy_id, clock.target_seconds) == (policy.pk, target):
            continue
        if clock.policy.calendar_id != policy.calendar_id:
            _bank_used_time(clock, now)
        clock.policy, clock.target_seconds = policy, target
        clock.warn_seconds = warn_seconds(policy, target)
        if clock.state == State.RUNNING:
            clock_arm(clock, schedule_for(policy.calendar))
        clock.save(update_fields=["policy", "target_seconds", "warn_seconds", "due_at",
                                  "warn_at", "next_check_at", "used_seconds",
                                  "running_since"])  # fmt: skip
        changed = True
    if policy is not None:
        have = {c.metric for c in live if c.state in LIVE}
        wanted = [SLAMetric.RESOLUTION]
        if ticket.first_reply_at is None:
            wanted.append(SLAMetric.FIRST_REPLY)
        for metric in wanted:
            if metric not in have and _start(ticket, policy, metric, now) is not None:
                changed = True
    if changed:
        after = [_describe(c) for c in _live_clocks(ticket)]
        events.record(ticket, actor, EventKind.SLA_RETARGETED, {"clocks": before},
               {"clocks": after, "reason": reason})  # fmt: skip
        _sync_ticket(ticket)


def sla_stop_all(*, ticket: Ticket, actor: User | None, now: datetime) -> None:
    """The ticket left the queue without being solved (merged away): cancel its clocks."""
    stopped = []
    for clock in _live_clocks(ticket):
        _stop(clock, now, fulfilled=False)
        stopped.append(_describe(clock))
    if stopped:
        events.record(ticket, actor, EventKind.SLA_CANCELLED, after={"clocks": stopped})
        _sync_ticket(ticket)


# ------------------------------------------------------------------------ sweep


@dataclass
class SweepResult:
    warnings: int = 0
    breaches: int = 0
    skipped_locked: int = 0

    def __add__(self, other: SweepResult) -> SweepResult:
        return SweepResult(self.warnings + other.warnings, self.breaches + other.breaches,
                           self.skipped_locked + other.skipped_locked)  # fmt: skip


class _Actions:
    """Carries out one sweep batch's actions with a bounded number of queries."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.outbox = outbox.Batch()  # one person in two roles (assignee and lead): one mail
        self.raise_priority: set[int] = set()
        self.fired: list[tuple[str, Ticket, dict, bool]] = []
        self._leads: dict[tuple, list[User]] = {}
        self._vendors: dict[int | None, list[Vendor]] = {}

    def leads_for(self, ticket: Ticket) -> list[User]:
        if (assignee := ticket.assignee) is not None and assignee.team_id:
            key: tuple = ("team", assignee.team_id)
            where = Q(team_id=assignee.team_id)
        else:
            key = ("queue", ticket.queue_id)
            where = Q(team__queues=ticket.queue_id)
        if key not in self._leads:
            self._leads[key] = list(
                User.objects.filter(where, role=Role.LEAD, is_active=True).distinct()[:20]
            )
        return self._leads[key]

    def vendors_for(self, ticket: Ticket) -> list[Vendor]:
        if (assignee := ticket.assignee) is not None and assignee.team_id:
            vendor = assignee.vendor
            return [vendor] if vendor and vendor.is_active and vendor.webhook_url else []
        if ticket.queue_id not in self._vendors:
            self._vendors[ticket.queue_id] = list(
                ticket.queue.vendors.filter(is_active=True).exclude(webhook_url="")
            )
        return self._vendors[ticket.queue_id]

    def email(self, *, clock: SLAClock, kind: str, user: User, now: datetime) -> None:
        ticket = clock.ticket
        context = {"ticket": ticket, "breached": kind == "sla_breach",
                   "metric": SLAMetric(clock.metric).label, "due_at": clock.due_at,
                   "policy": clock.policy.name,
                   "url": absolute_url("tickets:detail", ticket.reference)}  # fmt: skip
        self.outbox.email(
            kind=kind, key=[clock.pk, "user", user.pk], to=user.email, template="sla_alert",
            context=context, language=mail.language_for(user), automatic="auto-generated",
            ticket=ticket, now=now,
        )  # fmt: skip

    def webhook(self, *, clock: SLAClock, kind: str, vendor: Vendor, now: datetime) -> None:
        ticket = clock.ticket
        payload = {
            "event": kind.replace("_", "."),
            "ticket": {"reference": ticket.reference, "subject": ticket.subject,
                       "queue": ticket.queue.slug, "priority": ticket.priority,
                       "url": absolute_url("tickets:detail", ticket.reference)},
            "sla": {"metric": clock.metric, "policy": clock.policy.name,
                    "due_at": cast(datetime, clock.due_at).isoformat(),
                    "fired_at": now.isoformat()},
        }  # fmt: skip
        self.outbox.webhook(
            kind=kind, key=[clock.pk, "vendor", vendor.pk], url=vendor.webhook_url,
            payload=payload, vendor=vendor, ticket=ticket, now=now,
        )  # fmt: skip

    def fire(self, clock: SLAClock, kind: str, actions: Iterable[str], now: datetime) -> None:
        ticket = clock.ticket
        due_key = "warn_at" if kind == "sla_warning" else "due_at"
        fired = {
            "metric": clock.metric,
            "policy": clock.policy.name,
            due_key: getattr(clock, due_key).isoformat(),
            "late_by_seconds": round((now - getattr(clock, due_key)).total_seconds(), 1),
        }
        self.events.append(events.build(ticket, None, EventKind(kind), after=fired, at=now))
        self.fired.append((kind, ticket, fired, SLAAction.ESCALATE in actions))
        for action in actions:
            if action == SLAAction.NOTIFY_ASSIGNEE and ticket.assignee is not None:
                self.email(clock=clock, kind=kind, user=ticket.assignee, now=now)
            elif action == SLAAction.NOTIFY_LEAD:
                for lead in self.leads_for(ticket):
                    self.email(clock=clock, kind=kind, user=lead, now=now)
            elif action == SLAAction.NOTIFY_VENDOR:
                for vendor in self.vendors_for(ticket):
                    self.webhook(clock=clock, kind=kind, vendor=vendor, now=now)
            elif action == SLAAction.RAISE_PRIORITY and ticket.priority > Priority.URGENT:
                if ticket.pk not in self.raise_priority:
                    self.raise_priority.add(ticket.pk)
                    self.events.append(events.build(
                        ticket, None, EventKind.PRIORITY_CHANGED, at=now,
                        before={"priority": ticket.priority},
                        after={"priority": ticket.priority - 1, "reason": kind},
                    ))  # fmt: skip

    def commit(self) -> None:
        events.record_many(self.events)
        if self.raise_priority:
            with connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE tickets_ticket SET priority = priority - 1 "
                    "WHERE id = ANY(%s) AND priority > %s",
                    [list(self.raise_priority), int(Priority.URGENT)],
                )
        self.outbox.queue()
        # Announced last, as before: an escalation raised by a breach follows its
        # notifications; "escalate" is the policy asking for one on a breach.
        for kind, ticket, fired, escalate in self.fired:
            if kind == "sla_breach":
                hooks.sla_breach.send(hooks.SLAFired(ticket=ticket, fired=fired, escalate=escalate))
            else:
                hooks.sla_warning.send(hooks.SLAFired(ticket=ticket, fired=fired))


def _sweep_batch(now: datetime, batch: int) -> tuple[SweepResult, int]:
    """One transaction: lock up to ``batch`` tickets with due clocks, fire what is due.
    Returns the result and how many due clocks were looked at."""
    with transaction.atomic():
        due = list(
            SLAClock.objects.filter(next_check_at__lte=now)
            .order_by("next_check_at")
            .values_list("id", "ticket_id")[: batch * 2]
        )
        if not due:
            return SweepResult(), 0
        ticket_ids = list(dict.fromkeys(ticket_id for _id, ticket_id in due))[:batch]
        locked = set(
            Ticket.objects.filter(pk__in=ticket_ids)
            .select_for_update(skip_locked=True, of=("self",))
            .values_list("id", flat=True)
        )
        clocks = list(
            SLAClock.objects.filter(ticket_id__in=locked, next_check_at__lte=now)
            .select_related("policy__calendar", "ticket__queue", "ticket__assignee__team__vendor")
            .order_by("next_check_at")
        )
        result = SweepResult(skipped_locked=len(ticket_ids) - len(locked))
        actions = _Actions()
        for clock in clocks:
            if clock.warned_at is None and clock.warn_at is not None and clock.warn_at <= now:
                clock.warned_at = now
                actions.fire(clock, "sla_warning", clock.policy.warning_actions, now)
                result.warnings += 1
            if clock.breached_at is None and clock.due_at is not None and clock.due_at <= now:
                clock.warned_at = clock.warned_at or now
                clock.breached_at = now
                actions.fire(clock, "sla_breach", clock.policy.breach_actions, now)
                result.breaches += 1
            clock.next_check_at = clock_next_check(clock)
        SLAClock.objects.bulk_update(clocks, ["warned_at", "breached_at", "next_check_at"],
                                     batch_size=1000)  # fmt: skip
        breached = {clock.ticket_id for clock in clocks if clock.breached_at == now}
        if breached:
            Ticket.objects.filter(pk__in=breached).update(sla_breached=True)
        actions.commit()
        return result, len(due)


def sla_sweep(*, now: datetime | None = None, batch: int = 500,
              budget_seconds: float = 50.0) -> SweepResult:  # fmt: skip
    """Fire every warning and breach that is due, once. Runs in batches until nothing is
    due or the time budget is spent (the next sweep goes on); safe in parallel."""
    started = monotonic_time.monotonic()
    total = SweepResult()
    while True:
        result, looked_at = _sweep_batch(now or timezone.now(), batch)
        total = total + result
        if not looked_at or not (result.warnings or result.breaches):
            return total  # nothing due, or only rows another sweep or an agent holds
        if monotonic_time.monotonic() - started > budget_seconds:
            return total  # the next sweep goes on from here


# --------------------------------------------------- recompute after config changes


def sla_recompute(*, policy_ids: Iterable[int], reason: str, batch: int = 2000) -> int:
    """Move every live clock under these policies to the policies' current targets and
    calendars (after an admin changed them), keeping the business time already used.
    Tickets are locked in id order, a batch per transaction. Returns tickets updated."""
    policy_ids = list(policy_ids)
    policies = {
        p.pk: p
        for p in SLAPolicy.objects.filter(pk__in=policy_ids)
        .select_related("calendar")
        .prefetch_related("targets")
    }
    last_id = 0
    updated = 0
    while True:
        with transaction.atomic():
            ticket_ids = list(
                SLAClock.objects.filter(
                    policy_id__in=policy_ids, state__in=LIVE, ticket_id__gt=last_id
                )  # fmt: skip
                .order_by("ticket_id")
                .values_list("ticket_id", flat=True)
                .distinct()[:batch]
            )
            if not ticket_ids:
                return updated
            last_id = ticket_ids[-1]
            tickets = {
                t.pk: t
                for t in Ticket.objects.filter(pk__in=ticket_ids)
                .select_for_update(of=("self",))
                .order_by("pk")
                .only("id", "priority")
            }
            updated += _recompute_batch(policies, tickets, reason)


def _recompute_batch(policies: dict[int, SLAPolicy], tickets: dict[int, Ticket],
                     reason: str) -> int:  # fmt: skip
    clocks = SLAClock.objects.filter(ticket_id__in=list(tickets), policy_id__in=list(policies),
                                     state__in=LIVE)  # fmt: skip
    rows: dict[str, list] = {name: [] for name in ("id", "target", "warn", "state", "due",
                                                    "warn_at", "next", "stopped")}  # fmt: skip
    now = timezone.now()
    retargeted: dict[int, Event] = {}
    for clock in clocks:
        policy = policies[clock.policy_id]
        target = target_seconds(policy, tickets[clock.ticket_id].priority, clock.metric)
        old_due = clock.due_at
        if target is None:
            clock.state, clock.stopped_at = State.CANCELLED, now
            clock.due_at = clock.warn_at = None
        else:
            clock.policy = policy
            clock.target_seconds, clock.warn_seconds = target, warn_seconds(policy, target)
            if clock.state == State.RUNNING:
                clock_arm(clock, schedule_for(policy.calendar))
        clock.next_check_at = clock_next_check(clock)
        for name, value in (
            ("id", clock.pk),
            ("target", clock.target_seconds),
            ("warn", clock.warn_seconds),
            ("state", clock.state),
            ("due", clock.due_at),
            ("warn_at", clock.warn_at),
            ("next", clock.next_check_at),
            ("stopped", clock.stopped_at),
        ):
            rows[name].append(value)  # fmt: skip
        if old_due != clock.due_at:
            event = retargeted.setdefault(clock.ticket_id, events.build(
                clock.ticket_id, None, EventKind.SLA_RETARGETED, at=now,
                before={"clocks": []}, after={"clocks": [], "reason": reason},
            ))  # fmt: skip
            event.before["clocks"].append(
                {"metric": clock.metric, "due_at": old_due.isoformat() if old_due else None}
            )
            event.after["clocks"].append({"metric": clock.metric, "state": clock.state,
                                          "due_at": clock.due_at.isoformat()
                                          if clock.due_at else None})  # fmt: skip
    if not rows["id"]:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE tickets_slaclock AS c SET target_seconds = v.target, warn_seconds = v.warn,"
            " state = v.state, due_at = v.due, warn_at = v.warn_at, next_check_at = v.next,"
            " stopped_at = v.stopped"
            " FROM unnest(%s::bigint[], %s::int[], %s::int[], %s::text[], %s::timestamptz[],"
            " %s::timestamptz[], %s::timestamptz[], %s::timestamptz[])"
            " AS v(id, target, warn, state, due, warn_at, next, stopped) WHERE c.id = v.id",
            [rows[name] for name in ("id", "target", "warn", "state", "due", "warn_at", "next",
                                     "stopped")],
        )  # fmt: skip
        cursor.execute(_SYNC_TICKETS_SQL, [list(tickets)])
    events.record_many(retargeted.values())
    return len(retargeted)


# The ticket's nearest running target (running clocks without a due time come last;
# "paused" when no clock runs and one is paused; "breached" when a live clock has passed
# its target, running or paused), for any number of tickets at once.
_SYNC_TICKETS_SQL = """
UPDATE tickets_ticket AS t
   SET sla_due_at = s.due_at, sla_warn_at = s.warn_at, sla_paused = s.paused,
       sla_breached = s.breached
  FROM (
    SELECT ids.id AS ticket_id, r.due_at, r.warn_at,
           (r.running IS NULL AND EXISTS (SELECT 1 FROM tickets_slaclock p
                WHERE p.ticket_id = ids.id AND p.state = 'paused')) AS paused,
           EXISTS (SELECT 1 FROM tickets_slaclock b
                    WHERE b.ticket_id = ids.id AND b.state IN ('running', 'paused')
                      AND (b.breached_at IS NOT NULL OR b.used_seconds >= b.target_seconds))
             AS breached
      FROM unnest(%s::bigint[]) AS ids(id)
      LEFT JOIN LATERAL (
        SELECT TRUE AS running, c.due_at, c.warn_at FROM tickets_slaclock c
         WHERE c.ticket_id = ids.id AND c.state = 'running'
         ORDER BY c.due_at NULLS LAST LIMIT 1
      ) r ON TRUE
  ) AS s
 WHERE t.id = s.ticket_id
"""


@transaction.atomic
def sla_config_changed(*, actor: User | None, target: BusinessCalendar | SLAPolicy,
                       action: str) -> None:  # fmt: skip
    """An admin saved a calendar or a policy: audit it, and recompute the live clocks it
    governs in the background once this commits."""
    from tickets.tasks import recompute_sla_clocks  # tasks import services

    if isinstance(target, BusinessCalendar):
        BusinessCalendar.objects.filter(pk=target.pk).update(updated_at=timezone.now())
        policy_ids = list(target.policies.values_list("pk", flat=True))
    else:
        policy_ids = [target.pk]
    ConfigEvent.objects.create(
        action=action, actor=actor, target_type=target._meta.model_name or "", target_id=target.pk,
        after=json.loads(json.dumps(model_to_dict(target), default=str)),
    )  # fmt: skip
    if policy_ids:
        reason = f"{target._meta.verbose_name} {target} changed"
        transaction.on_commit(lambda: recompute_sla_clocks.delay(policy_ids, reason))
