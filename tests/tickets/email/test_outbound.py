"""Outbound mail: rendered per language from HTML and text templates, sent from the
queue's mailbox, threaded, marked when automatic, and never carrying injected headers;
receipts for new email tickets, throttled per sender; routing of new mail to queues."""

from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from django.utils import timezone

from tests.tickets import factories as tf
from tickets import outbox, services
from tickets.intake.email import email_ingest
from tickets.models import EmailRoute, Mailbox, Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def boxes(desk, settings):
    settings.INBOUND_EMAIL_QUEUE = desk["queues"]["inhouse"].slug
    settings.DEFAULT_FROM_EMAIL = "Helpdesk <helpdesk@helpdesk.test>"
    settings.EMAIL_ACK_LIMIT = 3
    inhouse = Mailbox.objects.create(
        queue=desk["queues"]["inhouse"], address="safety@helpdesk.test", from_name="Trust & Safety"
    )
    atlas = Mailbox.objects.create(queue=desk["queues"]["atlas"], address="mena@helpdesk.test",
                                   from_name="فريق الدعم")  # fmt: skip
    return {**desk, "inhouse_box": inhouse, "atlas_box": atlas}


def mail_from(sender: str, subject: str, *, to: str = "safety@helpdesk.test", mid: str = "",
              body: str = "Please help me with my account, it is locked.",
              headers: str = "") -> bytes:  # fmt: skip
    mid = mid or f"<{abs(hash((sender, subject, body)))}@mail.test>"
    return (f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: {mid}\r\n"
            f"{headers}\r\n{body}").encode()  # fmt: skip


def deliver(notification: Notification, mailoutbox):  # type: ignore[no-untyped-def]
    assert outbox.notification_deliver(notification.pk) == "sent"
    sent = mailoutbox[-1]
    return sent, message_from_bytes(sent.message().as_bytes(), policy=policy.default)


def test_a_reply_goes_out_from_the_queues_mailbox_in_text_and_html(boxes, mailoutbox):
    ticket = tf.ticket(boxes["queues"]["inhouse"], subject="Locked out")
    message = services.ticket_reply(actor=boxes["people"]["inhouse_agent"], ticket=ticket,
                                    body="Hello <b>Sam</b>,\n\nWe unlocked it.")  # fmt: skip
    sent, parsed = deliver(Notification.objects.get(message=message), mailoutbox)
    assert parsed["From"].addresses[0].addr_spec == "safety@helpdesk.test"
    assert parsed["From"].addresses[0].display_name == "Trust & Safety"
    text = parsed.get_body(("plain",)).get_content()
    html = parsed.get_body(("html",)).get_content()
    assert "Hello <b>Sam</b>" in text and f"Reference {ticket.reference}" in text
    assert "Hello &lt;b&gt;Sam&lt;/b&gt;" in html and "<b>Sam" not in html  # escaped
    assert 'lang="en" dir="ltr"' in html
    assert "Auto-Submitted" not in parsed  # a person wrote it


def test_mail_is_rendered_in_the_tickets_language_and_arabic_is_right_to_left(boxes, mailoutbox):
    ticket = tf.ticket(boxes["queues"]["atlas"], subject="لا أستطيع الدخول", language="ar")
    message = services.ticket_reply(actor=boxes["people"]["atlas_agent"], ticket=ticket,
                                    body="مرحبا")  # fmt: skip
    _, parsed = deliver(Notification.objects.get(message=message), mailoutbox)
    html = parsed.get_body(("html",)).get_content()
    assert 'lang="ar" dir="rtl"' in html
    assert "Reference" not in parsed.get_body(("plain",)).get_content()  # translated footer
    assert parsed["From"].addresses[0].display_name == "فريق الدعم"
    spanish = tf.ticket(boxes["queues"]["inhouse"], subject="Cuenta", language="es-MX")
    message = services.ticket_reply(actor=boxes["people"]["inhouse_agent"], ticket=spanish,
                                    body="Hola")  # fmt: skip
    _, parsed = deliver(Notification.objects.get(message=message), mailoutbox)
    assert "Referencia" in parsed.get_body(("plain",)).get_content()


def test_no_header_injection_from_subjects_or_sender_names(boxes, mailoutbox):
    box = boxes["inhouse_box"]
    box.from_name = "Support\r\nBcc: victim@example.com"
    box.save()
    ticket = tf.ticket(boxes["queues"]["inhouse"], subject="Hi\nBcc: victim@example.com")
    message = services.ticket_reply(actor=boxes["people"]["inhouse_agent"], ticket=ticket,
                                    body="Done.")  # fmt: skip
    sent, parsed = deliver(Notification.objects.get(message=message), mailoutbox)
    assert parsed["Bcc"] is None and sent.recipients() == [ticket.requester.email]
    assert "\n" not in parsed["Subject"] and "\n" not in str(parsed["From"])
    assert parsed["From"].addresses[0].addr_spec == "safety@helpdesk.test"


def test_a_new_email_ticket_gets_a_receipt_that_threads_and_says_it_is_automatic(boxes, mailoutbox):
    result = email_ingest(mail_from("Sam <sam@example.org>", "Locked out", mid="<sam-1@m.test>"))
    ticket = result.ticket
    ack = Notification.objects.get(ticket=ticket, kind="email_ack")
    sent, parsed = deliver(ack, mailoutbox)
    assert parsed["Auto-Submitted"] == "auto-replied"
    assert parsed["In-Reply-To"] == "<sam-1@m.test>"
    assert parsed["From"].addresses[0].addr_spec == "safety@helpdesk.test"
    assert ticket.reference in parsed["Subject"] and "/help/t/" in sent.body
    # The requester answers the receipt itself, without the reference in the subject.
    answer = mail_from("sam@example.org", "Re: your receipt", mid="<sam-2@m.test>",
                       headers=f"In-Reply-To: {parsed['Message-ID']}\r\n",
                       body="One more detail: it says error 42.")  # fmt: skip
    reply = email_ingest(answer)
    assert reply.outcome == "reply" and reply.ticket == ticket


