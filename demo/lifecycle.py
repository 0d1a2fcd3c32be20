"""One demo ticket's life, written as the ticket and SLA services would have written it.

``Life`` has one method per service the seed plays (``create``, ``assign``, ``reply``,
``requester_reply``, ``change_status``, ``apply_macro``) and ``sweep``, which plays the
SLA sweep between them. Each appends the rows its service writes — messages, audit
events with the same kind, actor and ``before``/``after`` shapes, SLA clocks moved the
same way (with the SLA services' own maths: ``clock_arm``, ``clock_next_check``) — and
keeps the ticket's columns (status, first reply, solved, closed, SLA summary) as they
would be. A test plays the same steps through the real services and compares.

Nothing here touches the database: rows are lines of COPY text, built by hand (JSON
included) because a million tickets make some fifteen million events, and
``json.dumps`` and psycopg's ``write_row`` would cost several times the rest.

Not played: outbox rows (mail, webhooks) and the hooks into the apps above tickets
(escalations raised by rules, say). The search document is put together by the seed
(``demo.tickets``) from the texts gathered here, as the services append them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any, cast

from tickets.events import EventKind
from tickets.models import SLAAction, SLAClock, SLAMetric, SLAPolicy, Status
from tickets.sla import services as sla
from tickets.sla.business_time import Schedule

RUNNING, PAUSED = SLAClock.State.RUNNING.value, SLAClock.State.PAUSED.value
MET, MISSED, CANCELLED = (SLAClock.State.MET.value, SLAClock.State.MISSED.value,
                          SLAClock.State.CANCELLED.value)  # fmt: skip
LIVE = (RUNNING, PAUSED)
PAUSING = (Status.PENDING.value, Status.ON_HOLD.value)
ACTIVE = ("new", "open", "pending", "on_hold")
FIRST_REPLY, NEXT_REPLY = SLAMetric.FIRST_REPLY.value, SLAMetric.NEXT_REPLY.value
RESOLUTION = SLAMetric.RESOLUTION.value
REPLY_METRICS = (FIRST_REPLY, NEXT_REPLY)
SWEEP_EVERY = 10.0  # seconds: beat's SLA_SWEEP_SECONDS default
NULL = "\\N"  # COPY's null
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"})


def copy_text(value: str) -> str:
    """A string as a field of COPY's text format."""
    if value.isprintable() and "\\" not in value:  # no tab, newline or backslash
        return value
    return value.translate(_COPY_ESCAPES)


class Moments(dict[datetime, str]):
    """Moments written as text, each once: one ticket's events, clocks and columns name
    the same few moments over and over, and formatting one costs more than a lookup."""

    def __missing__(self, moment: datetime) -> str:
        text = self[moment] = moment.isoformat()
        return text

    def nullable(self, moment: datetime | None) -> str:
        return NULL if moment is None else self[moment]


def copy_json(value: Any) -> str:
    """``value`` as JSON (as Django's JSONField stores it), ready for COPY."""
    return copy_text(json.dumps(value, ensure_ascii=False))


@dataclass(slots=True)
class Clock:
    """The fields of an ``SLAClock`` that the SLA services read and write."""

    policy: SLAPolicy
    metric: str
    target_seconds: int
    warn_seconds: int
    started_at: datetime
    state: str = RUNNING
    running_since: datetime | None = None
    used_seconds: float = 0.0
    due_at: datetime | None = None
    warn_at: datetime | None = None
    next_check_at: datetime | None = None
    warned_at: datetime | None = None
    breached_at: datetime | None = None
    stopped_at: datetime | None = None
    pk: int | None = None  # clock_arm names it in a log line

    @property
    def model(self) -> SLAClock:
        """For the SLA services' functions, which read and set these same attributes."""
        return cast(SLAClock, self)


CLOCK_COLUMNS = (
    "ticket_id", "policy_id", "metric", "state", "target_seconds", "warn_seconds",
    "started_at", "running_since", "used_seconds", "due_at", "warn_at", "next_check_at",
    "warned_at", "breached_at", "stopped_at",
)  # fmt: skip
MESSAGE_COLUMNS = ("id", "ticket_id", "kind", "author_type", "author_id", "body", "channel",
                   "created_at", "body_html", "channel_message_id")  # fmt: skip
EVENT_COLUMNS = ("ticket_id", "actor_id", "kind", "before", "after", "created_at")


