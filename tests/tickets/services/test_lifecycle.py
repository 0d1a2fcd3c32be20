import pytest
from django.db import DatabaseError, transaction

from tests.tickets import factories as tf
from tickets import services
from tickets.models import Event, Message, Notification, Status, Ticket

pytestmark = pytest.mark.django_db

# sorted: TRANSITIONS holds sets, and pytest-xdist workers must collect the same list.
ALLOWED = [(old, new) for old, news in services.TRANSITIONS.items() for new in sorted(news)]
FORBIDDEN = [
    (old, new)
    for old in Status.values
    for new in Status.values
    if new != old and new not in services.TRANSITIONS[old]
]


def put_in(ticket: Ticket, status: str) -> Ticket:
    # Arrange directly (bypassing the state machine) to test each edge alone.
    Ticket.objects.filter(pk=ticket.pk).update(status=status)
    ticket.refresh_from_db()
    return ticket


@pytest.mark.parametrize(("old", "new"), ALLOWED)
def test_each_allowed_transition_is_saved_with_its_audit_event(desk, old, new):
    agent = desk["people"]["inhouse_agent"]
    ticket = put_in(tf.ticket(desk["queues"]["inhouse"]), old)
    services.ticket_change_status(actor=agent, ticket=ticket, status=new)
    ticket.refresh_from_db()
    assert ticket.status == new
    event = Event.objects.filter(ticket=ticket, kind="status_changed").latest("id")
    assert (event.before, event.after, event.actor) == ({"status": old}, {"status": new}, agent)
    if new == Status.SOLVED:
        assert ticket.solved_at is not None
    if old == Status.SOLVED and new == Status.OPEN:
        assert ticket.solved_at is None
    if new == Status.CLOSED:
        assert ticket.closed_at is not None


@pytest.mark.parametrize(("old", "new"), FORBIDDEN)
def test_each_forbidden_transition_is_refused_and_writes_nothing(desk, old, new):
    ticket = put_in(tf.ticket(desk["queues"]["inhouse"]), old)
    before = Event.objects.count()
    with pytest.raises(services.TicketConflict):
        services.ticket_change_status(actor=None, ticket=ticket, status=new)
    ticket.refresh_from_db()
    assert ticket.status == old
    assert Event.objects.count() == before


def test_reopening_a_solved_ticket_clears_its_solved_time(desk):
    ticket = tf.ticket(desk["queues"]["inhouse"])
    services.ticket_change_status(actor=None, ticket=ticket, status=Status.SOLVED)
    services.ticket_change_status(actor=None, ticket=ticket, status=Status.OPEN)
    ticket.refresh_from_db()
    assert ticket.solved_at is None


def test_create_records_the_first_message_the_event_and_a_search_document(desk):
    ticket = tf.ticket(
        desk["queues"]["inhouse"], subject="Refund please", body="I was charged twice"
    )
    assert ticket.reference.isalnum() and len(ticket.reference) == 10
    assert ticket.messages.get().author_type == Message.Author.REQUESTER
    assert Event.objects.get(ticket=ticket).kind == "created"
    assert Ticket.objects.filter(pk=ticket.pk, search_vector__isnull=False).exists()


def test_references_are_random_not_sequential(desk):
    refs = [tf.ticket(desk["queues"]["inhouse"]).reference for _ in range(20)]
    assert len(set(refs)) == 20
    assert refs != sorted(refs)


def test_assigning_a_new_ticket_opens_it(desk):
    agent = desk["people"]["inhouse_agent"]
    ticket = tf.ticket(desk["queues"]["inhouse"])
    services.ticket_assign(actor=agent, ticket=ticket, assignee=agent)
    ticket.refresh_from_db()
    assert (ticket.assignee, ticket.status) == (agent, Status.OPEN)
    assert set(Event.objects.filter(ticket=ticket).values_list("kind", flat=True)) == {
        "created", "status_changed", "assigned"}  # fmt: skip


