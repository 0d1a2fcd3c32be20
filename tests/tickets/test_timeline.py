"""The audit timeline and the SOP history read as sentences in the viewer's language and
time zone, never event codes or Python dictionaries (tickets/timeline.py)."""

from __future__ import annotations

import ast
import re
import zoneinfo
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone, translation

from tests import factories
from tests.tickets import factories as tf
from tickets import events, services, timeline
from tickets.models import Event, Priority, Status

ROOT = Path(settings.BASE_DIR)
APPS = ("tickets", "escalations", "sops", "accounts", "helpdesk", "core", "demo")

# Where the SOP services pass a kind in a variable, the kinds it can be. A new such place
# fails test_every_event_kind_a_service_writes_has_a_sentence until it is listed here.
DYNAMIC_SOP_KINDS: dict[tuple[str, str], set[str]] = {}


def _call_name(node: ast.Call) -> str:
    func = node.func
    parts = []
    while isinstance(func, ast.Attribute):
        parts.append(func.attr)
        func = func.value
    if isinstance(func, ast.Name):
        parts.append(func.id)
    return ".".join(reversed(parts))


def _kind_values(node: ast.expr, where: tuple[str, str]) -> set[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _kind_values(node.body, where) | _kind_values(node.orelse, where)
    assert where in DYNAMIC_SOP_KINDS, f"{where[0]}, {where[1]}(): list its kinds"
    return DYNAMIC_SOP_KINDS[where]


def _functions(app: str):  # type: ignore[no-untyped-def]
    for path in (ROOT / app).rglob("*.py"):
        if "migrations" in path.parts:
            continue
        relative = str(path.relative_to(ROOT))
        tree = ast.parse(path.read_text())
        for function in [n for n in ast.walk(tree)
                         if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]:  # fmt: skip
            yield relative, function


def written_kinds() -> tuple[set[str], set[str]]:
    """Every ticket event kind (those the apps registered with the one writer,
    tickets.events) and every SOP event kind the SOP services write (read from their
    source: calls to _event and SOPEvent)."""
    ticket_kinds = set(events.registered_kinds())
    sop_kinds: set[str] = set()
    for relative, function in _functions("sops"):
        if function.name == "_event":
            continue  # the helper itself passes its caller's kind on
        for call in [n for n in ast.walk(function) if isinstance(n, ast.Call)]:
            name = _call_name(call)
            if name == "_event":
                kind = call.args[2] if len(call.args) > 2 else None
            elif name in ("SOPEvent", "SOPEvent.objects.create"):
                kind = None
            else:
                continue
            kind = kind or next((k.value for k in call.keywords if k.arg == "kind"), None)
            if kind is not None:
                sop_kinds |= _kind_values(kind, (relative, function.name))
    return ticket_kinds, sop_kinds


def test_ticket_events_are_written_only_through_the_one_writer():
    """No module builds an Event itself: every kind then goes through tickets.events,
    which refuses a kind no app registered."""
    offenders = []
    for app in APPS:
        for relative, function in _functions(app):
            if relative == "tickets/events.py":
                continue
            for call in [n for n in ast.walk(function) if isinstance(n, ast.Call)]:
                if _call_name(call) in ("Event", "Event.objects.create",
                                        "Event.objects.bulk_create"):  # fmt: skip
                    offenders.append(f"{relative}: {function.name}()")
    assert offenders == []


@pytest.mark.django_db
def test_the_writer_refuses_a_kind_no_app_registered(org):
    ticket = tf.ticket(tf.queue())
    with pytest.raises(ValueError, match="unregistered"):
        events.record(ticket, None, "made_up_kind")  # type: ignore[arg-type]
    assert not Event.objects.filter(ticket=ticket, kind="made_up_kind").exists()


def test_every_event_kind_a_service_writes_has_a_sentence():
    ticket_kinds, sop_kinds = written_kinds()
    # The collection itself works: a few kinds from each place that writes them.
    assert {"status_changed", "sla_paused", "sla_breach", "escalation_accepted",
            "sop_step_done", "incident_linked"} <= ticket_kinds  # fmt: skip
    assert {"version_published", "draft_saved"} <= sop_kinds
    assert ticket_kinds - set(timeline.TICKET_SENTENCES) == set()
    assert sop_kinds - set(timeline.SOP_SENTENCES) == set()


# ------------------------------------------------------------- hand-checked


def _event(kind: str, *, actor=None, before=None, after=None, at=None) -> Event:  # type: ignore[no-untyped-def]
    return Event(kind=kind, actor=actor, before=before or {}, after=after or {},
                 created_at=at or datetime(2025, 6, 3, 12, 0, tzinfo=UTC))  # fmt: skip


@pytest.fixture
def ana(db):
    return factories.user(full_name="Ana Souza")


def _say(*events: Event, **kwargs) -> list[str]:  # type: ignore[no-untyped-def]
    with translation.override("en"):
        return [e.sentence for e in timeline.ticket_entries(list(reversed(events)), **kwargs)][::-1]


def test_putting_a_ticket_on_hold_tells_the_clock_that_paused_with_the_time_left(ana):
    hold = _event("status_changed", actor=ana, before={"status": "open"},
                  after={"status": "on_hold"})  # fmt: skip
    paused = _event("sla_paused", actor=ana, after={"status": "on_hold", "clocks": [
        {"metric": "first_reply", "policy": "Standard", "state": "paused", "due_at": None,
         "target_seconds": 4 * 3600,
         "used_seconds": 4 * 3600 - (2 * 3600 + 10 * 60)}]})  # fmt: skip
    assert _say(hold, paused) == [
        "Ana put the ticket on hold. The first-reply clock paused with 2 h 10 min left."
    ]


def test_a_breached_clock_that_pauses_says_how_far_past_its_target_it_is(ana):
    paused = _event("sla_paused", actor=ana, after={"status": "pending", "clocks": [
        {"metric": "resolution", "state": "paused", "target_seconds": 3600,
         "used_seconds": 3600 + 25 * 60}]})  # fmt: skip
    assert _say(paused) == ["The resolution clock paused 25 min past its target."]


def test_a_reply_tells_the_target_it_met(ana):
    met = _event("sla_fulfilled", actor=ana, after={"clocks": [
        {"metric": "first_reply", "state": "met"}]})  # fmt: skip
    reply = _event("reply_sent", actor=ana, after={"message": 7})
    assert _say(met, reply) == ["Ana replied to the requester. The first-reply target was met."]


@pytest.mark.parametrize(
    ("kind", "before", "after", "expected"),
    [
        ("assigned", {"assignee": None}, {"assignee": 99, "assignee_name": "Bo Chen"},
         "Ana assigned the ticket to Bo Chen."),
        ("priority_changed", {"priority": Priority.NORMAL}, {"priority": Priority.HIGH},
         "Ana changed the priority from Normal to High."),
        ("tags_changed", {"tags": ["vip"]}, {"tags": ["vip", "refund", "card"]},
         "Ana added the tags refund and card."),
        ("tags_changed", {"tags": ["vip", "old"]}, {"tags": ["new"]},
         "Ana added new and removed vip and old from the tags."),
        ("merged_from", {}, {"from": "K7Q2M9XR4T", "messages": 3},
         "Ana merged K7Q2M9XR4T into this ticket, moving 3 messages."),
        ("escalation_returned", {"status": "accepted"},
         {"team": "Trust & Safety", "severity": "SEV2", "note": "Ask for the card's last digits"},
         "Ana returned the escalation to Trust & Safety to the agent: "
         "“Ask for the card's last digits”"),
        ("sop_step_done", {}, {"sop": "Refunds", "version": 2, "step": 3, "text": "Check the bank"},
         "Ana ticked step 3 of “Refunds”: Check the bank"),
        ("some_future_kind", {"a": 1}, {"b": 2}, "Ana changed the ticket."),
    ],
)  # fmt: skip
def test_hand_checked_sentences(ana, kind, before, after, expected):
    assert _say(_event(kind, actor=ana, before=before, after=after)) == [expected]


def test_system_changes_read_as_sentences_too():
    breach = _event("sla_breach", after={"metric": "first_reply", "policy": "Gold",
                                         "due_at": "2025-06-03T09:30:00+00:00"})  # fmt: skip
    raised = _event("priority_changed", before={"priority": Priority.NORMAL},
                    after={"priority": Priority.HIGH, "reason": "sla_breach"})  # fmt: skip
    with timezone.override("Asia/Tokyo"):
        said = _say(breach, raised)
    assert said == [
        "The first-reply target was breached: it was due 3 Jun 2025, 18:30 (policy Gold).",
        "The priority rose from Normal to High because an SLA target was breached.",
    ]


def test_queues_the_viewer_cannot_see_are_not_named(ana):
    moved = _event("queue_changed", actor=ana, before={"queue": "atlas-vip"},
                   after={"queue": "general"})  # fmt: skip
    assert _say(moved, queue_names={"general": "General Support"}) == [
        "Ana moved the ticket from another queue to General Support."
    ]


def test_durations_keep_two_units_at_most():
    with translation.override("en"):
        assert timeline.duration(2 * 86400 + 4 * 3600 + 59) == "2 d 4 h"
        assert timeline.duration(2 * 3600 + 10 * 60) == "2 h 10 min"
        assert timeline.duration(86400 + 5 * 60) == "1 d"
        assert timeline.duration(30) == "less than a minute"


# ----------------------------------------------------------------- the pages

CODE = re.compile(r"\b[a-z]+_[a-z_]+\b")  # an event code such as status_changed


def _visible_text(html: str) -> str:
    """The page's text without tags and attributes (data-kind keeps the code, unseen)."""
    return re.sub(r"<[^>]+>", " ", html)


@pytest.fixture
def worked_ticket(desk):
    """A ticket taken through most of what agents, requesters and the SLA sweep do."""
    from escalations import services as esc
    from tests.escalations import factories as ef

    agent, lead = desk["people"]["north_agent"], desk["people"]["north2_lead"]
    billing = tf.queue("Northwind Billing", vendors=[desk["vendors"]["north"]])
    tf.sla_policy(queues=[desk["queues"]["north"], billing])
    ticket = tf.ticket(desk["queues"]["north"], subject="Card declined")
    ticket = services.ticket_assign(actor=agent, ticket=ticket, assignee=agent)
    services.ticket_set_priority(actor=agent, ticket=ticket, priority=Priority.HIGH)
    services.ticket_add_tags(actor=agent, ticket=ticket, tags=["card"])
    services.ticket_reply(actor=agent, ticket=ticket, body="Checking.", status=Status.ON_HOLD)
    services.ticket_reply(actor=agent, ticket=ticket, body="Fraud check.", internal=True)
    services.ticket_requester_reply(ticket=ticket, body="Any news?")
    services.ticket_move_queue(actor=agent, ticket=ticket, queue=billing)
    other = tf.ticket(desk["queues"]["north"])
    services.ticket_link(actor=agent, ticket=ticket, other=other)
    reason = ef.reason(desk["teams"]["north2"], name="Card fraud")
    escalation = esc.escalation_raise(actor=agent, ticket=ticket, reason=reason, severity=3,
                                      summary="Looks like fraud")  # fmt: skip
    esc.escalation_accept(actor=lead, escalation=escalation)
    esc.escalation_note_add(actor=lead, escalation=escalation, body="On it")
    services.ticket_change_status(actor=agent, ticket=ticket, status=Status.SOLVED)
    return ticket


def test_the_timeline_page_reads_as_sentences_in_the_viewers_time_zone(desk, client, worked_ticket):
    agent = desk["people"]["north_agent"]
    agent.time_zone = "Asia/Tokyo"
    agent.save(update_fields=["time_zone"])
    client.force_login(agent)
    html = client.get(f"/tickets/{worked_ticket.reference}/timeline/").content.decode()
    text = _visible_text(html)
    kinds = set(worked_ticket.events.values_list("kind", flat=True))
    assert len(kinds) >= 12, kinds
    assert not CODE.search(text), CODE.findall(text)
    assert "{" not in text and "': " not in text  # no dictionary
    sentences = re.findall(r'data-testid="timeline-sentence">([^<]+)<', html)
    name = agent.get_short_name()
    # The policy's resolution target is 480 minutes, and almost none of it was used.
    on_hold = f"{name} put the ticket on hold. The resolution clock paused with "
    assert {f"{on_hold}8 h left.", f"{on_hold}7 h 59 min left."} & set(sentences), sentences
    assert f"{name} escalated the ticket to Tier 2 (SEV3, Card fraud)." in sentences
    created = worked_ticket.events.get(kind="created").created_at
    tokyo = created.astimezone(zoneinfo.ZoneInfo("Asia/Tokyo"))
    assert f">{tokyo:%-d %b %Y, %H:%M}</time>" in html


def test_the_timeline_uses_the_viewers_language_format(desk, client, worked_ticket):
    client.force_login(desk["people"]["north_agent"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    html = client.get(f"/tickets/{worked_ticket.reference}/timeline/",
                      headers={"Accept-Language": "de"}).content.decode()  # fmt: skip
    created = worked_ticket.events.get(kind="created").created_at
    assert f">{created:%d.%m.%Y %H:%M}</time>" in html


def test_the_sop_history_reads_as_sentences(desk, client):
    from tests.sops import factories as sf

    admin = desk["people"]["admin"]
    sop = sf.published(admin, title="Refunds")
    sf.new_version(admin, sop, body="1. Refund it.", summary="Shorter")
    client.force_login(admin)
    html = client.get(f"/sops/{sop.slug}/history/").content.decode()
    sentences = re.findall(r'data-testid="sop-event-sentence">([^<]+)<', html)
    name = admin.get_short_name()
    assert sentences[0] == f"{name} published version 2; it replaces version 1."
    assert f"{name} saved draft version 2, changing the procedure and the change summary." in (
        sentences)  # fmt: skip
    assert f"{name} created the SOP (draft version 1)." in sentences
    assert not CODE.search(" ".join(sentences))


def test_every_ticket_event_the_services_wrote_today_has_its_own_sentence(worked_ticket):
    events = list(worked_ticket.events.select_related("actor").order_by("-created_at", "-id"))
    unknown = {e.kind for e in events} - set(timeline.TICKET_SENTENCES)
    assert unknown == set()
    with translation.override("en"):
        for entry in timeline.ticket_entries(events):
            assert entry.sentence.endswith((".", "”")) and "%(" not in entry.sentence, entry


def test_a_moment_in_a_sentence_uses_the_viewers_zone_and_format():
    moment = datetime(2025, 12, 31, 23, 30, tzinfo=UTC)
    with translation.override("ja"), timezone.override("Asia/Tokyo"):
        assert timeline.when(moment) == "2026/01/01 08:30"
    with translation.override("en"), timezone.override("America/New_York"):
        assert timeline.when(moment.isoformat()) == "31 Dec 2025, 18:30"
    assert timeline.when("not a date") == "" and timeline.when(None) == ""
