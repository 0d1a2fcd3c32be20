"""Chat's services on hand-made lines: who is offered a chat, capacity, passing an offer
on, messages stored once, transfers, the end, the fallback and idle requesters."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from chat import agents, services
from chat.models import Chat, StatusChange
from core import heartbeats, push
from tickets import selectors as ticket_selectors
from tickets import services as ticket_services
from tickets.models import Channel, Event, Message, Notification, Status, Ticket

pytestmark = pytest.mark.django_db


def _events(topic):  # type: ignore[no-untyped-def]
    return [json.loads(fields[b"e"]) for _id, fields in heartbeats.client().xrange(push.key(topic))]


def test_a_status_change_is_recorded_with_its_time_and_gates_next_ticket(line, online,
                                                                         committed):  # fmt: skip
    ana = line["chatters"]["ana"]
    online(ana)
    committed(agents.status_set, user=ana, key="break")
    changes = list(StatusChange.objects.filter(user=ana).order_by("at", "id"))
    assert [(c.previous_id and c.previous.key, c.status.key) for c in changes] == [
        (None, "online"),
        ("online", "break"),
    ]
    with pytest.raises(ticket_services.TicketConflict, match="not available"):
        ticket_services.ticket_claim_next(agent=ana)
    committed(agents.status_set, user=ana, key="online")
    assert ticket_services.ticket_claim_next(agent=ana) is None  # nothing waits, no refusal


def test_an_agent_who_never_set_a_status_takes_tickets_as_before(line):
    assert ticket_services.ticket_claim_next(agent=line["chatters"]["eli"]) is None


def test_a_chat_is_a_ticket_offered_to_an_available_agent_with_the_language(line, online,
                                                                             start):  # fmt: skip
    ana, eli = line["chatters"]["ana"], line["chatters"]["eli"]
    online(eli, ana)
    chat, token = start()
    assert chat.ticket.channel == Channel.CHAT and chat.ticket.queue == line["queue"]
    assert chat.state == Chat.State.OFFERED and chat.offered_to == ana  # eli has no Spanish
    assert services.chat_for_token(token) == chat
    assert [e["kind"] for e in _events(agents.user_topic(ana.pk))][-1] == "offer"


def test_an_agents_chats_are_those_offered_to_them_or_theirs_that_they_may_see(
        line, online, start, django_assert_num_queries):  # fmt: skip
    """Every stream a page opens asks: one query on the chats' table when there are
    none; the scoping still decides when there are."""
    from chat import selectors
    from tests.tickets import factories as tf

    ana, ben = line["chatters"]["ana"], line["chatters"]["ben"]
    online(ana)
    chat, _token = start()
    assert chat.offered_to == ana
    with django_assert_num_queries(1) as asked:
        assert selectors.my_chats(ben) == []
    assert "tickets_ticket" not in asked.captured_queries[0]["sql"]  # no joins, no scoping
    assert [c.pk for c in selectors.my_chats(ana)] == [chat.pk]
    # A ticket moved to a queue she does not work leaves her view, offered or not.
    Ticket.objects.filter(pk=chat.ticket_id).update(queue=tf.queue("Elsewhere", teams=[]))
    assert selectors.my_chats(ana) == []


def test_a_retried_start_that_raced_the_first_gets_its_chat_and_leaves_nothing(
        line, monkeypatch):  # fmt: skip
    """Two tries of one start at once: the second looked before the first had committed,
    so it makes its own chat and meets the first one's token at the insert; it is rolled
    back (no second ticket) and answers with the first chat."""
    key = "R7-" + "x" * 27
    chat, token = services.chat_start(name="María", email="maria@example.net", body="Hola",
                                      language="es", start_key=key)  # fmt: skip
    real, looks = services._chat_of, []

    def too_early(token: str) -> Chat | None:
        looks.append(token)
        return None if len(looks) == 1 else real(token)

    monkeypatch.setattr(services, "_chat_of", too_early)
    again, same = services.chat_start(name="María", email="maria@example.net", body="Hola",
                                      language="es", start_key=key)  # fmt: skip
    assert (again, same) == (chat, token) and len(looks) == 2
    assert Chat.objects.count() == 1 and Ticket.objects.filter(channel=Channel.CHAT).count() == 1


def test_nobody_available_leaves_the_chat_waiting_until_someone_is(line, online, start):
    ben = line["chatters"]["ben"]
    chat, _token = start()
    assert chat.state == Chat.State.WAITING and chat.offered_to is None
    online(ben)
    assert services.route_waiting() == 1
    chat.refresh_from_db()
    assert chat.state == Chat.State.OFFERED and chat.offered_to == ben


def test_an_agent_whose_signs_of_life_stopped_is_not_offered_and_goes_offline(line, online, start,
                                                                             settings):  # fmt: skip
    ana, ben = line["chatters"]["ana"], line["chatters"]["ben"]
    online(ana, ben)
    # Ana's page went quiet two minutes ago.
    agents.touch([ana.pk], at=timezone.now().timestamp() - 120)
    chat, _token = start()
    assert chat.offered_to == ben
    later = timezone.now() + timedelta(seconds=settings.CHAT_OFFLINE_AFTER_SECONDS + 1)
    agents.touch([ben.pk], at=later.timestamp())
    assert agents.sweep_silent(now=later) == 1
    assert agents.state_of(ana).status.key == "offline"
    assert StatusChange.objects.filter(user=ana, reason=StatusChange.Reason.SILENT).exists()


def test_a_declined_or_unanswered_offer_goes_to_the_next_agent(line, online, start, committed):
    ana, ben, nora = (line["chatters"][k] for k in ("ana", "ben", "nora"))
    online(ana, ben, nora)
    chat, _token = start()
    assert chat.offered_to == ana
    committed(services.chat_decline, actor=ana, chat=chat)
    chat.refresh_from_db()
    assert chat.offered_to == ben and chat.passed_over == [ana.pk]
    Chat.objects.filter(pk=chat.pk).update(offer_expires_at=timezone.now() - timedelta(seconds=1))
    assert committed(services.sweep_offers) == 1
    chat.refresh_from_db()
    assert chat.offered_to == nora and chat.passed_over == [ana.pk, ben.pk]
    assert _events(agents.user_topic(ben.pk))[-1]["kind"] == "offer_withdrawn"
    sentences = list(Event.objects.filter(ticket=chat.ticket, kind="chat_passed")
                     .values_list("after__reason", flat=True).order_by("id"))  # fmt: skip
    assert sentences == ["declined", "timeout"]
    # Nobody else: the chat waits (and is offered again when someone comes free).
    services.chat_decline(actor=nora, chat=chat)
    chat.refresh_from_db()
    assert chat.state == Chat.State.WAITING and chat.offered_to is None


def test_a_chat_everyone_let_go_is_offered_to_them_again_after_a_while(
    line, online, start, committed, settings
):
    ana = line["chatters"]["ana"]
    online(ana)
    chat, _token = start()
    assert chat.offered_to == ana
    committed(services.chat_decline, actor=ana, chat=chat)
    chat.refresh_from_db()
    assert chat.state == Chat.State.WAITING and chat.passed_over == [ana.pk]
    assert committed(services.route_waiting) == 0  # not straight back to who just said no
    Chat.objects.filter(pk=chat.pk).update(
        passed_at=timezone.now() - timedelta(seconds=settings.CHAT_REOFFER_SECONDS))  # fmt: skip
    # The only agent online declined once: the chat must not wait for nobody.
    assert committed(services.route_waiting) == 1
    chat.refresh_from_db()
    assert (chat.state, chat.offered_to, chat.passed_over) == (Chat.State.OFFERED, ana, [])
    # A chat passed over before passes had a time (migration chat/0004) is not stuck either.
    Chat.objects.filter(pk=chat.pk).update(state=Chat.State.WAITING, offered_to=None,
                                           passed_over=[ana.pk], passed_at=None)  # fmt: skip
    assert committed(services.route_waiting) == 1


def test_capacity_is_counted_and_respected_by_offers_and_next_ticket(
    line, online, start, committed, settings
):
    ana, ben = line["chatters"]["ana"], line["chatters"]["ben"]
    online(ana, limit=1)
    first, _t = start(email="one@example.net")
    committed(services.chat_accept, actor=ana, chat=first)
    second, _t = start(email="two@example.net")
    assert second.state == Chat.State.WAITING  # Ana is at her limit of one
    with pytest.raises(ticket_services.TicketConflict, match="limit of 1"):
        ticket_services.ticket_claim_next(agent=ana)
    online(ben)
    services.route_waiting()
    second.refresh_from_db()
    assert second.offered_to == ben
    # Other channels count by their weight: two open email tickets at 0.5 fill Ben's 3 with
    # the offered chat.
    settings.CHAT_CAPACITY_WEIGHTS = {"chat": 1.0, "email": 0.5}
    assert agents.loads([ben.pk]) == {ben.pk: 1.0}


def test_a_chat_ticket_whose_chat_is_over_weighs_as_email(line, online, start, committed,
                                                          settings):  # fmt: skip
    ana = line["chatters"]["ana"]
    online(ana, limit=1)
    chat, _t = start(email="one@example.net")
    committed(services.chat_accept, actor=ana, chat=chat)
    settings.CHAT_CAPACITY_WEIGHTS = {"chat": 1.0, "email": 0.25}
    assert agents.loads([ana.pk]) == {ana.pk: 1.0}
    # The chat ended and its ticket came back open in Ana's hands (the requester answered
    # the transcript by email): no longer a chat's place.
    Chat.objects.filter(pk=chat.pk).update(state=Chat.State.ENDED)
    chat.ticket.__class__.objects.filter(pk=chat.ticket_id).update(status=Status.OPEN)
    assert agents.loads([ana.pk]) == {ana.pk: 0.25}
    settings.CHAT_CAPACITY_WEIGHTS = {"chat": 1.0}  # email weighs nothing (the default)
    second, _t = start(email="two@example.net")
    assert second.state == Chat.State.OFFERED and second.offered_to == ana


def test_messages_are_stored_once_and_pushed_in_order(
    line, online, start, django_capture_on_commit_callbacks
):
    ana = line["chatters"]["ana"]
    online(ana)
    chat, _token = start()
    services.chat_accept(actor=ana, chat=chat)
    with django_capture_on_commit_callbacks(execute=True):
        one = services.chat_requester_send(chat=chat, body="¿Hola?", client_id="r-2")
        again = services.chat_requester_send(chat=chat, body="¿Hola?", client_id="r-2")
        reply = services.chat_agent_send(actor=ana, chat=chat, body="Hola María", client_id="a-1")
        services.chat_agent_send(actor=ana, chat=chat, body="Hola María", client_id="a-1")
    assert one.pk == again.pk
    bodies = list(Message.objects.filter(ticket=chat.ticket).order_by("id")
                  .values_list("body", flat=True))  # fmt: skip
    assert bodies == ["Hola, no puedo entrar en mi cuenta", "¿Hola?", "Hola María"]
    pushed = [e["data"] for e in _events(chat.topic) if e["kind"] == "message"]
    assert [m["id"] for m in pushed] == [one.pk, reply.pk]
    assert pushed[0]["client"] == "r-2" and pushed[1]["from"] == "agent"
    # The reply went into the chat, not to the requester's mailbox.
    assert reply.channel == Channel.CHAT
    assert not Notification.objects.filter(message=reply).exists()
    chat.ticket.refresh_from_db()
    assert chat.ticket.first_reply_at == reply.created_at


def test_an_internal_note_on_a_chat_is_never_pushed_to_the_requester(
        line, online, start, django_capture_on_commit_callbacks):  # fmt: skip
    ana = line["chatters"]["ana"]
    online(ana)
    chat, _token = start()
    services.chat_accept(actor=ana, chat=chat)
    with django_capture_on_commit_callbacks(execute=True):
        ticket_services.ticket_reply(actor=ana, ticket=chat.ticket, body="Check the account",
                                     internal=True)  # fmt: skip
    assert not [e for e in _events(chat.topic) if e["kind"] == "message"]


def test_an_ended_chat_solves_its_ticket_and_replies_go_by_email(line, online, start):
    ana = line["chatters"]["ana"]
    online(ana)
    chat, _token = start()
    services.chat_accept(actor=ana, chat=chat)
    with pytest.raises(services.ChatConflict):
        services.chat_end(chat=chat, by=Chat.Ended.AGENT, actor=line["chatters"]["ben"])
    services.chat_end(chat=chat, by=Chat.Ended.AGENT, actor=ana)
    chat.refresh_from_db()
    chat.ticket.refresh_from_db()
    assert chat.state == Chat.State.ENDED and chat.ticket.status == Status.SOLVED
    with pytest.raises(services.ChatConflict):
        services.chat_requester_send(chat=chat, body="one more thing", client_id="late")
    reply = ticket_services.ticket_reply(actor=ana, ticket=chat.ticket, body="Following up")
    assert reply.channel == Channel.EMAIL
    assert Notification.objects.filter(message=reply).exists()


def test_a_transfer_keeps_the_ticket_transcript_and_clocks(line, online, start):
    ana, ben = line["chatters"]["ana"], line["chatters"]["ben"]
    online(ana, ben)
    chat, _token = start()
    services.chat_accept(actor=chat.offered_to, chat=chat)
    clocks = list(chat.ticket.sla_clocks.values_list("pk", flat=True))
    services.chat_transfer(actor=ana, chat=chat, to_agent=ben)
    chat.refresh_from_db()
    chat.ticket.refresh_from_db()
    assert chat.agent == ben and chat.ticket.assignee == ben and chat.state == Chat.State.ACTIVE
    assert list(chat.ticket.sla_clocks.values_list("pk", flat=True)) == clocks
    # To a queue: back in line there, offered to whoever works it.
    other = line["queue"].__class__.objects.create(name="Billing chat", slug="billing-chat")
    other.teams.set([line["teams"]["inhouse"]])
    ticket_selectors.forget_visible_queues(ben)
    services.chat_transfer(actor=ben, chat=chat, to_queue=other)
    chat.refresh_from_db()
    assert chat.queue == other and chat.ticket.queue_id == other.pk
    assert chat.state == Chat.State.OFFERED and chat.offered_to in (ana, ben)
    assert Message.objects.filter(ticket=chat.ticket).count() == 1


def test_leaving_a_message_makes_an_email_ticket_with_the_transcript(line, start):
    chat, _token = start()
    assert chat.state == Chat.State.WAITING
    ticket = services.chat_leave_message(chat=chat, body="Please write to me")
    chat.refresh_from_db()
    ticket.refresh_from_db()
    assert chat.state == Chat.State.LEFT_MESSAGE and ticket.channel == Channel.EMAIL
    assert [m.body for m in ticket.messages.order_by("id")] == [
        "Hola, no puedo entrar en mi cuenta",
        "Please write to me",
    ]
    mail = Notification.objects.get(ticket=ticket, kind="chat_left_message")
    assert mail.recipient == "maria@example.net"
    assert "Please write to me" in mail.body


def test_an_idle_requester_is_reminded_then_the_chat_ends(line, online, start, settings):
    ana = line["chatters"]["ana"]
    online(ana)
    chat, _token = start()
    services.chat_accept(actor=ana, chat=chat)
    now = timezone.now()
    assert services.sweep_idle(now=now + timedelta(seconds=60)) == (0, 0)
    remind = now + timedelta(seconds=settings.CHAT_IDLE_REMIND_SECONDS + 1)
    assert services.sweep_idle(now=remind) == (1, 0)
    assert services.sweep_idle(now=remind) == (0, 0)  # once
    close = now + timedelta(seconds=settings.CHAT_IDLE_CLOSE_SECONDS + 1)
    assert services.sweep_idle(now=close) == (0, 1)
    chat.refresh_from_db()
    assert chat.state == Chat.State.ENDED and chat.ended_by == Chat.Ended.IDLE


def test_a_requester_who_left_the_line_gets_an_email_ticket_and_no_agent_an_empty_chat(
        line, online, start, committed, settings):  # fmt: skip
    """A chat in line whose requester has given no sign of life for CHAT_ABANDON_SECONDS
    becomes an email ticket with its transcript (as if they had left a message), an
    offer of it is withdrawn; one still there stays, and one the sweep has no record of
    gets the full time from then."""
    ana = line["chatters"]["ana"]
    online(ana, limit=1)
    gone, _t1 = start(email="gone@example.net")  # offered to Ana, who is full with it
    there, _t2 = start(email="there@example.net")
    unknown, _t3 = start(email="unknown@example.net")
    now = timezone.now()
    late = now + timedelta(seconds=settings.CHAT_ABANDON_SECONDS + 1)
    client = heartbeats.client()
    assert client.zscore(services.LINE_SEEN_KEY, str(gone.pk)) is not None  # the start
    assert gone.offered_to == ana and there.state == unknown.state == Chat.State.WAITING
    assert services.sweep_abandoned(now=now + timedelta(seconds=60)) == 0  # too soon
    services.requester_seen([there.pk], at=(late - timedelta(seconds=30)).timestamp())
    client.zrem(services.LINE_SEEN_KEY, str(unknown.pk))

    def swept(at):  # type: ignore[no-untyped-def]
        """A sweep as beat runs them, the last one a few seconds before."""
        client.set(services.LINE_SWEPT_KEY, (at - timedelta(seconds=5)).timestamp())
        return committed(services.sweep_abandoned, now=at)

    # After a gap in the sweeps (Redis or the workers down) no record is trusted.
    client.set(services.LINE_SWEPT_KEY, now.timestamp())
    assert committed(services.sweep_abandoned, now=late) == 0
    assert client.zscore(services.LINE_SEEN_KEY, str(gone.pk)) == late.timestamp()
    services.requester_seen([gone.pk], at=now.timestamp())
    client.zrem(services.LINE_SEEN_KEY, str(unknown.pk))

    assert swept(late) == 1
    gone.refresh_from_db()
    assert gone.state == Chat.State.LEFT_MESSAGE and gone.offered_to is None
    ticket = gone.ticket
    ticket.refresh_from_db()
    assert ticket.channel == Channel.EMAIL and ticket.status in (Status.NEW, Status.OPEN)
    mail = Notification.objects.get(ticket=ticket, kind="chat_left_message")
    assert mail.recipient == "gone@example.net"
    for chat in (there, unknown):
        chat.refresh_from_db()
        assert chat.state == Chat.State.WAITING
    assert client.zscore(services.LINE_SEEN_KEY, str(unknown.pk)) == late.timestamp()
    # Later still, neither heard from: both go.
    later = late + timedelta(seconds=settings.CHAT_ABANDON_SECONDS + 1)
    assert swept(later) == 2
    assert not Chat.objects.filter(state__in=Chat.IN_LINE).exists()


def test_a_requester_with_no_email_stays_in_line_and_typing_or_writing_shows_they_are_there(
        line, start, committed, settings):  # fmt: skip
    """With no address to answer at (an app's user known by id) the chat is never turned
    into an email ticket; a requester who types or writes in line is still there."""
    client = heartbeats.client()
    app_user, _t1 = start(email="", external_id="app-user-7")
    writer, _t2 = start(email="writer@example.net")
    now = timezone.now()
    late = now + timedelta(seconds=settings.CHAT_ABANDON_SECONDS + 1)
    client.zadd(services.LINE_SEEN_KEY, {str(app_user.pk): 1.0, str(writer.pk): 1.0})
    services.chat_typing(chat=writer, who="requester")
    assert client.zscore(services.LINE_SEEN_KEY, str(writer.pk)) > 1.0
    client.zadd(services.LINE_SEEN_KEY, {str(writer.pk): 1.0})
    committed(services.chat_requester_send, chat=writer, body="¿Hola?", client_id="r-2")
    assert client.zscore(services.LINE_SEEN_KEY, str(writer.pk)) > 1.0
    services.requester_seen([writer.pk], at=late.timestamp())
    client.set(services.LINE_SWEPT_KEY, (late - timedelta(seconds=5)).timestamp())
    assert committed(services.sweep_abandoned, now=late) == 0
    app_user.refresh_from_db()
    assert app_user.state == Chat.State.WAITING


def test_an_erasure_deletes_the_push_streams_of_the_requesters_chats(line, online, start,
                                                                     committed):  # fmt: skip
    from django.db import transaction

    from privacy import erasure

    ana = line["chatters"]["ana"]
    online(ana)
    chat, _token = start()
    committed(services.chat_accept, actor=ana, chat=chat)
    committed(services.chat_requester_send, chat=chat, body="Mi DNI es 1234", client_id="r-9")
    assert heartbeats.client().exists(push.key(chat.topic))

    def erase() -> None:
        with transaction.atomic():
            erasure.erase(chat.ticket.requester, mode="delete")

    committed(erase)
    assert not heartbeats.client().exists(push.key(chat.topic))
