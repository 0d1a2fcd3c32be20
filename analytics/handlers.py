"""Facts from the ticket and escalation hooks, written in the change's own transaction:
a change that rolls back leaves no fact, and each change is announced once, so none is
counted twice. One INSERT per change (``facts.write``); the few handlers that need the
ticket's history (a solve, a reopen) read it in one statement.

What each fact means is defined in ``analytics.metrics`` and docs/metrics.md.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import connection
from django.utils import timezone

from analytics import facts
from analytics.facts import FactRow
from escalations import hooks as escalation_hooks
from quality import hooks as quality_hooks
from tickets import hooks
from tickets.models import ACTIVE_STATUSES, Message, SLAClock, Status, Ticket
from tickets.sla import services as sla

DONE = (Status.SOLVED, Status.CLOSED)
REOPEN_WINDOW = timedelta(days=7)
# Statuses in which the requester waits on us (the others wait on them or on a third party).
WAITING_ON_US = (Status.NEW, Status.OPEN)
# What a solve records and a reopen takes back: "as of the last solve".
_PER_SOLVE = ("resolution", "wait", "one_touch", "replies_per_solved")


def _agent(ticket: Ticket, actor_id: int | None = None) -> int | None:
    """Whose work a ticket fact counts as: its assignee, else the agent who acted."""
    return ticket.assignee_id or actor_id


def on_ticket_created(event: hooks.TicketCreated) -> None:
    ticket = event.ticket
    at = ticket.created_at
    agent = _agent(ticket)
    # The backlog's facts name no person: they are counted by queue and ticket slices.
    facts.write([facts.of_ticket(ticket, "created", at, agent_id=agent),
                 facts.of_ticket(ticket, "open", at)])  # fmt: skip


def business_seconds(ticket: Ticket, start: datetime, end: datetime) -> float | None:
    """Business seconds between two moments on the calendar of the ticket's SLA policy
    now; None when no policy applies (there is no business calendar to count on)."""
    policy = sla.sla_policy_for(ticket)
    if policy is None:
        return None
    return sla.schedule_for(policy.calendar).between(start, end)


def on_message_added(event: hooks.MessageAdded) -> None:
    """A public reply by an agent: a reply, and the first reply if it is one (the first
    public agent message after the ticket's creation: for a ticket an agent created, its
    second one). Internal notes and the requester's messages are not replies."""
    message, ticket = event.message, event.ticket
    if message.kind != Message.Kind.PUBLIC or message.author_type != Message.Author.AGENT:
        return
    at = message.created_at
    rows = [facts.of_ticket(ticket, "replies", at, agent_id=message.author_id)]
    if ticket.first_reply_at == at:
        agent = message.author_id
        rows.append(facts.of_ticket(ticket, "first_reply", at, agent_id=agent,
                                    value=(at - ticket.created_at).total_seconds()))  # fmt: skip
        business = business_seconds(ticket, ticket.created_at, at)
        if business is not None:
            rows.append(facts.of_ticket(ticket, "first_reply_business", at, agent_id=agent,
                                        value=business))  # fmt: skip
    facts.write(rows)


_HISTORY_SQL = """
SELECT (SELECT count(*) FROM tickets_event
         WHERE ticket_id = %(ticket)s AND kind = 'reply_sent'),
       (SELECT coalesce(json_agg(json_build_array(e.created_at, e.after ->> 'status')
                                 ORDER BY e.created_at, e.id), '[]')
          FROM tickets_event AS e
         WHERE e.ticket_id = %(ticket)s AND e.kind = 'status_changed')
"""


def wait_seconds(created: datetime, changes: list[tuple[datetime, str]], end: datetime) -> float:
    """Time the requester waited on us: in ``WAITING_ON_US`` statuses from creation (a
    ticket starts new) to ``end``, going by the status changes in order."""
    waited, status, since = 0.0, str(Status.NEW), created
    for at, new in [*changes, (end, "")]:
        if status in WAITING_ON_US:
            waited += max(0.0, (min(at, end) - since).total_seconds())
        status, since = new, at
    return waited


_OPEN_SQL = """
SELECT at, queue_id, language, channel, category, priority, tags, sum(sign)
  FROM analytics_fact WHERE ticket_id = %s AND kind = 'open'
 GROUP BY at, queue_id, language, channel, category, priority, tags
HAVING sum(sign) > 0
"""


def _leave_backlog(ticket_id: int) -> list[FactRow]:
    """Take the ticket out of the backlog exactly as it went in (the queue and slices its
    "open" facts were counted under), whatever changed since."""
    with connection.cursor() as cursor:
        cursor.execute(_OPEN_SQL, [ticket_id])
        found = cursor.fetchall()
    return [
        FactRow(kind="open", at=at, ticket_id=ticket_id, queue_id=queue, language=language,
                channel=channel, category=category, priority=priority, tags=list(tags),
                sign=-1)
        for at, queue, language, channel, category, priority, tags, count in found
        for _n in range(count)
    ]  # fmt: skip