def test_nobody_is_assigned_a_ticket_in_a_queue_they_cannot_work(desk):
    ticket = tf.ticket(desk["queues"]["inhouse"])
    with pytest.raises(services.TicketError, match="cannot work"):
        services.ticket_assign(actor=None, ticket=ticket, assignee=desk["people"]["atlas_agent"])


def test_an_agent_cannot_change_a_ticket_outside_their_queues(desk):
    ticket = tf.ticket(desk["queues"]["north"])
    with pytest.raises(services.TicketError):
        services.ticket_set_priority(actor=desk["people"]["atlas_agent"], ticket=ticket, priority=1)


def test_a_public_reply_is_queued_in_the_outbox_once_and_sets_the_first_reply(desk):
    agent = desk["people"]["inhouse_agent"]
    ticket = tf.ticket(desk["queues"]["inhouse"])
    message = services.ticket_reply(actor=agent, ticket=ticket, body="We are on it.")
    ticket.refresh_from_db()
    assert ticket.first_reply_at == message.created_at
    assert ticket.status == Status.OPEN
    outbox = Notification.objects.get()
    assert (outbox.state, outbox.recipient, outbox.message) == (
        Notification.State.QUEUED,
        ticket.requester.email,
        message,
    )
    assert ticket.reference in outbox.subject


def test_an_internal_note_reaches_nobody_outside(desk):
    agent = desk["people"]["inhouse_agent"]
    ticket = tf.ticket(desk["queues"]["inhouse"])
    services.ticket_reply(actor=agent, ticket=ticket, body="Looks like fraud.", internal=True)
    assert not Notification.objects.exists()
    ticket.refresh_from_db()
    assert ticket.first_reply_at is None


def test_a_reply_can_set_the_status_after_it(desk):
    agent = desk["people"]["inhouse_agent"]
    ticket = tf.ticket(desk["queues"]["inhouse"])
    services.ticket_reply(actor=agent, ticket=ticket, body="Please confirm.", status=Status.PENDING)
    ticket.refresh_from_db()
    assert ticket.status == Status.PENDING


@pytest.mark.parametrize("status", [Status.PENDING, Status.ON_HOLD, Status.SOLVED])
def test_a_requester_reply_reopens_the_ticket(desk, status):
    ticket = put_in(tf.ticket(desk["queues"]["inhouse"]), status)
    services.ticket_requester_reply(ticket=ticket, body="Still broken")
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    assert Event.objects.filter(ticket=ticket, kind="requester_replied").exists()


def test_a_closed_ticket_takes_no_more_replies(desk):
    ticket = put_in(tf.ticket(desk["queues"]["inhouse"]), Status.CLOSED)
    with pytest.raises(services.TicketConflict):
        services.ticket_requester_reply(ticket=ticket, body="Hello?")
    with pytest.raises(services.TicketConflict):
        services.ticket_reply(actor=desk["people"]["admin"], ticket=ticket, body="Hi")


def test_nul_bytes_and_oversize_bodies_are_refused(desk):
    ticket = tf.ticket(desk["queues"]["inhouse"])
    agent = desk["people"]["inhouse_agent"]
    with pytest.raises(services.TicketError, match="NUL"):
        services.ticket_reply(actor=agent, ticket=ticket, body="a\x00b")
    with pytest.raises(services.TicketError, match="too long"):
        services.ticket_reply(actor=agent, ticket=ticket, body="x" * (services.MAX_BODY_CHARS + 1))


def test_html_from_outside_is_sanitised(desk):
    ticket = tf.ticket(desk["queues"]["inhouse"])
    message = services.ticket_requester_reply(
        ticket=ticket, body="hi",
        body_html='<p onclick="x()">hi<script>alert(1)</script><a href="javascript:x">l</a></p>',
    )  # fmt: skip
    assert "<script" not in message.body_html and "onclick" not in message.body_html
    assert "javascript:" not in message.body_html


