"""The escalation state machine, its audit on the ticket, and automatic escalation."""

from datetime import timedelta

import pytest

from escalations import services
from escalations.models import Escalation, EscalationNote, EscalationReason, Page, Severity
from tests.escalations import factories as ef
from tests.tickets import factories as tf
from tickets.models import Event, Notification

S = Escalation.Status
pytestmark = pytest.mark.django_db


@pytest.fixture
def floor(desk):
    specialists = desk["teams"]["inhouse"]
    legal = ef.reason(specialists, name="Legal request")
    payments = ef.reason(desk["teams"]["north2"], name="Payments check")
    ticket = tf.ticket(desk["queues"]["north"], subject="Chargeback threat")
    return {**desk, "legal": legal, "payments": payments, "ticket": ticket}


def _raise(floor, **kwargs):  # type: ignore[no-untyped-def]
    kwargs.setdefault("actor", floor["people"]["north_agent"])
    kwargs.setdefault("reason", floor["legal"])
    kwargs.setdefault("severity", Severity.SEV3)
    kwargs.setdefault("summary", "The requester threatens legal action.")
    return services.escalation_raise(ticket=floor["ticket"], **kwargs)


def test_an_agent_escalates_and_it_is_on_the_tickets_timeline(floor, settings):
    escalation = _raise(floor)
    agent = floor["people"]["north_agent"]
    assert (escalation.status, escalation.target_team, escalation.raised_by) == (
        S.REQUESTED,
        floor["teams"]["inhouse"],
        agent,
    )
    assert escalation.raised_by_vendor == floor["vendors"]["north"]
    minutes = settings.ESCALATION_DUE_MINUTES[3]
    assert escalation.due_at - escalation.created_at == timedelta(minutes=minutes)
    event = Event.objects.get(ticket=floor["ticket"], kind="escalation_raised")
    assert event.actor == agent and event.after["severity"] == "SEV3"


def test_a_summary_is_required(floor):
    with pytest.raises(services.EscalationError, match="summary"):
        _raise(floor, summary="   ")


def test_the_same_ticket_cannot_be_escalated_twice_to_one_team_while_open(floor):
    first = _raise(floor)
    with pytest.raises(services.EscalationConflict, match="already escalated"):
        _raise(floor)
    _raise(floor, reason=floor["payments"])  # another team is fine
    services.escalation_return(actor=floor["people"]["inhouse_lead"], escalation=first,
                               note="Ask for the case number first.")  # fmt: skip
    again = _raise(floor)  # closed: may escalate again
    assert again.pk != first.pk


def test_an_agent_outside_the_queue_cannot_escalate(floor):
    with pytest.raises(services.EscalationError):
        _raise(floor, actor=floor["people"]["atlas_agent"])


def test_accept_start_resolve_with_the_audit_trail(floor):
    escalation = _raise(floor)
    specialist = floor["people"]["inhouse_agent"]
    services.escalation_accept(actor=specialist, escalation=escalation)
    escalation.refresh_from_db()
    assert escalation.status == S.ACCEPTED and escalation.owner == specialist
    services.escalation_start(actor=specialist, escalation=escalation)
    services.escalation_resolve(actor=specialist, escalation=escalation,
                                outcome="Legal answered the requester.")  # fmt: skip
    escalation.refresh_from_db()
    assert escalation.status == S.RESOLVED and escalation.closed_at is not None
    kinds = list(Event.objects.filter(ticket=floor["ticket"]).values_list("kind", flat=True))
    assert kinds[-4:] == ["escalation_raised", "escalation_accepted", "escalation_in_progress",
                          "escalation_resolved"]  # fmt: skip


@pytest.mark.parametrize(
    ("moves", "refused"),
    [
        (["accept"], "start_twice"),
        ([], "resolve"),  # a requested escalation is accepted before it is resolved
        (["accept", "start"], "reject"),  # work has started: return or resolve it
    ],
)
def test_moves_out_of_order_are_refused(floor, moves, refused):
    escalation = _raise(floor)
    lead = floor["people"]["inhouse_lead"]
    do = {
        "accept": lambda: services.escalation_accept(actor=lead, escalation=escalation),
        "start": lambda: services.escalation_start(actor=lead, escalation=escalation),
        "start_twice": lambda: (services.escalation_start(actor=lead, escalation=escalation),
                                services.escalation_start(actor=lead, escalation=escalation)),
        "resolve": lambda: services.escalation_resolve(actor=lead, escalation=escalation,
                                                       outcome="done"),
        "reject": lambda: services.escalation_reject(actor=lead, escalation=escalation,
                                                     note="no"),
    }  # fmt: skip
    for move in moves:
        do[move]()
    with pytest.raises(services.EscalationConflict):
        do[refused]()


