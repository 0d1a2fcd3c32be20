"""The seed's play of a ticket's life (demo.lifecycle.Life) writes exactly what the real
ticket and SLA services write for the same steps at the same moments: messages, audit
events (kind, actor, before, after, time), SLA clocks and the ticket's columns."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest
import time_machine

from accounts.models import User
from demo import seed as demo
from demo.lifecycle import Life, Policies, Rows, copy_json
from tickets import services
from tickets.events import EventKind
from tickets.models import Macro, Message, Queue, Requester, SLAClock, Ticket
from tickets.sla import services as sla

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday morning
_UNESCAPE = {"\\": "\\", "n": "\n", "t": "\t", "r": "\r"}
TIMES = ("created_at", "started_at", "running_since", "due_at", "warn_at", "next_check_at",
         "warned_at", "breached_at", "stopped_at")  # fmt: skip


def _field(text: str) -> str | None:
    if text == "\\N":
        return None
    out, chars = [], iter(text)
    for char in chars:
        out.append(_UNESCAPE[next(chars)] if char == "\\" else char)
    return "".join(out)


def _fields(line: str, names: tuple[str, ...]) -> dict[str, Any]:
    return dict(zip(names, (_field(f) for f in line.rstrip("\n").split("\t")), strict=True))


def _moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _played(rows: Rows) -> tuple[list[dict], list[dict], list[dict]]:
    messages = [_fields(line, ("id", "ticket_id", "kind", "author_type", "author_id", "body",
                               "channel", "created_at", "body_html", "channel_message_id"))
                for line in rows.messages]  # fmt: skip
    events = [_fields(line, ("ticket_id", "actor_id", "kind", "before", "after", "created_at"))
              for line in rows.events]  # fmt: skip
    clocks = [_fields(line, ("ticket_id", "policy_id", "metric", "state", "target_seconds",
                             "warn_seconds", "started_at", "running_since", "used_seconds",
                             "due_at", "warn_at", "next_check_at", "warned_at", "breached_at",
                             "stopped_at")) for line in rows.clocks]  # fmt: skip
    for row in messages:
        row["id"], row["created_at"] = int(row["id"]), _moment(row["created_at"])
        row["author_id"] = int(row["author_id"]) if row["author_id"] else None
    for row in events:
        row["actor_id"] = int(row["actor_id"]) if row["actor_id"] else None
        row["before"], row["after"] = json.loads(row["before"]), json.loads(row["after"])
        row["created_at"] = _moment(row["created_at"])
    for row in clocks:
        for name in TIMES[1:]:
            row[name] = _moment(row[name])
        row["policy_id"] = int(row["policy_id"])
        row["target_seconds"], row["warn_seconds"] = (int(row["target_seconds"]),
                                                      int(row["warn_seconds"]))  # fmt: skip
        row["used_seconds"] = float(row["used_seconds"])
    return messages, events, clocks


def _message_order(events: list[dict], message_ids: list[int]) -> list[tuple]:
    """Events as comparable tuples, a message named by its place in the conversation."""
    out = []
    for e in events:
        after = dict(e["after"])
        if "message" in after:
            after["message"] = message_ids.index(after["message"])
        out.append((e["kind"], e["actor_id"], e["before"], after, e["created_at"]))
    return out


def _compare(ticket: Ticket, life: Life, rows: Rows, now: datetime) -> None:
    """What was played up to ``now`` against what the services wrote."""
    due, warn, paused, breached = life.finish(now)
    messages, events, clocks = _played(rows)
    ticket.refresh_from_db()
    real_messages = list(Message.objects.filter(ticket=ticket).order_by("created_at", "id")
                         .values("id", "kind", "author_type", "author_id", "body", "channel",
                                 "created_at"))  # fmt: skip
    shown = ("kind", "author_type", "author_id", "body", "channel", "created_at")
    assert [[m[k] for k in shown] for m in messages] == [[m[k] for k in shown]
                                                         for m in real_messages]  # fmt: skip
    real_events = list(ticket.events.filter(kind__in=EventKind.values).order_by("created_at", "id")
                       .values("kind", "actor_id", "before", "after", "created_at"))  # fmt: skip
    assert _message_order(events, [m["id"] for m in messages]) == _message_order(
        real_events, [m["id"] for m in real_messages])  # fmt: skip
    real_clocks = list(SLAClock.objects.filter(ticket=ticket).order_by("id").values(
        "policy_id", "metric", "state", "target_seconds", "warn_seconds", "used_seconds",
        *TIMES[1:]))  # fmt: skip
    assert [{k: c[k] for k in real_clocks[0]} for c in clocks] == real_clocks
    assert (life.status, life.priority, life.assignee, life.first_reply_at, life.solved_at,
            life.closed_at, life.updated_at, due, warn, paused, breached, life.tags) == (
        ticket.status, ticket.priority, ticket.assignee_id, ticket.first_reply_at,
        ticket.solved_at, ticket.closed_at, ticket.updated_at, ticket.sla_due_at,
        ticket.sla_warn_at, ticket.sla_paused, ticket.sla_breached, ticket.tags)  # fmt: skip


def _life(ticket: Ticket, rows: Rows, policies: Policies) -> Life:
    names: dict[int | None, str] = {None: "null"}
    names.update({u.pk: copy_json(str(u)) for u in User.objects.all()})
    return Life(rows, policies, tid=ticket.pk, queue_id=ticket.queue_id,
                queue_slug=ticket.queue.slug, requester_id=ticket.requester_id,
                priority=ticket.priority, channel=ticket.channel,
                high_profile=ticket.requester.is_high_profile, tags=list(ticket.tags),
                names=names, sweep_phase=0.0, sweep_delay=lambda: 0.25)  # fmt: skip


def _fired(rows: Rows, since: int) -> list[datetime]:
    """When the played sweep fired the events from ``since`` on: the real one runs then."""
    names = ("ticket_id", "actor_id", "kind", "before", "after", "created_at")
    return sorted({cast(datetime, _moment(_fields(line, names)["created_at"]))
                   for line in rows.events[since:]})  # fmt: skip


def _run(steps: list[tuple[datetime, str, dict]], real: dict) -> None:
    """Each step through the real services, in its moment."""
    for at, service, kwargs in steps:
        with time_machine.travel(at, tick=False):
            real[service](at, **kwargs)


@pytest.fixture
def people():
    demo.seed_organisation()
    return {u.email.split("@")[0]: u for u in User.objects.filter(email__endswith="@example.com")}


def test_a_requesters_ticket_answered_by_macro_breached_solved_reopened_and_closed(people):
    agent, lead = people["agent"], people["lead"]
    queue = Queue.objects.get(name="General Support")
    requester = Requester.objects.create(email="maya@example.net", name="Maya Lopez")
    macro = Macro.objects.get(name="Password reset steps", language="en")
    with time_machine.travel(T0, tick=False):
        ticket = services.ticket_create(actor=None, requester=requester, queue=queue,
                                        subject="Cannot log in", body="The code is wrong.",
                                        channel="email", language="en", category="account",
                                        tags=["2fa"], priority=3)  # fmt: skip
    body = services.macro_render(macro, ticket=ticket, agent=agent)
    plan: list[tuple[float, str, dict]] = [
        (20 * 60, "assign", {"actor": lead.pk, "assignee": agent.pk}),
        (30 * 60, "note", {"actor": agent.pk, "body": "Requester verified via email."}),
        (40 * 60, "macro", {"actor": agent.pk, "body": body}),
        (3 * 3600, "requester_reply", {"body": "Still the same error.", "channel": "email"}),
        (12 * 3600, "reply", {"actor": agent.pk, "body": "Fixed.", "status": "solved"}),
        (20 * 3600, "requester_reply", {"body": "It happened again.", "channel": "email"}),
        (21 * 3600, "change_status", {"actor": agent.pk, "status": "solved"}),
        ((21 + 96) * 3600 + 120, "close", {}),
    ]
    rows = Rows(next_message_id=1)
    life = _life(ticket, rows, Policies(sla.active_policies(), {queue.pk: queue}))
    life.create(T0, actor=None, body="The code is wrong.")
    play = {
        "assign": life.assign, "reply": life.reply, "requester_reply": life.requester_reply,
        "change_status": life.change_status,
        "note": lambda at, **kw: life.reply(at, internal=True, **kw),
        "macro": lambda at, actor, body: life.apply_macro(
            at, actor=actor, name=macro.name, language=macro.language, body=body,
            set_status=macro.set_status, add_tags=macro.add_tags),
        "close": lambda at: life.change_status(at, actor=None, status="closed"),
    }  # fmt: skip
    users = {u.pk: u for u in people.values()}
    real = {
        "assign": lambda at, actor, assignee: services.ticket_assign(
            actor=users[actor], ticket=ticket, assignee=users[assignee]),
        "reply": lambda at, actor, body, status=None: services.ticket_reply(
            actor=users[actor], ticket=ticket, body=body, status=status),
        "note": lambda at, actor, body: services.ticket_reply(
            actor=users[actor], ticket=ticket, body=body, internal=True),
        "macro": lambda at, actor, body: services.macro_apply(
            actor=users[actor], ticket=ticket, macro=macro),
        "requester_reply": lambda at, body, channel: services.ticket_requester_reply(
            ticket=ticket, body=body, channel=channel),
        "change_status": lambda at, actor, status: services.ticket_change_status(
            actor=users[actor], ticket=ticket, status=status),
        "close": lambda at: services.tickets_close_quiet_solved(quiet_for=timedelta(hours=96)),
        "sweep": lambda at: services.sla_sweep(now=at),
    }  # fmt: skip
    steps = []
    for offset, service, kwargs in plan:
        at = T0 + timedelta(seconds=offset)
        before = len(rows.events)
        life.sweep(at)
        steps += [(fired, "sweep", {}) for fired in _fired(rows, before)]
        play[service](at, **kwargs)
        steps.append((at, service, kwargs))
    _run(steps, real)

    kinds = [line.split("\t")[2] for line in rows.events]
    assert {"sla_warning", "sla_breach", "tags_changed", "macro_applied", "sla_paused",
            "sla_resumed", "sla_cancelled"} <= set(kinds)  # fmt: skip
    assert life.status == "closed" and life.solves == 2
    _compare(ticket, life, rows, steps[-1][0])


def test_an_agents_ticket_for_a_high_profile_requester_breaches_and_is_raised(people):
    agent = people["agent"]
    queue = Queue.objects.get(name="General Support")
    requester = Requester.objects.create(email="star@example.net", name="Star",
                                         is_high_profile=True)  # fmt: skip
    with time_machine.travel(T0, tick=False):
        ticket = services.ticket_create(actor=agent, requester=requester, queue=queue,
                                        subject="Phone call", body="Called about a refund.",
                                        channel="web", language="en", category="billing",
                                        priority=3)  # fmt: skip
    rows = Rows(next_message_id=1)
    life = _life(ticket, rows, Policies(sla.active_policies(), {queue.pk: queue}))
    life.create(T0, actor=agent.pk, body="Called about a refund.")
    steps = []
    at = T0 + timedelta(minutes=1)
    life.assign(at, actor=agent.pk, assignee=agent.pk)
    steps.append((at, "assign", {}))
    at = T0 + timedelta(minutes=90)
    before = len(rows.events)
    life.sweep(at)
    fired = _fired(rows, before)
    assert len(fired) == 2  # the warning, then the breach
    steps += [(moment, "sweep", {}) for moment in fired]
    life.reply(at, actor=agent.pk, body="We have refunded you.")
    steps.append((at, "reply", {}))
    _run(steps, {
        "assign": lambda at: services.ticket_assign(actor=agent, ticket=ticket, assignee=agent),
        "sweep": lambda at: services.sla_sweep(now=at),
        "reply": lambda at: services.ticket_reply(actor=agent, ticket=ticket,
                                                  body="We have refunded you."),
    })  # fmt: skip

    assert life.priority == 2  # the policy raises it on a breach
    assert life.first_reply_at == at  # the agent's own first message is no reply
    _compare(ticket, life, rows, at)