def test_a_macro_fills_its_placeholders_and_applies_its_actions(desk):
    agent = desk["people"]["inhouse_agent"]
    ticket = tf.ticket(desk["queues"]["inhouse"], requester_=tf.requester(name="Maya"))
    macro = tf.macro(body="Hi {requester_name}, {agent_name} here ({ticket_reference}).",
                     set_status=Status.PENDING, set_priority=1, add_tags=["refund"])  # fmt: skip
    message = services.macro_apply(actor=agent, ticket=ticket, macro=macro)
    assert message.body == f"Hi Maya, {agent.get_short_name()} here ({ticket.reference})."
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority, ticket.tags) == (Status.PENDING, 1, ["refund"])
    assert Event.objects.filter(ticket=ticket, kind="macro_applied").exists()


def test_merge_moves_the_conversation_and_closes_the_duplicate(desk):
    agent = desk["people"]["inhouse_agent"]
    q = desk["queues"]["inhouse"]
    maya = tf.requester(name="Maya")
    target = tf.ticket(q, body="first", requester_=maya)
    source = tf.ticket(q, body="second, duplicate", requester_=maya)
    services.ticket_merge(actor=agent, source=source, target=target)
    source.refresh_from_db()
    assert (source.status, source.merged_into) == (Status.CLOSED, target)
    bodies = list(target.messages.values_list("body", flat=True))
    assert "first" in bodies and "second, duplicate" in bodies
    assert Event.objects.filter(ticket=source, kind="merged_into").exists()
    assert Event.objects.filter(ticket=target, kind="merged_from").exists()
    with pytest.raises(services.TicketConflict):
        services.ticket_merge(actor=agent, source=source, target=target)


def test_a_ticket_cannot_be_merged_into_itself(desk):
    ticket = tf.ticket(desk["queues"]["inhouse"])
    with pytest.raises(services.TicketError):
        services.ticket_merge(actor=desk["people"]["admin"], source=ticket, target=ticket)


def test_linking_is_symmetric_and_idempotent(desk):
    agent = desk["people"]["inhouse_agent"]
    a, b = tf.ticket(desk["queues"]["inhouse"]), tf.ticket(desk["queues"]["inhouse"])
    first = services.ticket_link(actor=agent, ticket=a, other=b)
    assert services.ticket_link(actor=agent, ticket=b, other=a) == first


def test_moving_to_another_queue_unassigns_someone_who_cannot_work_it(desk):
    admin, agent = desk["people"]["admin"], desk["people"]["north_agent"]
    ticket = tf.ticket(desk["queues"]["north"])
    services.ticket_assign(actor=admin, ticket=ticket, assignee=agent)
    services.ticket_move_queue(actor=admin, ticket=ticket, queue=desk["queues"]["atlas"])
    ticket.refresh_from_db()
    assert ticket.assignee is None and ticket.queue == desk["queues"]["atlas"]


def test_the_audit_trail_cannot_be_edited_or_deleted(desk):
    tf.ticket(desk["queues"]["inhouse"])
    event = Event.objects.get()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Event.objects.filter(pk=event.pk).update(kind="tampered")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Event.objects.filter(pk=event.pk).delete()


def test_reply_attachments_get_a_safe_name_a_sniffed_type_and_a_size_limit(desk, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    agent = desk["people"]["inhouse_agent"]
    ticket = tf.ticket(desk["queues"]["inhouse"])
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
    disguised = SimpleUploadedFile("../../etc/evil<script>.html", png, content_type="text/html")
    message = services.ticket_reply(actor=agent, ticket=ticket, body="see file", files=[disguised])
    item = message.attachments.get()
    assert item.content_type == "image/png"  # the bytes, not the claim
    assert "/" not in item.filename and "<" not in item.filename
    assert item.size == len(png)
    settings.ATTACHMENT_MAX_BYTES = 10
    with pytest.raises(services.TicketError, match="too large"):
        services.ticket_reply(actor=agent, ticket=ticket, body="big",
                              files=[SimpleUploadedFile("a.txt", b"x" * 11)])  # fmt: skip
    assert not Message.objects.filter(body="big").exists()  # nothing half-written