def test_only_the_target_team_acts_and_only_its_lead_assigns(floor):
    escalation = _raise(floor)
    with pytest.raises(services.EscalationError):
        services.escalation_accept(actor=floor["people"]["north_lead"], escalation=escalation)
    with pytest.raises(services.EscalationError):
        services.escalation_assign(actor=floor["people"]["inhouse_agent"], escalation=escalation,
                                   owner=floor["people"]["inhouse_agent"])  # fmt: skip
    with pytest.raises(services.EscalationError, match="is not in"):
        services.escalation_assign(actor=floor["people"]["inhouse_lead"], escalation=escalation,
                                   owner=floor["people"]["north_agent"])  # fmt: skip
    services.escalation_assign(actor=floor["people"]["inhouse_lead"], escalation=escalation,
                               owner=floor["people"]["inhouse_agent"])  # fmt: skip
    escalation.refresh_from_db()
    assert escalation.owner == floor["people"]["inhouse_agent"] and escalation.status == S.ACCEPTED


def test_returning_needs_a_note_and_the_note_goes_to_the_thread(floor):
    escalation = _raise(floor)
    lead = floor["people"]["inhouse_lead"]
    with pytest.raises(services.EscalationError):
        services.escalation_return(actor=lead, escalation=escalation, note="")
    services.escalation_return(actor=lead, escalation=escalation, note="Ask for the case number.")
    note = EscalationNote.objects.get(escalation=escalation)
    assert (note.author, note.body) == (lead, "Ask for the case number.")
    escalation.refresh_from_db()
    assert escalation.status == S.RETURNED


def test_a_high_profile_requester_escalates_by_itself(desk):
    ef.reason(desk["teams"]["inhouse"], name="High-profile support",
              trigger=EscalationReason.Trigger.HIGH_PROFILE, severity=Severity.SEV2)  # fmt: skip
    vip = tf.requester(name="Famous Person")
    type(vip).objects.filter(pk=vip.pk).update(is_high_profile=True)
    vip.refresh_from_db()
    ticket = tf.ticket(desk["queues"]["north"], requester_=vip)
    escalation = Escalation.objects.get(ticket=ticket)
    assert escalation.automatic and escalation.raised_by is None
    assert escalation.severity == Severity.SEV2 and "Famous Person" in escalation.summary
    assert not Escalation.objects.filter(ticket=tf.ticket(desk["queues"]["north"])).exists()


def test_a_configured_category_or_tag_escalates_at_its_severity(desk):
    ef.reason(
        desk["teams"]["inhouse"],
        name="Self-harm",
        trigger=EscalationReason.Trigger.CATEGORY,
        severity=Severity.SEV1,
        match_categories=["self-harm"],
        match_tags=["suicide"],
    )
    by_category = tf.ticket(desk["queues"]["north"], category="self-harm")
    by_tag = tf.ticket(desk["queues"]["north"], tags=["suicide"])
    other = tf.ticket(desk["queues"]["north"], category="billing")
    assert Escalation.objects.get(ticket=by_category).severity == Severity.SEV1
    assert Escalation.objects.filter(ticket=by_tag).exists()
    assert not Escalation.objects.filter(ticket=other).exists()


def test_a_sev1_pages_the_target_teams_on_call_person(floor):
    on_call = floor["people"]["inhouse_agent"]
    ef.rotation(floor["teams"]["inhouse"], [on_call, floor["people"]["inhouse_lead"]],
                shift_days=3650)  # fmt: skip
    escalation = _raise(floor, severity=Severity.SEV1)
    page = Page.objects.get(escalation=escalation)
    assert (page.target, page.attempts, page.status) == (on_call, 1, Page.Status.OPEN)
    mail = Notification.objects.get(kind="page")
    assert mail.recipient == on_call.email and mail.subject.startswith("[SEV1]")
    assert f"/escalations/pages/{page.token}/" in mail.body
    # Accepting the escalation stops the paging.
    services.escalation_accept(actor=on_call, escalation=escalation)
    page.refresh_from_db()
    assert page.status == Page.Status.CANCELLED and page.next_action_at is None


def test_a_sev3_pages_nobody(floor):
    ef.rotation(floor["teams"]["inhouse"], [floor["people"]["inhouse_agent"]])
    _raise(floor, severity=Severity.SEV3)
    assert not Page.objects.exists()


def test_a_tag_added_later_escalates_too(desk):
    from tickets import services as ticket_services

    ef.reason(desk["teams"]["inhouse"], name="Self-harm", severity=Severity.SEV1,
              trigger=EscalationReason.Trigger.CATEGORY, match_tags=["suicide"])  # fmt: skip
    ticket = tf.ticket(desk["queues"]["north"], tags=["account"])
    assert not Escalation.objects.filter(ticket=ticket).exists()
    ticket_services.ticket_add_tags(actor=desk["people"]["north_agent"], ticket=ticket,
                                    tags=["suicide"])  # fmt: skip
    escalation = Escalation.objects.get(ticket=ticket)
    assert escalation.automatic and "suicide" in escalation.summary
