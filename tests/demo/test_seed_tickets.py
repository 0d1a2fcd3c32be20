"""The demo and benchmark seed (demo.tickets.seed_tickets): tickets arrive like a real
operation's, and their history is what the services would have written."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, transaction

from demo import seed as demo
from demo.arrivals import DEMO_SPIKE, queue_time_zone
from demo.tickets import seed_tickets
from tickets import timeline
from tickets.models import Event, Message, Queue, SLAClock, Ticket
from tickets.search import config_for

NOW = datetime(2026, 3, 18, 14, 40, 12, tzinfo=UTC)  # a Wednesday afternoon
DAYS = 120


@dataclass
class Seeded:
    stats: object
    tickets: dict[int, dict]
    messages: dict[int, list[dict]] = field(default_factory=lambda: defaultdict(list))
    events: dict[int, list[dict]] = field(default_factory=lambda: defaultdict(list))
    clocks: dict[int, list[dict]] = field(default_factory=lambda: defaultdict(list))
    zones: dict[int, ZoneInfo] = field(default_factory=dict)
    sentences: int = 0
    documents_as_the_services_build_them: int = 0
    documents_checked: int = 0


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker) -> Seeded:
    """2,000 tickets over 120 days with the demo's spike, read back, then rolled back."""
    with django_db_blocker.unblock(), transaction.atomic():
        demo.seed_organisation()
        stats = seed_tickets(2000, seed=5, days=DAYS, spike=DEMO_SPIKE, now=NOW)
        data = Seeded(stats=stats, tickets={t["id"]: t for t in Ticket.objects.values()})
        for m in Message.objects.order_by("created_at", "id").values():
            data.messages[m["ticket_id"]].append(m)
        for e in Event.objects.order_by("created_at", "id").values():
            data.events[e["ticket_id"]].append(e)
        for c in SLAClock.objects.order_by("id").values():
            data.clocks[c["ticket_id"]].append(c)
        data.zones = {q.pk: ZoneInfo(queue_time_zone(q.languages)) for q in Queue.objects.all()}
        # Every seeded timeline reads as sentences (the shapes are the services' own).
        for ticket in Ticket.objects.order_by("id")[::40]:
            events = list(Event.objects.filter(ticket=ticket).select_related("actor")
                          .order_by("-created_at", "-id"))  # fmt: skip
            data.sentences += len(timeline.ticket_entries(events))
        # The search document, as the services build it: the subject and first message,
        # then each later message appended (||), each stemmed in the ticket's language.
        sample = list(Ticket.objects.order_by("id")[::40])
        with connection.cursor() as cursor:
            for ticket in sample:
                bodies = list(ticket.messages.order_by("created_at", "id")
                              .values_list("body", flat=True))  # fmt: skip
                texts = [f"{ticket.subject}\n{bodies[0]}", *bodies[1:]]
                config = config_for(ticket.language)
                cursor.execute(
                    "SELECT search_vector = ("  # noqa: S608 - placeholders only
                    + " || ".join(["to_tsvector(%s::regconfig, %s)"] * len(texts))
                    + ") FROM tickets_ticket WHERE id = %s",
                    [*(x for text in texts for x in (config, text)), ticket.pk],
                )
                data.documents_as_the_services_build_them += cursor.fetchone()[0]
        data.documents_checked = len(sample)
        transaction.set_rollback(True)
    return data


def _solves(events: list[dict]) -> list[dict]:
    return [e for e in events
            if e["kind"] == "status_changed" and e["after"] == {"status": "solved"}]  # fmt: skip


def test_tickets_arrive_over_at_least_ninety_days_and_none_after_now(seeded):
    created = [t["created_at"] for t in seeded.tickets.values()]
    assert len(created) == 2000
    assert max(created) <= NOW
    assert max(created) - min(created) >= timedelta(days=90)
    days = {c.date() for c in created}
    assert len(days) >= 110  # every week of the window has tickets, nearly every day


def test_weekdays_are_busier_than_weekends_and_midday_than_night(seeded):
    by_weekday: Counter[int] = Counter()
    by_hour: Counter[int] = Counter()
    for t in seeded.tickets.values():
        local = t["created_at"].astimezone(seeded.zones[t["queue_id"]])
        by_weekday[local.weekday()] += 1
        by_hour[local.hour] += 1
    weekday = sum(by_weekday[d] for d in range(5)) / 5
    weekend = (by_weekday[5] + by_weekday[6]) / 2
    assert weekday > 1.3 * weekend
    midday = sum(by_hour[h] for h in range(10, 16)) / 6
    night = sum(by_hour[h] for h in range(1, 6)) / 5
    assert midday > 3 * night


