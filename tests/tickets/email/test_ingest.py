"""Every message of the corpus becomes the right ticket or reply, or is ignored or
quarantined with a reason; none crashes the ingester."""

import io

import pytest
from django.core.management import call_command

from tests.tickets.email.corpus import cases
from tickets import services
from tickets.intake.email import email_ingest, email_process
from tickets.models import InboundEmail, Status, Ticket

CASES = cases()
pytestmark = pytest.mark.django_db


def test_the_corpus_is_large_enough():
    assert len(CASES) >= 40
    assert len({case.name for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_each_message_becomes_what_it_should(mailbox, case):
    if case.outcome == "duplicate":
        original = next(c for c in CASES if c.name == "utf8-8bit-spanish")
        email_ingest(original.raw)
    tickets_before = Ticket.objects.count()
    result = email_ingest(case.raw)
    record = InboundEmail.objects.get(pk=result.inbound.pk)
    assert bytes(record.raw) == case.raw  # kept as received, whatever happened
    assert result.outcome == case.outcome, (result.outcome, record.reason)
    assert case.reason in record.reason
    if case.outcome == "new_ticket":
        ticket = result.ticket
        assert Ticket.objects.count() == tickets_before + 1 and ticket.channel == "email"
        first = ticket.messages.get()
        assert first.author_type == "requester" and first.channel_message_id == record.message_id
        _check_message(case, ticket, first)
    elif case.outcome == "reply":
        assert result.ticket == mailbox["ticket"]
        assert Ticket.objects.count() == tickets_before
        reply = result.ticket.messages.filter(author_type="requester").latest("id")
        _check_message(case, result.ticket, reply)
    else:
        assert result.ticket is None and Ticket.objects.count() == tickets_before


def _check_message(case, ticket, message):  # type: ignore[no-untyped-def]
    if case.text:
        assert case.text.lower() in message.body.lower(), message.body
    if case.not_text:
        assert case.not_text.lower() not in message.body.lower(), message.body
        assert case.not_text.lower() not in message.body_html.lower()
    if case.subject:
        assert ticket.subject == case.subject
    if case.language:
        assert ticket.language == case.language
    if case.attachments is not None:
        assert message.attachments.count() == case.attachments
    if "filenames" in case.extra:
        assert sorted(a.filename for a in message.attachments.all()) == sorted(
            case.extra["filenames"]
        )
    if "from_name" in case.extra:
        assert ticket.requester.name == case.extra["from_name"]
    if "subject_len" in case.extra:
        assert len(ticket.subject) <= case.extra["subject_len"]
    assert "\n" not in ticket.subject and "\r" not in ticket.subject


def test_a_reply_reopens_a_solved_ticket(mailbox):
    ticket = mailbox["ticket"]
    services.ticket_change_status(actor=None, ticket=ticket, status=Status.SOLVED)
    reply = next(c for c in CASES if c.name == "gmail-reply")
    assert email_ingest(reply.raw).outcome == "reply"
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN


def test_a_reply_to_a_closed_ticket_opens_a_new_one(mailbox):
    Ticket.objects.filter(pk=mailbox["ticket"].pk).update(status=Status.CLOSED)
    reply = next(c for c in CASES if c.name == "reply-by-subject-token")
    result = email_ingest(reply.raw)
    assert result.outcome == "new_ticket" and "is closed" in result.detail


def test_without_a_queue_new_mail_waits_in_quarantine_and_a_retry_delivers_it(mailbox, settings):
    settings.INBOUND_EMAIL_QUEUE = ""
    case = next(c for c in CASES if c.name == "no-message-id")
    result = email_ingest(case.raw)
    assert result.outcome == "quarantined" and "no queue" in result.inbound.reason
    settings.INBOUND_EMAIL_QUEUE = mailbox["queues"]["inhouse"].slug
    assert email_process(result.inbound).outcome == "new_ticket"


def test_the_command_reads_files_and_standard_input(mailbox, tmp_path, monkeypatch):
    first = tmp_path / "one.eml"
    first.write_bytes(next(c for c in CASES if c.name == "latin1-qp-french").raw)
    second = tmp_path / "two.eml"
    second.write_bytes(next(c for c in CASES if c.name == "out-of-office").raw)
    out = io.StringIO()
    call_command("ingest_email", str(first), str(second), stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith(f"{first}: <c2@mail.test>: new ticket ")
    assert lines[1] == f"{second}: <o1@mail.test>: ignored (Auto-Submitted: auto-replied)"

    class Stdin:
        buffer = io.BytesIO(next(c for c in CASES if c.name == "empty").raw)

    monkeypatch.setattr("sys.stdin", Stdin)
    out = io.StringIO()
    call_command("ingest_email", stdout=out)
    assert "quarantined (empty message)" in out.getvalue()


def test_the_webhook_needs_its_token(mailbox, client, settings):
    raw = next(c for c in CASES if c.name == "pdf-attachment").raw
    settings.INBOUND_EMAIL_WEBHOOK_TOKEN = ""
    assert client.post("/api/v1/email/inbound", raw, content_type="message/rfc822"
                       ).status_code == 503  # fmt: skip
    settings.INBOUND_EMAIL_WEBHOOK_TOKEN = "s3cret-token"
    response = client.post("/api/v1/email/inbound", raw, content_type="message/rfc822",
                           HTTP_AUTHORIZATION="Bearer wrong")  # fmt: skip
    assert response.status_code == 401 and "bearer token" in response.json()["error"]
    response = client.post("/api/v1/email/inbound", raw, content_type="message/rfc822",
                           HTTP_AUTHORIZATION="Bearer s3cret-token")  # fmt: skip
    assert response.status_code == 202 and response.json()["outcome"] == "new_ticket"
    assert InboundEmail.objects.get().source == "webhook"


def test_mail_in_reply_out_with_threading_headers_and_the_answer_reopens(mailbox, mailoutbox):
    from tickets.models import Notification
    from tickets.outbox import notification_deliver

    first = (b"From: Erin <erin@example.org>\r\nTo: support@helpdesk.test\r\n"
             b"Subject: Payment failed\r\nMessage-ID: <erin-1@mail.test>\r\n\r\n"
             b"My card payment failed twice today, what should I do?")  # fmt: skip
    ticket = email_ingest(first).ticket
    agent = mailbox["people"]["inhouse_agent"]
    services.ticket_reply(actor=agent, ticket=ticket, body="Please try another card.",
                          status=Status.PENDING)  # fmt: skip
    notification = Notification.objects.get(ticket=ticket, kind="requester_reply")
    assert notification_deliver(notification.pk) == "sent"
    sent = mailoutbox[-1]
    assert sent.to == ["erin@example.org"] and f"[{ticket.reference}]" in sent.subject
    assert sent.extra_headers["In-Reply-To"] == "<erin-1@mail.test>"
    assert "<erin-1@mail.test>" in sent.extra_headers["References"]
    our_id = sent.extra_headers["Message-ID"]

    answer = (f"From: erin@example.org\r\nTo: support@helpdesk.test\r\n"
              f"Subject: Re: [{ticket.reference}] Payment failed\r\n"
              f"Message-ID: <erin-2@mail.test>\r\nIn-Reply-To: {our_id}\r\n"
              f"References: <erin-1@mail.test> {our_id}\r\n\r\n"
              f"Another card worked, thanks!\r\n\r\nOn Mon, Helpdesk wrote:\r\n> Please try "
              f"another card.").encode()  # fmt: skip
    result = email_ingest(answer)
    assert result.outcome == "reply" and result.ticket == ticket
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    assert ticket.messages.latest("id").body == "Another card worked, thanks!"


def test_an_unexpected_failure_quarantines_the_message_and_the_batch_goes_on(mailbox, monkeypatch):
    from tickets.intake import email as email_service

    def explode(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(email_service, "ticket_create", explode)
    case = next(c for c in CASES if c.name == "no-message-id")
    result = email_ingest(case.raw)
    assert result.outcome == "quarantined" and "RuntimeError: disk on fire" in result.inbound.reason
    assert not Ticket.objects.filter(subject="No id").exists()
    monkeypatch.undo()
    assert email_ingest(next(c for c in CASES if c.name == "pdf-attachment").raw
                        ).outcome == "new_ticket"  # fmt: skip