def _solved(ticket: Ticket, actor_id: int | None, now: datetime) -> list[FactRow]:
    with connection.cursor() as cursor:
        cursor.execute(_HISTORY_SQL, {"ticket": ticket.pk})
        replies, history = cursor.fetchone()
    changes = [(datetime.fromisoformat(at), status) for at, status in
               (history if isinstance(history, list) else [])]  # fmt: skip
    agent = _agent(ticket, actor_id)
    rows = [
        *_leave_backlog(ticket.pk),
        facts.of_ticket(ticket, "solved", now, agent_id=agent),
        facts.of_ticket(ticket, "resolution", now, agent_id=agent,
                        value=(now - ticket.created_at).total_seconds()),
        facts.of_ticket(ticket, "wait", now, agent_id=agent,
                        value=wait_seconds(ticket.created_at, changes, now)),
        facts.of_ticket(ticket, "replies_per_solved", now, agent_id=agent, value=replies),
    ]  # fmt: skip
    if replies == 1:
        rows.append(facts.of_ticket(ticket, "one_touch", now, agent_id=agent))
    return rows


_LAST_SOLVE_SQL = """
SELECT kind, at, value, agent_id, sign, queue_id, priority, tags FROM analytics_fact
 WHERE ticket_id = %s AND kind IN ('solved', 'resolution', 'wait', 'one_touch',
                                   'replies_per_solved')
 ORDER BY id
"""


def _reopened(ticket: Ticket, actor_id: int | None, now: datetime) -> list[FactRow]:
    """Reopened: the ticket is open again, and what its last solve recorded no longer
    describes it (taken back at the solve's own moment, as it was counted). A reopen
    within seven days of that solve counts against it."""
    with connection.cursor() as cursor:
        cursor.execute(_LAST_SOLVE_SQL, [ticket.pk])
        history = cursor.fetchall()
    rows = [
        facts.of_ticket(ticket, "reopened", now, agent_id=_agent(ticket, actor_id)),
        facts.of_ticket(ticket, "open", ticket.created_at),
    ]
    solves = [row[1] for row in history if row[0] == "solved" and row[4] > 0]
    if not solves:
        return rows  # solved before analytics kept facts: nothing of it to take back
    last = max(solves)
    net: dict[tuple, int] = {}
    for kind, at, value, agent, sign, queue, priority, tags in history:
        if at == last and kind in _PER_SOLVE:
            key = (kind, value, agent, queue, priority, tuple(tags))
            net[key] = net.get(key, 0) + sign
    for (kind, value, agent, queue, priority, tags), count in net.items():
        rows.extend(
            FactRow(kind=kind, at=last, ticket_id=ticket.pk, queue_id=queue,
                    language=ticket.language or "", channel=ticket.channel or "",
                    category=ticket.category or "", priority=priority, tags=list(tags),
                    agent_id=agent, sign=-1, value=value)
            for _n in range(count)
        )  # fmt: skip
    if now - last <= REOPEN_WINDOW:
        rows.append(facts.of_ticket(ticket, "reopened_7d", last, agent_id=None))
    return rows


def on_status_changed(event: hooks.StatusChanged) -> None:
    ticket, now = event.ticket, timezone.now()
    actor_id = event.actor.pk if event.actor is not None else None
    if event.new in DONE and event.old in ACTIVE_STATUSES:
        facts.write(_solved(ticket, actor_id, ticket.solved_at or ticket.closed_at or now))
    elif event.old in DONE and event.new in ACTIVE_STATUSES:
        facts.write(_reopened(ticket, actor_id, now))


def on_merged(event: hooks.Merged) -> None:
    """A merged ticket is closed without being solved: it leaves the backlog and counts
    as neither solved nor resolved (its conversation goes on in the target)."""
    facts.write(_leave_backlog(event.source.pk))


def on_queue_changed(event: hooks.QueueChanged) -> None:
    """An active ticket moves in the backlog to its new queue."""
    ticket = event.ticket
    if ticket.status in ACTIVE_STATUSES:
        facts.write([*_leave_backlog(ticket.pk),
                     facts.of_ticket(ticket, "open", ticket.created_at)])  # fmt: skip


def on_sla_breach(event: hooks.SLAFired) -> None:
    metric = event.fired.get("metric", "")
    if metric in ("first_reply", "next_reply", "resolution"):
        facts.write([facts.of_ticket(event.ticket, f"sla_breached_{metric}", timezone.now(),
                                     agent_id=event.ticket.assignee_id)])  # fmt: skip