def test_the_backlog_is_the_youngest_tickets(seeded):
    active = [t for t in seeded.tickets.values()
              if t["status"] in ("new", "open", "pending", "on_hold")]  # fmt: skip
    assert 0.06 * 2000 < len(active) < 0.16 * 2000
    median_age = sorted(NOW - t["created_at"] for t in active)[len(active) // 2]
    assert median_age < timedelta(days=DAYS / 4)
    assert {t["status"] for t in active} == {"new", "open", "pending", "on_hold"}


def test_every_solve_and_close_is_audited_at_the_tickets_own_time(seeded):
    solved = [t for t in seeded.tickets.values() if t["solved_at"] is not None]
    assert len(solved) > 1500
    for t in solved:
        events = seeded.events[t["id"]]
        assert _solves(events)[-1]["created_at"] == t["solved_at"], t["reference"]
        if t["status"] == "closed":
            close = [e for e in events if e["after"] == {"status": "closed"}]
            assert len(close) == 1 and close[0]["created_at"] == t["closed_at"]
            assert close[0]["actor_id"] is None  # the auto-close
            assert t["closed_at"] >= t["solved_at"] + timedelta(hours=96)
    for t in seeded.tickets.values():
        assert (t["status"] in ("solved", "closed")) == (t["solved_at"] is not None)


def test_first_reply_at_is_the_first_public_agent_reply(seeded):
    agent_created = 0
    for t in seeded.tickets.values():
        messages = seeded.messages[t["id"]]
        public = [m["created_at"] for m in messages
                  if m["kind"] == "public" and m["author_type"] == "agent"]  # fmt: skip
        if messages[0]["author_type"] == "agent":  # opened by an agent: its message is no reply
            agent_created += 1
            public = public[1:]
        assert t["first_reply_at"] == (public[0] if public else None), t["reference"]
    assert agent_created > 40


def test_agents_open_some_tickets_on_the_web_or_the_api(seeded):
    opened = [t for t in seeded.tickets.values()
              if seeded.messages[t["id"]][0]["author_type"] == "agent"]  # fmt: skip
    assert {t["channel"] for t in opened} == {"web", "api"}
    for t in opened:
        created = seeded.events[t["id"]][0]
        assert created["kind"] == "created" and created["actor_id"] is not None
        assert created["actor_id"] == seeded.messages[t["id"]][0]["author_id"]


def test_solved_tickets_have_none_one_or_several_replies_and_some_reopen(seeded):
    replies = Counter()
    reopened = 0
    for t in seeded.tickets.values():
        if t["solved_at"] is None:
            continue
        events = seeded.events[t["id"]]
        replies[min(3, sum(e["kind"] == "reply_sent" for e in events))] += 1
        if len(_solves(events)) >= 2:
            reopened += 1
            kinds = [(e["kind"], e["before"].get("status"), e["after"].get("status"))
                     for e in events]  # fmt: skip
            at = kinds.index(("status_changed", "solved", "open"))
            assert kinds[at - 1][0] == "requester_replied"  # the requester wrote again
            assert events[at]["actor_id"] is None
    assert replies[0] > 20 and replies[1] > 500 and replies[2] > 200 and replies[3] > 100
    assert reopened > 40


def test_clocks_of_closed_tickets_are_stopped_met_or_missed_against_the_first_reply(seeded):
    met = missed = 0
    for t in seeded.tickets.values():
        clocks = seeded.clocks[t["id"]]
        if t["status"] in ("solved", "closed"):
            assert all(c["state"] in ("met", "missed", "cancelled") for c in clocks)
            assert all(c["next_check_at"] is None and c["stopped_at"] for c in clocks)
            assert not (t["sla_due_at"] or t["sla_paused"] or t["sla_breached"])
        first = [c for c in clocks if c["metric"] == "first_reply"]
        if not first or first[0]["state"] not in ("met", "missed"):
            continue
        clock = first[0]
        assert clock["stopped_at"] == t["first_reply_at"]
        if clock["state"] == "met":
            met += 1
            assert t["first_reply_at"] <= clock["due_at"]
        else:
            missed += 1
            assert t["first_reply_at"] > clock["due_at"]
        breaches = [e for e in seeded.events[t["id"]] if e["kind"] == "sla_breach"
                    and e["after"]["metric"] == "first_reply"]  # fmt: skip
        # The sweep fired the breach if it ran (every 10 s) before the reply.
        assert len(breaches) == (clock["breached_at"] is not None)
        if breaches:
            assert breaches[0]["created_at"] == clock["breached_at"] < t["first_reply_at"]
    assert met > 1000 and missed > 50


def test_history_is_in_time_order_from_creation_to_now(seeded):
    for t in seeded.tickets.values():
        events, messages = seeded.events[t["id"]], seeded.messages[t["id"]]
        assert events[0]["kind"] == "created" and events[0]["created_at"] == t["created_at"]
        assert messages[0]["created_at"] == t["created_at"]
        assert all(t["created_at"] <= e["created_at"] <= NOW for e in events)
        assert max(m["created_at"] for m in messages) <= t["updated_at"] <= NOW
        ids = [e["id"] for e in events]
        assert ids == sorted(ids)  # written in the order they happened
        for e in events:
            if e["kind"] in ("reply_sent", "note_added", "requester_replied"):
                assert e["after"]["message"] in {m["id"] for m in messages}


def test_active_tickets_carry_live_clocks_and_the_sweeps_warnings_by_now(seeded):
    live = 0
    for t in seeded.tickets.values():
        clocks = [c for c in seeded.clocks[t["id"]] if c["state"] in ("running", "paused")]
        if t["status"] in ("solved", "closed"):
            continue
        live += bool(clocks)
        running = [c for c in clocks if c["state"] == "running"]
        if running:
            assert t["sla_due_at"] == min(c["due_at"] for c in running)
            for c in running:  # the sweep runs every 10 s
                if c["due_at"] < NOW - timedelta(seconds=11):
                    assert c["breached_at"] is not None and c["next_check_at"] is None
                elif c["due_at"] > NOW:
                    assert c["breached_at"] is None and c["next_check_at"] is not None
        assert t["sla_paused"] == (not running and bool(clocks))
    assert live > 150


def test_every_seeded_timeline_reads_as_sentences(seeded):
    assert seeded.sentences > 50 * 5


def test_search_documents_are_built_as_the_services_build_them(seeded):
    assert seeded.documents_as_the_services_build_them == seeded.documents_checked == 50


def test_the_spike_holds_over_three_times_the_usual_rate_of_its_reason_and_language(seeded):
    spike = DEMO_SPIKE
    series = [t["created_at"] for t in seeded.tickets.values()
              if (t["category"], t["language"]) == (spike.category, spike.language)]  # fmt: skip
    start = NOW - timedelta(days=DAYS)
    usual = sum(start <= c < NOW - timedelta(days=1) for c in series) / ((DAYS - 1) * 24)
    hour = NOW.replace(minute=0, second=0, microsecond=0)
    for n in range(1, spike.hours + 1):
        in_hour = sum(
            hour - timedelta(hours=n) <= c < hour - timedelta(hours=n - 1) for c in series
        )
        assert in_hour >= max(3 * usual, spike.min_per_hour), n
    assert seeded.stats.spike > 2 * spike.min_per_hour


@pytest.mark.django_db
def test_the_same_seed_gives_the_same_tickets():
    demo.seed_organisation()

    def run() -> list[tuple]:
        with transaction.atomic():
            seed_tickets(150, seed=9, days=90, spike=DEMO_SPIKE, now=NOW)
            rows = [
                (t.reference, t.subject, t.status, t.created_at, t.first_reply_at, t.solved_at,
                 t.assignee_id, [(e.kind, e.actor_id, e.before, e.created_at)
                                 for e in t.events.order_by("id")])
                for t in Ticket.objects.order_by("id").prefetch_related("events")
            ]  # fmt: skip
            transaction.set_rollback(True)
        return rows

    assert run() == run()


@pytest.mark.django_db
def test_the_first_demo_set_has_analytics_and_a_spike_the_watch_alerts_on(capsys):
    from django.core.management import call_command

    from analytics import watch
    from analytics.models import SpikeAlert

    call_command("seed_demo", "--quiet-logins")
    assert "Analytics rebuilt from the history of 400 tickets." in capsys.readouterr().out
    # The watch as it looks just after the surge's last ticket: on a loaded machine the
    # seeding can take minutes, and a trailing hour read that much later holds fewer of
    # the surge's tickets (about 24 an hour) than the 20 an alert needs.
    from datetime import timedelta

    from tickets.models import Ticket

    last = Ticket.objects.filter(category="account", language="es").latest("created_at")
    alerts = watch.evaluate(now=last.created_at + watch.GRACE + timedelta(minutes=1))
    assert ("reason", "account/es") in [(a.dim, a.value) for a in alerts]
    assert SpikeAlert.objects.get(dim="reason").count >= 20