@dataclass
class Rows:
    """What the seed writes, as lines of COPY text; message ids are given here (the
    events name them)."""

    next_message_id: int
    messages: list[str] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    clocks: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)  # new texts for search documents


class Policies:
    """The SLA policy, targets and calendar of each kind of ticket, looked up once."""

    def __init__(self, policies: list[SLAPolicy], queues: dict[int, Any]) -> None:
        self.policies = policies
        self.queues = queues
        self._for: dict[tuple, SLAPolicy | None] = {}
        self._targets: dict[tuple, int | None] = {}
        self._schedules: dict[int, Schedule] = {}
        self.names: dict[int, str] = {p.id: copy_json(p.name) for p in policies}

    def policy(self, priority: int, channel: str, queue_id: int,
               high_profile: bool) -> SLAPolicy | None:  # fmt: skip
        key = (priority, channel, queue_id, high_profile)
        if key not in self._for:
            requester = SimpleNamespace(is_high_profile=high_profile)
            ticket = SimpleNamespace(priority=priority, channel=channel, queue_id=queue_id,
                                     queue=self.queues[queue_id], requester=requester)  # fmt: skip
            self._for[key] = sla.sla_policy_for(ticket, self.policies)  # type: ignore[arg-type]
        return self._for[key]

    def target(self, policy: SLAPolicy, priority: int, metric: str) -> int | None:
        key = (policy.id, priority, metric)
        if key not in self._targets:
            self._targets[key] = sla.target_seconds(policy, priority, metric)
        return self._targets[key]

    def schedule(self, policy: SLAPolicy) -> Schedule:
        if policy.id not in self._schedules:
            self._schedules[policy.id] = sla.schedule_for(policy.calendar)
        return self._schedules[policy.id]


_STATUS = {s: f'{{"status": "{s}"}}' for s in Status.values}
# The kinds as plain strings (an enum's .value costs a descriptor call, fifteen times a ticket).
_CREATED, _STATUS_CHANGED, _ASSIGNED = "created", "status_changed", "assigned"
_PRIORITY_CHANGED, _TAGS_CHANGED, _NOTE_ADDED = "priority_changed", "tags_changed", "note_added"
_REPLY_SENT, _REQUESTER_REPLIED, _MACRO_APPLIED = "reply_sent", "requester_replied", "macro_applied"
_SLA_STARTED, _SLA_FULFILLED = "sla_started", "sla_fulfilled"


