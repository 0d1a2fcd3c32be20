"""Facts rebuilt from a ticket's audit trail, for ``analytics_backfill``.

The audit events (``tickets_event``) say everything the hooks announced: replaying a
ticket's events in order with the rules of ``analytics.handlers`` gives the facts the
hooks would have written, dated and sliced as the ticket was at each moment (its queue,
priority, tags and assignee are rewound from the events' before/after values). The
vendor and team of a person are those they have now: accounts keep no history of them.
tests/analytics/test_backfill.py checks a replay equals the live facts after thousands of
random operations.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from analytics.facts import FactRow
from analytics.handlers import (
    _PER_SOLVE,
    DONE,
    REOPEN_WINDOW,
    WAITING_ON_US,
    wait_seconds,
)
from tickets.models import ACTIVE_STATUSES, SLAPolicy, Status
from tickets.sla import services as sla


@dataclass
class TicketRow:
    id: int
    created_at: datetime
    queue_id: int
    priority: int
    tags: list[str]
    assignee_id: int | None
    language: str
    channel: str
    category: str
    high_profile: bool


@dataclass
class EventRow:
    kind: str
    actor_id: int | None
    before: dict
    after: dict
    at: datetime


class _Replay:
    def __init__(self, ticket: TicketRow, events: list[EventRow], queue_ids: dict[str, int],
                 queues: dict[int, Any], policies: list[SLAPolicy]) -> None:  # fmt: skip
        self.t = ticket
        self.events = events
        self.queue_ids = queue_ids
        self.queues = queues
        self.policies = policies
        self.rows: list[FactRow] = []
        # The ticket as it was at creation: each property's first recorded "before".
        self.queue = ticket.queue_id
        self.priority = ticket.priority
        self.tags = list(ticket.tags)
        self.assignee = ticket.assignee_id
        seen: set[str] = set()
        for event in events:
            if event.kind in seen:
                continue
            if event.kind == "queue_changed" and "queue" in event.before:
                self.queue = queue_ids.get(event.before["queue"], self.queue)
            elif event.kind == "priority_changed" and "priority" in event.before:
                self.priority = event.before["priority"]
            elif event.kind == "tags_changed" and "tags" in event.before:
                self.tags = list(event.before["tags"])
            elif event.kind == "assigned" and "assignee" in event.before:
                self.assignee = event.before["assignee"]
            else:
                continue
            seen.add(event.kind)
        self.status = Status.NEW
        self.changes: list[tuple[datetime, str]] = []
        self.replies = 0
        self.first_reply_done = False
        self.swept: set[str] = set()  # metrics whose running clock the sweep breached

    def fact(self, kind: str, at: datetime, *, agent: int | None = None, sign: int = 1,
             value: float | None = None) -> FactRow:  # fmt: skip
        row = FactRow(kind=kind, at=at, ticket_id=self.t.id, queue_id=self.queue,
                      language=self.t.language, channel=self.t.channel,
                      category=self.t.category, priority=self.priority, tags=list(self.tags),
                      agent_id=agent, sign=sign, value=value)  # fmt: skip
        self.rows.append(row)
        return row

    def leave_backlog(self) -> None:
        net: dict[tuple, int] = {}
        for row in self.rows:
            if row.kind == "open":
                key = (row.at, row.queue_id, row.priority, tuple(row.tags))
                net[key] = net.get(key, 0) + row.sign
        for (at, queue, priority, tags), count in net.items():
            for _n in range(max(0, count)):
                self.rows.append(FactRow(
                    kind="open", at=at, ticket_id=self.t.id, queue_id=queue,
                    language=self.t.language, channel=self.t.channel, category=self.t.category,
                    priority=priority, tags=list(tags), sign=-1,
                ))  # fmt: skip

    def business(self, start: datetime, end: datetime) -> float | None:
        ticket = SimpleNamespace(
            priority=self.priority, channel=self.t.channel, queue_id=self.queue,
            queue=self.queues.get(self.queue), tags=self.tags, category=self.t.category,
            language=self.t.language,
            requester=SimpleNamespace(is_high_profile=self.t.high_profile),
        )  # fmt: skip
        policy = sla.sla_policy_for(ticket, self.policies)  # type: ignore[arg-type]
        if policy is None:
            return None
        return sla.schedule_for(policy.calendar).between(start, end)

    def solve(self, at: datetime, actor: int | None) -> None:
        agent = self.assignee or actor
        self.leave_backlog()
        self.fact("solved", at, agent=agent)
        self.fact("resolution", at, agent=agent, value=(at - self.t.created_at).total_seconds())
        self.fact("wait", at, agent=agent, value=wait_seconds(self.t.created_at, self.changes, at))
        self.fact("replies_per_solved", at, agent=agent, value=self.replies)
        if self.replies == 1:
            self.fact("one_touch", at, agent=agent)

    def reopen(self, at: datetime, actor: int | None) -> None:
        self.fact("reopened", at, agent=self.assignee or actor)
        self.fact("open", self.t.created_at)
        solves = [row.at for row in self.rows if row.kind == "solved" and row.sign > 0]
        if not solves:
            return
        last = max(solves)
        net: dict[tuple, int] = {}
        for row in self.rows:
            if row.at == last and row.kind in _PER_SOLVE:
                key = (row.kind, row.value, row.agent_id, row.queue_id, row.priority,
                       tuple(row.tags))  # fmt: skip
                net[key] = net.get(key, 0) + row.sign
        for (kind, value, agent, queue, priority, tags), count in net.items():
            for _n in range(max(0, count)):
                self.rows.append(FactRow(
                    kind=kind, at=last, ticket_id=self.t.id, queue_id=queue,
                    language=self.t.language, channel=self.t.channel, category=self.t.category,
                    priority=priority, tags=list(tags), agent_id=agent, sign=-1, value=value,
                ))  # fmt: skip
        if at - last <= REOPEN_WINDOW:
            self.fact("reopened_7d", last)

    def run(self) -> list[FactRow]:
        for event in self.events:
            handler = getattr(self, f"on_{event.kind}", None)
            if handler is not None:
                handler(event)
        return self.rows

    # ------------------------------------------------------------- one per kind

    def on_created(self, event: EventRow) -> None:
        self.fact("created", self.t.created_at, agent=self.assignee)
        self.fact("open", self.t.created_at)

    def on_status_changed(self, event: EventRow) -> None:
        old, new = self.status, event.after.get("status", self.status)
        self.status = new
        self.changes.append((event.at, new))
        if new in DONE and old in ACTIVE_STATUSES:
            self.solve(event.at, event.actor_id)
        elif old in DONE and new in ACTIVE_STATUSES:
            self.reopen(event.at, event.actor_id)

    def on_assigned(self, event: EventRow) -> None:
        self.assignee = event.after.get("assignee")

    def on_priority_changed(self, event: EventRow) -> None:
        self.priority = event.after.get("priority", self.priority)

    def on_tags_changed(self, event: EventRow) -> None:
        self.tags = list(event.after.get("tags", self.tags))

    def on_queue_changed(self, event: EventRow) -> None:
        self.queue = self.queue_ids.get(event.after.get("queue", ""), self.queue)
        if self.status in ACTIVE_STATUSES:
            self.leave_backlog()
            self.fact("open", self.t.created_at)

    def on_reply_sent(self, event: EventRow) -> None:
        self.replies += 1
        agent = event.actor_id
        self.fact("replies", event.at, agent=agent)
        if not self.first_reply_done:
            self.first_reply_done = True
            self.fact("first_reply", event.at, agent=agent,
                      value=(event.at - self.t.created_at).total_seconds())  # fmt: skip
            business = self.business(self.t.created_at, event.at)
            if business is not None:
                self.fact("first_reply_business", event.at, agent=agent, value=business)

    def on_merged_into(self, event: EventRow) -> None:
        self.leave_backlog()
        self.status = Status.CLOSED

    def on_sla_started(self, event: EventRow) -> None:
        for clock in event.after.get("clocks", []):
            self.swept.discard(clock.get("metric"))

    def on_sla_breach(self, event: EventRow) -> None:
        metric = event.after.get("metric", "")
        if metric in ("first_reply", "next_reply", "resolution"):
            self.swept.add(metric)
            self.fact(f"sla_breached_{metric}", event.at, agent=self.assignee)

    def on_sla_fulfilled(self, event: EventRow) -> None:
        for clock in event.after.get("clocks", []):
            metric, state = clock.get("metric"), clock.get("state")
            if state == "met":
                self.fact(f"sla_met_{metric}", event.at, agent=self.assignee)
            elif state == "missed" and metric not in self.swept:
                self.fact(f"sla_breached_{metric}", event.at, agent=self.assignee)

    def on_escalation_raised(self, event: EventRow) -> None:
        self.fact("escalated", event.at, agent=self.assignee)

    def on_incident_linked(self, event: EventRow) -> None:
        self.fact("incident_linked", event.at, agent=self.assignee)

    def on_csat_sent(self, event: EventRow) -> None:
        if event.after.get("kind", "support") != "support":
            return
        self.fact("csat_sent", event.at, agent=event.after.get("agent"))

    def _take_back(self, kind: str, at: datetime) -> None:
        """Take back the facts of ``kind`` counted at ``at``, exactly as counted."""
        net: dict[tuple, int] = {}
        for row in self.rows:
            if row.kind == kind and row.at == at:
                key = (row.value, row.agent_id, row.queue_id, row.priority, tuple(row.tags))
                net[key] = net.get(key, 0) + row.sign
        for (value, agent, queue, priority, tags), count in net.items():
            for _n in range(max(0, count)):
                self.rows.append(FactRow(
                    kind=kind, at=at, ticket_id=self.t.id, queue_id=queue,
                    language=self.t.language, channel=self.t.channel, category=self.t.category,
                    priority=priority, tags=list(tags), agent_id=agent, sign=-1, value=value,
                ))  # fmt: skip

    def on_qa_reviewed(self, event: EventRow) -> None:
        after = event.after
        at = datetime.fromisoformat(after["at"]) if after.get("at") else event.at
        if after.get("score") is not None:
            self.fact("qa", at, agent=after.get("agent"), value=float(after["score"]))

    def on_qa_rescored(self, event: EventRow) -> None:
        after = event.after
        at = datetime.fromisoformat(after["at"]) if after.get("at") else event.at
        self._take_back("qa", at)
        if after.get("score") is not None:
            self.fact("qa", at, agent=after.get("agent"), value=float(after["score"]))

    def on_csat_rated(self, event: EventRow) -> None:
        after = event.after
        if after.get("kind", "support") != "support":
            return
        rated_at = datetime.fromisoformat(after["rated_at"]) if after.get("rated_at") else event.at
        if event.before:
            self._take_back("csat", rated_at)
        self.fact("csat", rated_at, agent=after.get("agent"),
                  value=1.0 if after.get("positive") else 0.0)  # fmt: skip


def replay(ticket: TicketRow, events: list[EventRow], *, queue_ids: dict[str, int],
           queues: dict[int, Any], policies: list[SLAPolicy]) -> list[FactRow]:  # fmt: skip
    """The facts of one ticket, from its events in order."""
    return _Replay(ticket, events, queue_ids, queues, policies).run()


__all__ = ["WAITING_ON_US", "EventRow", "TicketRow", "replay"]
