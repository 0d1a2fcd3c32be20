"""Merging tickets of two different requesters: it needs an explicit confirmation naming
both, and the messages that move keep the requester they were from or to, so neither
person ever sees the other's conversation (their page, their mail)."""

import re

import pytest

from tests.tickets import factories as tf
from tickets import outbox, services
from tickets.intake.email import email_ingest
from tickets.intake.help_center import requester_link
from tickets.models import Message, Notification

pytestmark = pytest.mark.django_db


def _mail(sender: str, message_id: str, body: str) -> bytes:
    return (f"From: {sender}\r\nTo: support@helpdesk.test\r\nSubject: Card declined\r\n"
            f"Message-ID: {message_id}\r\n\r\n{body}").encode()  # fmt: skip


@pytest.fixture
def two_people(desk, settings):
    """Ana's ticket and Ben's, in the same queue; Ben wrote by email and we answered him."""
    settings.INBOUND_EMAIL_QUEUE = desk["queues"]["inhouse"].slug
    agent = desk["people"]["inhouse_agent"]
    ana_ticket = email_ingest(_mail("Ana Target <ana@example.org>", "<ana-first@mail.example.org>",
                                    "Ana's own words")).ticket  # fmt: skip
    ben_ticket = email_ingest(_mail("Ben Source <ben@example.com>", "<ben-first@mail.example.com>",
                                    "Ben's private words")).ticket  # fmt: skip
    ana, ben = ana_ticket.requester, ben_ticket.requester
    reply_to_ben = services.ticket_reply(actor=agent, ticket=ben_ticket,
                                         body="Our answer to Ben only")  # fmt: skip
    assert outbox.notification_deliver(Notification.objects.get(message=reply_to_ben).pk) == "sent"
    services.ticket_reply(actor=agent, ticket=ben_ticket, body="A note about Ben", internal=True)
    return {**desk, "agent": agent, "ana": ana, "ben": ben, "ana_ticket": ana_ticket,
            "ben_ticket": ben_ticket}  # fmt: skip


def _merge_ben_into_ana(two_people):  # type: ignore[no-untyped-def]
    services.ticket_merge(
        actor=two_people["agent"],
        source=two_people["ben_ticket"],
        target=two_people["ana_ticket"],
        confirm_different_requesters=True,
    )


BEN_WORDS = ("Ben's private words", "Our answer to Ben only", "ben@example.com", "Ben Source")


def test_merging_tickets_of_different_requesters_needs_a_confirmation_naming_both(two_people):
    with pytest.raises(services.TicketError) as refused:
        services.ticket_merge(actor=two_people["agent"], source=two_people["ben_ticket"],
                              target=two_people["ana_ticket"])  # fmt: skip
    assert "Ben Source" in str(refused.value) and "Ana Target" in str(refused.value)
    assert not Message.objects.filter(ticket=two_people["ana_ticket"],
                                      body="Ben's private words").exists()  # fmt: skip


def test_merging_the_same_requesters_tickets_needs_no_extra_confirmation(two_people):
    queue = two_people["queues"]["inhouse"]
    again = tf.ticket(queue, subject="Still declined", requester_=two_people["ana"])
    services.ticket_merge(actor=two_people["agent"], source=again,
                          target=two_people["ana_ticket"])  # fmt: skip
    assert not Message.objects.filter(ticket=two_people["ana_ticket"],
                                      origin_requester__isnull=False).exists()  # fmt: skip


def test_moved_messages_remember_the_requester_they_were_from_or_to(two_people):
    ben_message_ids = set(two_people["ben_ticket"].messages.values_list("id", flat=True))
    _merge_ben_into_ana(two_people)
    moved = Message.objects.filter(pk__in=ben_message_ids)
    assert {m.ticket_id for m in moved} == {two_people["ana_ticket"].pk}
    assert {m.origin_requester_id for m in moved} == {two_people["ben"].pk}
    assert not Message.objects.filter(ticket=two_people["ana_ticket"]).exclude(
        pk__in=ben_message_ids).exclude(origin_requester=None).exists()  # fmt: skip


def test_a_message_merged_twice_keeps_its_first_origin(two_people):
    queue = two_people["queues"]["inhouse"]
    cleo_ticket = tf.ticket(queue, requester_=tf.requester(name="Cleo Third"))
    agent = two_people["agent"]
    _merge_ben_into_ana(two_people)
    services.ticket_merge(actor=agent, source=two_people["ana_ticket"], target=cleo_ticket,
                          confirm_different_requesters=True)  # fmt: skip
    origins = dict(Message.objects.filter(ticket=cleo_ticket, author_type="requester")
                   .values_list("body", "origin_requester"))  # fmt: skip
    assert origins["Ben's private words"] == two_people["ben"].pk
    assert origins["Ana's own words"] == two_people["ana"].pk


def test_the_target_requesters_page_shows_only_their_own_conversation(two_people, client):
    _merge_ben_into_ana(two_people)
    ana_ticket = two_people["ana_ticket"]
    services.ticket_reply(actor=two_people["agent"], ticket=ana_ticket, body="Reply to Ana")
    path = requester_link(ana_ticket).split("/help/", 1)[1]
    page = client.get(f"/help/{path}").content.decode()
    assert "Ana&#x27;s own words" in page and "Reply to Ana" in page
    for words in BEN_WORDS:
        assert words not in page and words.replace("'", "&#x27;") not in page
    # Every message the page shows is from or to Ana: her first message and our reply.
    assert len(re.findall(r'<li class="card', page)) == 2


def test_mail_to_the_target_requester_never_refers_to_the_other_requesters_mail(
    two_people, mailoutbox
):
    ben_mail_ids = set(Message.objects.filter(ticket=two_people["ben_ticket"])
                       .exclude(channel_message_id="").values_list("channel_message_id",
                                                                   flat=True))  # fmt: skip
    assert "<ben-first@mail.example.com>" in ben_mail_ids and len(ben_mail_ids) == 2
    _merge_ben_into_ana(two_people)
    message = services.ticket_reply(actor=two_people["agent"], ticket=two_people["ana_ticket"],
                                    body="Reply to Ana")  # fmt: skip
    notification = Notification.objects.get(message=message)
    assert notification.recipient == "ana@example.org"
    assert outbox.notification_deliver(notification.pk) == "sent"
    sent = mailoutbox[-1].message()
    assert sent["In-Reply-To"] == "<ana-first@mail.example.org>"
    everything = sent.as_string()
    for mail_id in ben_mail_ids:
        assert mail_id not in everything
    for words in BEN_WORDS:
        assert words not in everything


def test_a_reply_queued_before_the_merge_threads_with_its_own_requesters_mail(
    two_people, mailoutbox
):
    message = services.ticket_reply(actor=two_people["agent"], ticket=two_people["ben_ticket"],
                                    body="Second answer to Ben")  # fmt: skip
    _merge_ben_into_ana(two_people)
    notification = Notification.objects.get(message=message)
    assert outbox.notification_deliver(notification.pk) == "sent"
    sent = mailoutbox[-1].message()
    assert sent["To"] == "ben@example.com"
    assert "<ben-first@mail.example.com>" in sent["References"]
    assert "ana-first" not in sent.as_string()