def on_sla_stopped(event: hooks.SLAStopped) -> None:
    """A fulfilled clock is met, or missed; a missed one counts as a breach here only if
    the sweep had not announced it (it stopped late before the sweep's next pass)."""
    ticket, rows = event.ticket, []
    for clock in event.clocks:
        at = clock.stopped_at or timezone.now()
        if clock.state == SLAClock.State.MET:
            rows.append(facts.of_ticket(ticket, f"sla_met_{clock.metric}", at,
                                        agent_id=ticket.assignee_id))  # fmt: skip
        elif clock.state == SLAClock.State.MISSED and clock.breached_at is None:
            rows.append(facts.of_ticket(ticket, f"sla_breached_{clock.metric}", at,
                                        agent_id=ticket.assignee_id))  # fmt: skip
    facts.write(rows)


def on_escalation_raised(event: escalation_hooks.EscalationRaised) -> None:
    ticket = event.ticket
    facts.write([facts.of_ticket(ticket, "escalated", event.escalation.created_at,
                                 agent_id=ticket.assignee_id)])  # fmt: skip


def on_incident_tickets_linked(event: escalation_hooks.TicketsLinked) -> None:
    now = timezone.now()
    facts.write([facts.of_ticket(ticket, "incident_linked", now, agent_id=ticket.assignee_id)
                 for ticket in event.tickets])  # fmt: skip


def on_surveys_sent(event: quality_hooks.SurveysSent) -> None:
    """A survey sent counts for the response rate, credited as its rating would be."""
    facts.write([facts.of_ticket(survey.ticket, "csat_sent", survey.sent_at or timezone.now(),
                                 agent_id=survey.agent_id)
                 for survey in event.surveys if survey.kind == "support"])  # fmt: skip


_COUNTED_SQL = """
SELECT value, agent_id, queue_id, priority, tags, sum(sign) FROM analytics_fact
 WHERE ticket_id = %s AND kind = %s AND at = %s
 GROUP BY value, agent_id, queue_id, priority, tags
HAVING sum(sign) > 0
"""


def _taken_back(ticket: Ticket, kind: str, at: datetime) -> list[FactRow]:
    """What the ticket's facts of ``kind`` counted at ``at``, with the opposite sign:
    exactly as they were counted (their agent, queue and tags then), whatever changed
    since. A changed rating or review score takes its old value back this way."""
    with connection.cursor() as cursor:
        cursor.execute(_COUNTED_SQL, [ticket.pk, kind, at])
        found = cursor.fetchall()
    return [
        FactRow(kind=kind, at=at, ticket_id=ticket.pk, queue_id=queue,
                language=ticket.language or "", channel=ticket.channel or "",
                category=ticket.category or "", priority=priority, tags=list(tags),
                agent_id=agent, sign=-1, value=value)
        for value, agent, queue, priority, tags, count in found
        for _n in range(count)
    ]  # fmt: skip


def on_rated(event: quality_hooks.Rated) -> None:
    """A rating counts at the moment it was first given, at its latest value (1 if good,
    0 if not): a changed rating takes back what was counted there and counts the new
    value at the same moment."""
    survey, ticket = event.survey, event.ticket
    if survey.kind != "support":
        return  # a survey about a decision (enforcement) counts toward no CSAT
    at = survey.rated_at or timezone.now()
    rows = [] if event.first else _taken_back(ticket, "csat", at)
    rows.append(facts.of_ticket(ticket, "csat", at, agent_id=survey.agent_id,
                                value=1.0 if survey.positive else 0.0))  # fmt: skip
    facts.write(rows)


def on_reviewed(event: quality_hooks.Reviewed) -> None:
    """A QA review's score counts at its submission (the IQS is the mean of them); a
    dispute that changes it takes back what was counted there and counts the new score."""
    review, ticket = event.review, event.ticket
    if review.submitted_at is None:
        return
    at = review.submitted_at
    rows = [] if event.previous is None else _taken_back(ticket, "qa", at)
    if review.score is not None:
        rows.append(facts.of_ticket(ticket, "qa", at, agent_id=review.agent_id,
                                    value=review.score))  # fmt: skip
    facts.write(rows)


def connect() -> None:
    hooks.ticket_created.connect(on_ticket_created)
    hooks.message_added.connect(on_message_added)
    hooks.status_changed.connect(on_status_changed)
    hooks.merged.connect(on_merged)
    hooks.queue_changed.connect(on_queue_changed)
    hooks.sla_breach.connect(on_sla_breach)
    hooks.sla_stopped.connect(on_sla_stopped)
    escalation_hooks.escalation_raised.connect(on_escalation_raised)
    escalation_hooks.incident_tickets_linked.connect(on_incident_tickets_linked)
    quality_hooks.surveys_sent.connect(on_surveys_sent)
    quality_hooks.rated.connect(on_rated)
    quality_hooks.reviewed.connect(on_reviewed)