class Life:
    """One ticket, from its creation on. ``names``: user id → ``str(user)`` as COPY-ready
    JSON (None → null)."""

    def __init__(self, rows: Rows, policies: Policies, *, tid: int, queue_id: int,
                 queue_slug: str, requester_id: int, priority: int, channel: str,
                 high_profile: bool, tags: list[str], names: dict[int | None, str],
                 sweep_phase: float, sweep_delay: Callable[[], float]) -> None:  # fmt: skip
        self.rows, self.policies = rows, policies
        self.tid, self.queue_id, self.priority, self.channel = tid, queue_id, priority, channel
        self.queue_slug, self.requester_id = queue_slug, requester_id
        self.high_profile, self.tags = high_profile, list(tags)
        self.names = names
        self.sweep_phase, self.sweep_delay = sweep_phase, sweep_delay
        # A sweep found not to have run before an action runs after it: its random delay
        # is drawn again on the next call, and must not put it back before that action.
        self.swept_after: datetime | None = None
        self.status = Status.NEW.value
        self.assignee: int | None = None
        self.created_at: datetime | None = None
        self.updated_at: datetime | None = None
        self.first_reply_at: datetime | None = None
        self.solved_at: datetime | None = None
        self.closed_at: datetime | None = None
        self.clocks: list[Clock] = []
        self.texts: list[str] = []  # what the search document indexes, in order
        self.solves = 0
        self.moments = Moments()

    # ------------------------------------------------------------- writing rows

    def _event(self, at: datetime, actor: int | None, kind: str, before: str = "{}",
               after: str = "{}") -> None:  # fmt: skip
        """One audit event; ``before`` and ``after`` are JSON, ready for COPY."""
        self.rows.events.append(
            f"{self.tid}\t{NULL if actor is None else actor}\t{kind}\t{before}\t{after}\t"
            f"{self.moments[at]}\n"
        )

    def _add_message(self, at: datetime, *, kind: str, author_type: str, author: int | None,
                     body: str, channel: str) -> int:  # fmt: skip
        pk = self.rows.next_message_id
        self.rows.next_message_id += 1
        self.rows.messages.append(
            f"{pk}\t{self.tid}\t{kind}\t{author_type}\t{NULL if author is None else author}\t"
            f"{copy_text(body)}\t{channel}\t{self.moments[at]}\t\t\n"
        )
        self.texts.append(body)
        return pk

    # ------------------------------------------------------------------- clocks

    def _policy(self) -> SLAPolicy | None:
        return self.policies.policy(self.priority, self.channel, self.queue_id,
                                    self.high_profile)  # fmt: skip

    def _new_clock(self, policy: SLAPolicy, metric: str, now: datetime) -> Clock | None:
        """sla._new_clock: armed, paused if the ticket waits on someone else."""
        target = self.policies.target(policy, self.priority, metric)
        if target is None:
            return None
        clock = Clock(policy=policy, metric=metric, target_seconds=target,
                      warn_seconds=sla.warn_seconds(policy, target), started_at=now)  # fmt: skip
        if self.status in PAUSING:
            clock.state = PAUSED
        else:
            clock.running_since = now
            sla.clock_arm(clock.model, self.policies.schedule(policy))
        self.clocks.append(clock)
        return clock

    def _live(self) -> list[Clock]:
        return [c for c in self.clocks if c.state in LIVE]

    def describe(self, clock: Clock) -> str:
        """sla._describe, as JSON."""
        due = f'"{self.moments[clock.due_at]}"' if clock.due_at else "null"
        return (f'{{"metric": "{clock.metric}", "policy": {self.policies.names[clock.policy.id]}, '
                f'"state": "{clock.state}", "due_at": {due}, '
                f'"target_seconds": {clock.target_seconds}, '
                f'"used_seconds": {float(clock.used_seconds)!r}}}')  # fmt: skip

    def _stop(self, clock: Clock, now: datetime, *, fulfilled: bool) -> None:
        """sla._stop."""
        if not fulfilled:
            clock.state = CANCELLED
        elif clock.state == RUNNING:
            clock.state = MET if clock.due_at is None or now <= clock.due_at else MISSED
        else:
            clock.state = MET if clock.used_seconds <= clock.target_seconds else MISSED
        clock.stopped_at = now
        clock.next_check_at = None

    def _pause(self, clock: Clock, now: datetime) -> None:
        """sla._pause."""
        schedule = self.policies.schedule(clock.policy)
        clock.used_seconds += schedule.between(cast(datetime, clock.running_since), now)
        clock.state = PAUSED
        clock.running_since = clock.due_at = clock.warn_at = clock.next_check_at = None

    def _resume(self, clock: Clock, now: datetime) -> None:
        """sla._resume."""
        clock.state = RUNNING
        clock.running_since = now
        sla.clock_arm(clock.model, self.policies.schedule(clock.policy))

    def _sweep_time(self, moment: datetime) -> datetime:
        """When beat's sweep, every SWEEP_EVERY seconds, first runs at or after ``moment``."""
        stamp = moment.timestamp()
        tick = math.ceil((stamp - self.sweep_phase) / SWEEP_EVERY) * SWEEP_EVERY + self.sweep_phase
        return moment + timedelta(seconds=tick - stamp + self.sweep_delay())

    def sweep(self, until: datetime) -> None:
        """Every warning and breach the SLA sweep fires before ``until`` (sla._sweep_batch)."""
        while True:
            due = [c for c in self.clocks if c.next_check_at is not None]
            if not due:
                return
            if len(due) > 1:
                due.sort(key=lambda c: cast(datetime, c.next_check_at))
            now = self._sweep_time(cast(datetime, due[0].next_check_at))
            if self.swept_after is not None and now < self.swept_after:
                now = self.swept_after
            if now >= until:
                self.swept_after = until
                return
            raised = False
            for clock in due:
                if cast(datetime, clock.next_check_at) > now:
                    continue
                if clock.warned_at is None and clock.warn_at is not None and clock.warn_at <= now:
                    clock.warned_at = now
                    actions = clock.policy.warning_actions
                    raised |= self._fire(clock, EventKind.SLA_WARNING, now, actions, raised)
                if clock.breached_at is None and clock.due_at is not None and clock.due_at <= now:
                    clock.warned_at = clock.warned_at or now
                    clock.breached_at = now
                    actions = clock.policy.breach_actions
                    raised |= self._fire(clock, EventKind.SLA_BREACH, now, actions, raised)
                clock.next_check_at = sla.clock_next_check(clock.model)
            if raised:
                self.priority -= 1  # one UPDATE per ticket per sweep batch

    def _fire(self, clock: Clock, kind: EventKind, now: datetime, actions: list[str],
              raised: bool) -> bool:  # fmt: skip
        """_Actions.fire: the event, and a priority raised (once a batch) if the policy says."""
        due_key = "warn_at" if kind == EventKind.SLA_WARNING else "due_at"
        due = cast(datetime, getattr(clock, due_key))
        late = round((now - due).total_seconds(), 1)
        self._event(now, None, kind.value, after=(
            f'{{"metric": "{clock.metric}", "policy": {self.policies.names[clock.policy.id]}, '
            f'"{due_key}": "{self.moments[due]}", "late_by_seconds": {late!r}}}'))  # fmt: skip
        if SLAAction.RAISE_PRIORITY in actions and self.priority > 1 and not raised:
            raised_to = f'{{"priority": {self.priority - 1}, "reason": "{kind.value}"}}'
            self._event(now, None, _PRIORITY_CHANGED,
                        f'{{"priority": {self.priority}}}', raised_to)  # fmt: skip
            return True
        return False

    # ----------------------------------------------------------------- services

    def create(self, now: datetime, *, actor: int | None, body: str) -> None:
        """ticket_create: the first message, "created", and the SLA clocks started."""
        self.created_at = self.updated_at = now
        self._add_message(now, kind="public", author_type="agent" if actor else "requester",
                          author=actor, body=body, channel=self.channel)  # fmt: skip
        self._event(now, actor, _CREATED, after=(
            f'{{"queue": {copy_json(self.queue_slug)}, "priority": {self.priority}, '
            f'"channel": "{self.channel}", "requester": {self.requester_id}}}'))  # fmt: skip
        policy = self._policy()
        if policy is None:
            return
        started = [c for metric in (FIRST_REPLY, RESOLUTION)
                   if (c := self._new_clock(policy, metric, now)) is not None]  # fmt: skip
        if started:
            name, described = self.policies.names[policy.id], ", ".join(map(self.describe, started))
            self._event(now, actor, _SLA_STARTED,
                        after=f'{{"policy": {name}, "clocks": [{described}]}}')  # fmt: skip

    def assign(self, now: datetime, *, actor: int | None, assignee: int | None) -> None:
        """ticket_assign: a new ticket opens when someone takes it."""
        if assignee == self.assignee:
            return
        old = self.assignee
        self.assignee = assignee
        self.updated_at = now
        if assignee is not None and self.status == Status.NEW:
            self.status = Status.OPEN.value
            self._event(now, actor, _STATUS_CHANGED, _STATUS["new"],
                        _STATUS["open"])  # fmt: skip
        self._event(now, actor, _ASSIGNED, self._assignee(old),
                    self._assignee(assignee))  # fmt: skip

    def _assignee(self, pk: int | None) -> str:
        return f'{{"assignee": {"null" if pk is None else pk}, "assignee_name": {self.names[pk]}}}'

    def reply(self, now: datetime, *, actor: int | None, body: str, internal: bool = False,
              status: str | None = None) -> None:  # fmt: skip
        """ticket_reply: a public reply fulfils the reply clocks; a note changes nothing."""
        pk = self._add_message(now, kind="internal" if internal else "public",
                               author_type="agent", author=actor, body=body,
                               channel="web" if internal else "email")  # fmt: skip
        self.updated_at = now
        if not internal:
            if self.first_reply_at is None:
                self.first_reply_at = now
            done = []
            for clock in self._live():
                if clock.metric in REPLY_METRICS:
                    self._stop(clock, now, fulfilled=True)
                    done.append(self.describe(clock))
            if done:
                self._event(now, actor, _SLA_FULFILLED,
                            after=f'{{"clocks": [{", ".join(done)}]}}')  # fmt: skip
        kind = EventKind.NOTE_ADDED if internal else EventKind.REPLY_SENT
        self._event(now, actor, kind.value, after=f'{{"message": {pk}}}')
        if status and status != self.status:
            self.change_status(now, actor=actor, status=status)
        elif not internal and self.status == Status.NEW:
            self.change_status(now, actor=actor, status=Status.OPEN.value)

    def requester_reply(self, now: datetime, *, body: str, channel: str) -> None:
        """ticket_requester_reply: reopens a waiting or solved ticket; a reply is owed."""
        pk = self._add_message(now, kind="public", author_type="requester", author=None,
                               body=body, channel=channel)  # fmt: skip
        self.updated_at = now
        self._event(now, None, _REQUESTER_REPLIED, after=f'{{"message": {pk}}}')
        if self.status in ("pending", "on_hold", "solved"):
            self.change_status(now, actor=None, status=Status.OPEN.value)
        if any(c.metric in REPLY_METRICS for c in self._live()):
            return
        policy = self._policy()
        clock = self._new_clock(policy, NEXT_REPLY, now) if policy else None
        if policy is not None and clock is not None:
            self._event(now, None, _SLA_STARTED, after=(
                f'{{"policy": {self.policies.names[policy.id]}, '
                f'"clocks": [{self.describe(clock)}]}}'))  # fmt: skip

    def change_status(self, now: datetime, *, actor: int | None, status: str) -> None:
        """ticket_change_status and sla_status_changed."""
        old = self.status
        if old == status:
            return
        self.status = status
        self.updated_at = now
        if status == Status.SOLVED:
            self.solved_at = now
            self.solves += 1
        elif status == Status.CLOSED:
            self.closed_at = now
        elif old == Status.SOLVED:
            self.solved_at = None
        self._event(now, actor, _STATUS_CHANGED, _STATUS[old], _STATUS[status])
        changes: dict[EventKind, list[str]] = {}
        for clock in self._live():
            if status in ("solved", "closed"):
                self._stop(clock, now, fulfilled=clock.metric == RESOLUTION)
                kind = EventKind.SLA_CANCELLED if clock.state == CANCELLED \
                    else EventKind.SLA_FULFILLED  # fmt: skip
                changes.setdefault(kind, []).append(self.describe(clock))
            elif status in PAUSING and clock.state == RUNNING:
                self._pause(clock, now)
                changes.setdefault(EventKind.SLA_PAUSED, []).append(self.describe(clock))
            elif status not in PAUSING and clock.state == PAUSED:
                self._resume(clock, now)
                changes.setdefault(EventKind.SLA_RESUMED, []).append(self.describe(clock))
        if old in ("solved", "closed") and status in ACTIVE:
            policy = self._policy()
            started = self._new_clock(policy, RESOLUTION, now) if policy else None
            if started is not None:
                changes.setdefault(EventKind.SLA_STARTED, []).append(self.describe(started))
        for kind, described in changes.items():
            clocks = ", ".join(described)
            self._event(now, actor, kind.value,
                        after=f'{{"clocks": [{clocks}], "status": "{status}"}}')  # fmt: skip

    def apply_macro(self, now: datetime, *, actor: int | None, name: str, language: str,
                    body: str, set_status: str, add_tags: list[str]) -> None:  # fmt: skip
        """macro_apply (for macros that set no priority or queue): the reply, the tags,
        the status, then "macro_applied"."""
        self.reply(now, actor=actor, body=body)
        tags = list(dict.fromkeys([*self.tags, *add_tags]))
        if tags != self.tags:
            self._event(now, actor, _TAGS_CHANGED, copy_json({"tags": self.tags}),
                        copy_json({"tags": tags}))  # fmt: skip
            self.tags = tags
        if set_status:
            self.change_status(now, actor=actor, status=set_status)
        self._event(now, actor, _MACRO_APPLIED,
                    after=copy_json({"macro": name, "language": language}))  # fmt: skip

    # ------------------------------------------------------------------- result

    def finish(self, now: datetime) -> tuple[datetime | None, datetime | None, bool, bool]:
        """Fire what the sweep would have fired by ``now``, write the clocks, and return
        the ticket's SLA columns (sla_summary: due, warning, paused, breached)."""
        self.sweep(now)
        n = self.moments.nullable
        for c in self.clocks:
            self.rows.clocks.append(
                f"{self.tid}\t{c.policy.id}\t{c.metric}\t{c.state}\t{c.target_seconds}\t"
                f"{c.warn_seconds}\t{n(c.started_at)}\t{n(c.running_since)}\t{c.used_seconds!r}\t"
                f"{n(c.due_at)}\t{n(c.warn_at)}\t{n(c.next_check_at)}\t{n(c.warned_at)}\t"
                f"{n(c.breached_at)}\t{n(c.stopped_at)}\n"
            )
        return sla.sla_summary([c.model for c in self._live()])
