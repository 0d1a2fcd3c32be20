"""The rollups the hooks keep equal a from-scratch rebuild from the audit trail: a few
thousand random operations through the services, then ``analytics_backfill``."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection

from analytics import backfill
from analytics.fold import fold_all
from escalations import services as esc
from escalations.models import EscalationReason
from quality import services as quality
from tests.analytics.conftest import T0
from tests.tickets import factories as tf
from tickets import services
from tickets.services import TicketConflict, TicketError
from tickets.sla.services import sla_sweep

pytestmark = pytest.mark.django_db

OPERATIONS = 2000


ROLLUPS = ("analytics_hourlyrollup", "analytics_dailyrollup", "analytics_weeklyrollup")


def snapshot(table: str) -> dict:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - a test's own table names
        names = [c.name for c in cursor.description]
        rows = {}
        for row in cursor.fetchall():
            record = dict(zip(names, row, strict=True))
            record.pop("id")
            names_in_key = ("zone", "day", "hour", "dim", "value", "queue_id")
            key = tuple(record.pop(k) for k in names_in_key if k in record)
            rows[key] = {k: (round(v, 3) if isinstance(v, float) else v)
                         for k, v in record.items()}  # fmt: skip
    # A row that sums to nothing is the same as no row.
    return {k: v for k, v in rows.items() if any(x for x in v.values() if x not in (None, []))
            and any(x for x in v.values() if not isinstance(x, list))}  # fmt: skip


def test_random_operations_then_a_rebuild_give_the_same_rollups(floor):
    rng = random.Random(20261130)
    queues = [floor["queues"][k] for k in ("inhouse", "north", "north_t2", "atlas")]
    tf.sla_policy(name="Atlas", queues=[floor["queues"]["atlas"]], calendar_=tf.calendar(
        office_hours=True), targets={p: (30, 60, 240) for p in (1, 2, 3, 4)})  # fmt: skip
    people = floor["people"]
    admin = people["admin"]
    agents = [people[k] for k in ("inhouse_agent", "north_agent", "north2_agent", "atlas_agent",
                                  "inhouse_lead", "north_lead")]  # fmt: skip
    reason = EscalationReason.objects.create(name="Legal", target_team=floor["teams"]["inhouse"],
                                             severity=3)  # fmt: skip
    with time_machine.travel(T0, tick=False):
        incident = esc.incident_open(actor=admin, title="Outage", severity=2)
    tickets: list = []
    now = T0
    done = {"ok": 0, "refused": 0}
    for _n in range(OPERATIONS):
        now += timedelta(minutes=rng.choice([0, 1, 5, 17, 45, 130]))
        with time_machine.travel(now, tick=False):
            op = rng.choices(["create", "reply", "note", "requester", "status", "assign",
                              "move", "priority", "tags", "escalate", "incident", "sweep",
                              "merge", "surveys", "rate"],
                             weights=[14, 14, 3, 6, 12, 6, 3, 3, 3, 1, 1, 4, 1, 2,
                                      4])[0]  # fmt: skip
            if op == "surveys":
                quality.surveys_send_due()
                done["ok"] += 1
                continue
            if op == "create" or not tickets:
                tickets.append(tf.ticket(
                    rng.choice(queues), language=rng.choice(["en", "es", "ar"]),
                    tags=rng.sample(["refund", "login", "vip", "spam"], rng.randint(0, 2)),
                    category=rng.choice(["", "account", "billing"]),
                    channel=rng.choice(["email", "web", "api"]),
                    priority=rng.choice([None, 1, 2, 3, 4]),
                ))  # fmt: skip
                continue
            ticket = rng.choice(tickets)
            ticket.refresh_from_db()
            agent = admin if rng.random() < 0.3 else rng.choice(agents)
            try:
                if op in ("reply", "note"):
                    then = rng.choice([None, None, "pending", "solved"])
                    services.ticket_reply(actor=agent, ticket=ticket, body="An answer.",
                                          internal=op == "note", status=then)  # fmt: skip
                elif op == "requester":
                    services.ticket_requester_reply(ticket=ticket, body="Still there?")
                elif op == "status":
                    services.ticket_change_status(actor=agent, ticket=ticket, status=rng.choice(
                        ["open", "pending", "on_hold", "solved", "solved", "closed"]))  # fmt: skip
                elif op == "assign":
                    services.ticket_assign(actor=admin, ticket=ticket,
                                           assignee=rng.choice([None, *agents]))  # fmt: skip
                elif op == "move":
                    services.ticket_move_queue(actor=admin, ticket=ticket, queue=rng.choice(queues))
                elif op == "priority":
                    services.ticket_set_priority(actor=admin, ticket=ticket,
                                                 priority=rng.choice([1, 2, 3, 4]))  # fmt: skip
                elif op == "tags":
                    services.ticket_set_tags(actor=admin, ticket=ticket, tags=rng.sample(
                        ["refund", "login", "vip", "spam"], rng.randint(0, 3)))  # fmt: skip
                elif op == "escalate":
                    esc.escalation_raise(actor=admin, ticket=ticket, reason=reason, severity=3,
                                         summary="Needs legal")  # fmt: skip
                elif op == "incident":
                    esc.incident_add_tickets(actor=admin, incident=incident, tickets=[ticket])
                elif op == "sweep":
                    sla_sweep()
                elif op == "rate":
                    survey = ticket.surveys.filter(state="sent").order_by("-id").first()
                    score = rng.choice([1, 2, 3, 4, 5])
                    quality.csat_rate(survey_id=survey.pk if survey else 0, score=score,
                                      channel="email",
                                      reason=rng.choice(["", "slow"]) if score < 4 else "",
                                      )  # fmt: skip
                elif op == "merge":
                    target = rng.choice(tickets)
                    services.ticket_merge(actor=admin, source=ticket, target=target,
                                          confirm_different_requesters=True)  # fmt: skip
                done["ok"] += 1
            except (TicketError, TicketConflict, esc.EscalationError, quality.QualityError):
                done["refused"] += 1  # not allowed in the ticket's state: nothing changed
    assert done["ok"] > OPERATIONS / 2 and len(tickets) > OPERATIONS / 15
    fold_all()
    with connection.cursor() as cursor:  # the ratings were counted, some of them changed
        cursor.execute(
            "SELECT count(*) FILTER (WHERE revisions > 0), "
            "count(*) FILTER (WHERE revisions > 1) FROM quality_survey"
        )
        rated, changed = cursor.fetchone()
    assert rated > 10 and changed > 2, (rated, changed)
    live = {t: snapshot(t) for t in ROLLUPS}
    assert live["analytics_hourlyrollup"]
    call_command("analytics_backfill", "--fresh", "--batch", "100")
    rebuilt = {t: snapshot(t) for t in ROLLUPS}
    for table in live:
        missing = set(live[table]) ^ set(rebuilt[table])
        assert not missing, sorted(missing, key=str)[:5]
        for key, values in live[table].items():
            assert rebuilt[table][key] == values, (table, key)
    state = backfill.current()
    assert state is not None and state.finished_at is not None


def test_a_backfill_that_stopped_resumes_where_it_was(floor):
    with time_machine.travel(T0, tick=False):
        for _n in range(30):
            tf.ticket(floor["queues"]["inhouse"])
    state = backfill.start()
    context = {"queue_ids": {}, "queues": {}, "policies": []}
    backfill._batch(state, 10, context)  # a run that stopped after one batch
    state.refresh_from_db()
    assert state.last_ticket_id > 0 and state.finished_at is None
    result = backfill.run(fresh=False, batch=10)
    assert (result.done, result.total) == (30, 30)
    with connection.cursor() as cursor:
        cursor.execute("SELECT sum(created) FROM analytics_hourlyrollup WHERE dim = ''")
        assert cursor.fetchone()[0] == 30