def test_receipts_are_throttled_per_sender_and_never_sent_for_automatic_mail(boxes, settings):
    for n in range(5):
        email_ingest(mail_from("flood@example.org", f"Help {n}", body=f"Problem number {n}."))
    assert Notification.objects.filter(kind="email_ack", recipient="flood@example.org").count() == 3
    last = email_ingest(mail_from("flood@example.org", "Help 6", body="Problem six."))
    assert last.outcome == "new_ticket" and "too many" in last.inbound.reason
    # Older receipts fall out of the window.
    window = timedelta(minutes=settings.EMAIL_ACK_WINDOW_MINUTES + 1)
    Notification.objects.filter(kind="email_ack").update(created_at=timezone.now() - window)
    email_ingest(mail_from("flood@example.org", "Help 7", body="Problem seven."))
    assert Notification.objects.filter(kind="email_ack", recipient="flood@example.org").count() == 4
    robot = email_ingest(mail_from("robot@example.org", "Out of office", headers=(
        "Auto-Submitted: auto-replied\r\n")))  # fmt: skip
    assert robot.outcome == "ignored"
    assert not Notification.objects.filter(recipient="robot@example.org").exists()


def test_a_mailbox_can_turn_receipts_off(boxes):
    email_ingest(mail_from("first@example.org", "Routing is read and cached now"))
    Mailbox.objects.filter(pk=boxes["inhouse_box"].pk).update(send_acknowledgement=False)
    result = email_ingest(mail_from("quiet@example.org", "No receipt please"))
    assert result.outcome == "new_ticket"
    assert not Notification.objects.filter(kind="email_ack", recipient="quiet@example.org").exists()


def test_new_mail_is_routed_by_rule_then_by_the_address_it_was_sent_to(boxes):
    queues = boxes["queues"]
    to_atlas = email_ingest(mail_from("a@example.org", "مرحبا", to="MENA@helpdesk.test"))
    assert to_atlas.ticket.queue == queues["atlas"]
    fallback = email_ingest(mail_from("b@example.org", "Hello", to="other@helpdesk.test"))
    assert fallback.ticket.queue == queues["inhouse"]  # INBOUND_EMAIL_QUEUE
    EmailRoute.objects.create(position=1, field=EmailRoute.Field.SUBJECT, contains="Chargeback",
                              queue=queues["north"], category="billing")  # fmt: skip
    EmailRoute.objects.create(position=2, field=EmailRoute.Field.FROM, contains="@bank.example",
                              queue=queues["north_t2"])  # fmt: skip
    routed = email_ingest(mail_from("c@bank.example", "CHARGEBACK notice", to="mena@helpdesk.test"))
    assert (routed.ticket.queue, routed.ticket.category) == (queues["north"], "billing")
    by_sender = email_ingest(mail_from("d@bank.example", "Statement"))
    assert by_sender.ticket.queue == queues["north_t2"]


def test_mail_from_our_own_mailboxes_is_ignored(boxes):
    result = email_ingest(mail_from("Support <mena@helpdesk.test>", "Loop?"))
    assert result.outcome == "ignored" and "our own address" in result.inbound.reason


def test_notifications_to_agents_are_rendered_and_marked_automatic(boxes, mailoutbox):
    from tickets.outbox import mail

    rendered = mail.render("sla_alert", {
        "ticket": tf.ticket(boxes["queues"]["inhouse"], subject="<script>x</script>"),
        "breached": True, "metric": "first reply", "due_at": timezone.now(), "policy": "Gold",
        "url": "https://helpdesk.test/t/",
    }, language="es")  # fmt: skip
    assert "<script>" not in rendered.html and "&lt;script&gt;" in rendered.html
    assert "<script>x</script>" in rendered.text  # plain text is not HTML
    assert "incumplido" in rendered.subject and "incumplido" in rendered.text


def test_an_agents_files_go_with_the_reply_up_to_the_limit(boxes, mailoutbox, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.EMAIL_ATTACHMENTS_MAX_BYTES = 3000
    pdf = b"%PDF-1.4\n" + b"0" * 1500
    files = [
        SimpleUploadedFile("steps.pdf", pdf, "application/pdf"),
        SimpleUploadedFile("big<1>.pdf", b"%PDF-1.4\n" + b"1" * 2500, "application/pdf"),
    ]
    ticket = tf.ticket(boxes["queues"]["inhouse"], subject="Refund form")
    message = services.ticket_reply(actor=boxes["people"]["inhouse_agent"], ticket=ticket,
                                    body="The form is attached.", files=files)  # fmt: skip
    _, parsed = deliver(Notification.objects.get(message=message), mailoutbox)
    attached = [(part.get_filename(), part.get_content()) for part in parsed.iter_attachments()]
    assert attached == [("steps.pdf", pdf)]
    left_out = message.attachments.order_by("id").last().filename
    text = parsed.get_body(("plain",)).get_content()
    assert "Too large to send by email" in text and left_out in text
    assert "<" not in left_out  # file names are made safe when stored
    assert left_out in parsed.get_body(("html",)).get_content()
