"""Ticket hooks (tickets.hooks): each change announces itself once, inside the change's
transaction, with what changed; a handler's exception rolls the change back; tickets
itself imports no app that builds on it (the import-linter contracts say so too)."""

from __future__ import annotations

import ast
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.db import connection

from tests.tickets import factories as tf
from tickets import hooks, services
from tickets.models import Status, Ticket

pytestmark = pytest.mark.django_db
ALL = {
    "ticket_created": hooks.ticket_created, "message_added": hooks.message_added,
    "status_changed": hooks.status_changed, "assigned": hooks.assigned,
    "tags_added": hooks.tags_added, "merged": hooks.merged,
    "sla_warning": hooks.sla_warning, "sla_breach": hooks.sla_breach,
}  # fmt: skip


@contextmanager
def heard():
    """Every announcement made inside the block, as (hook name, event, in a transaction)."""
    got: list[tuple[str, object, bool]] = []
    handlers = {}
    for name, hook in ALL.items():

        def handler(event, name=name):  # type: ignore[no-untyped-def]
            got.append((name, event, connection.in_atomic_block))

        handlers[name] = hook.connect(handler)
    try:
        yield got
    finally:
        for name, hook in ALL.items():
            hook.disconnect(handlers[name])


def names(got) -> list[str]:  # type: ignore[no-untyped-def]
    return [name for name, _event, _atomic in got]


def test_each_change_is_announced_once_inside_its_transaction(desk):
    agent = desk["people"]["inhouse_agent"]
    queue = desk["queues"]["inhouse"]
    with heard() as got:
        ticket = tf.ticket(queue)
    assert names(got) == ["ticket_created"]
    assert got[0][1].ticket.pk == ticket.pk and got[0][2]

    with heard() as got:
        services.ticket_assign(actor=agent, ticket=ticket, assignee=agent)
    assert names(got) == ["status_changed", "assigned"]
    assert (got[0][1].old, got[0][1].new) == (Status.NEW, Status.OPEN)
    assert (got[1][1].old, got[1][1].new, got[1][1].actor) == (None, agent.pk, agent)

    with heard() as got:
        message = services.ticket_reply(actor=agent, ticket=ticket, body="Looking into it.",
                                        internal=True)  # fmt: skip
    assert names(got) == ["message_added"]
    assert got[0][1].message.pk == message.pk

    with heard() as got:
        services.ticket_set_tags(actor=agent, ticket=ticket, tags=["billing", "vip"])
        services.ticket_set_tags(actor=agent, ticket=ticket, tags=["billing", "vip", "fraud"])
        services.ticket_set_tags(actor=agent, ticket=ticket, tags=["billing"])
    assert names(got) == ["tags_added", "tags_added"]
    assert [event.tags for _n, event, _a in got] == [frozenset({"billing", "vip"}),
                                                     frozenset({"fraud"})]  # fmt: skip

    with heard() as got:
        services.ticket_change_status(actor=agent, ticket=ticket, status=Status.PENDING)
        services.ticket_requester_reply(ticket=ticket, body="Here is the receipt.")
    assert names(got) == ["status_changed", "message_added", "status_changed"]
    assert (got[2][1].old, got[2][1].new) == (Status.PENDING, Status.OPEN)

    other = tf.ticket(queue, requester_=ticket.requester)
    with heard() as got:
        services.ticket_merge(actor=agent, source=other, target=ticket)
    assert names(got) == ["merged"]
    assert (got[0][1].source.pk, got[0][1].target.pk) == (other.pk, ticket.pk)
    assert all(atomic for _n, _e, atomic in got)


def test_nothing_is_announced_when_nothing_changes(desk):
    agent = desk["people"]["inhouse_agent"]
    ticket = tf.ticket(desk["queues"]["inhouse"])
    ticket = services.ticket_assign(actor=agent, ticket=ticket, assignee=agent)
    with heard() as got:
        services.ticket_assign(actor=agent, ticket=ticket, assignee=agent)
        services.ticket_change_status(actor=agent, ticket=ticket, status=ticket.status)
        services.ticket_set_tags(actor=agent, ticket=ticket, tags=[])
    assert got == []


def test_a_handler_that_fails_rolls_the_change_back(desk):
    agent = desk["people"]["inhouse_agent"]
    ticket = tf.ticket(desk["queues"]["inhouse"])

    def refuse(event):  # type: ignore[no-untyped-def]
        raise RuntimeError("handler failed")

    hooks.status_changed.connect(refuse)
    try:
        with pytest.raises(RuntimeError):
            services.ticket_change_status(actor=agent, ticket=ticket, status=Status.PENDING)
    finally:
        hooks.status_changed.disconnect(refuse)
    assert Ticket.objects.get(pk=ticket.pk).status == Status.NEW
    assert not ticket.events.filter(kind="status_changed").exists()


def test_the_sla_sweep_announces_warnings_and_breaches(desk):
    t0 = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)
    tf.sla_policy(name="Hooks", queues=[desk["queues"]["inhouse"]],
                  warning_actions=["notify_assignee"], breach_actions=["escalate"])  # fmt: skip
    with time_machine.travel(t0, tick=False):
        ticket = tf.ticket(desk["queues"]["inhouse"])
    with heard() as got:
        for hours in (1, 3, 30, 80):
            with time_machine.travel(t0 + timedelta(hours=hours), tick=False):
                services.sla_sweep()
    fired = [(name, event.ticket.pk, event.fired["metric"], event.escalate)
             for name, event, _atomic in got]  # fmt: skip
    assert ("sla_warning", ticket.pk, "first_reply", False) in fired
    assert ("sla_breach", ticket.pk, "first_reply", True) in fired
    assert len(fired) == len(set(fired))  # each clock's warning and breach once


def test_tickets_imports_no_app_that_builds_on_it():
    root = Path(settings.BASE_DIR) / "tickets"
    above = ("escalations", "sops", "demo", "helpdesk")
    found = []
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            modules = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])  # fmt: skip
            found += [f"{path.relative_to(root)}: {m}" for m in modules
                      if m.split(".")[0] in above]  # fmt: skip
    assert found == []
