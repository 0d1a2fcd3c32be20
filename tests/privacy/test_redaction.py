"""Redaction: suggestions, a span removed from everywhere it was copied, a file replaced,
the audit without the text, holds, and who may."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse

from core.errors import Forbidden
from privacy import redaction, services
from privacy.models import Redaction
from privacy.redaction import RedactionError, suggestions
from tests.tickets import factories as tf
from tickets import services as tickets
from tickets.models import Attachment, Event, InboundEmail, Notification
from tickets.selectors import search_tickets

pytestmark = pytest.mark.django_db

CARD = "4111 1111 1111 1111"  # Luhn-valid test number


def test_suggestions_find_cards_ibans_emails_phones_and_configured_patterns(settings):
    settings.PRIVACY_REDACTION_PATTERNS = ["ACC-[0-9]{6}", "([unclosed"]  # a bad one is skipped
    text = (f"Card {CARD}, not 4111 1111 1111 1112. IBAN GB82 WEST 1234 5698 7654 32, "
            "not GB00 WEST 1234 5698 7654 32. Mail ana@example.org or call +44 20 7946 0958. "
            "Account ACC-123456.")  # fmt: skip
    found = [(s.kind, s.text) for s in suggestions(text)]
    assert found == [("card", CARD), ("iban", "GB82 WEST 1234 5698 7654 32"),
                     ("email", "ana@example.org"), ("phone", "+44 20 7946 0958"),
                     ("pattern", "ACC-123456")]  # fmt: skip


def test_a_number_is_suggested_once_as_what_it_most_likely_is():
    assert [s.kind for s in suggestions(f"{CARD}")] == ["card"]
    assert [s.kind for s in suggestions("call (202) 555-0143", region="US")] == ["phone"]


@pytest.fixture
def pasted(desk):
    """A requester pasted a card number into an email that also went into the outbox."""
    ticket = tf.ticket(desk["queues"]["inhouse"], subject="Payment",
                       requester_=tf.requester(email="sam@example.org"))  # fmt: skip
    lead = desk["people"]["inhouse_lead"]
    message = tickets.ticket_requester_reply(
        ticket=ticket, body=f"My card is {CARD}, thanks",
        body_html=f"<p>My card is <b>{CARD}</b></p>")  # fmt: skip
    InboundEmail.objects.create(
        raw=f"Subject: x\n\nMy card is {CARD}".encode(), size=40, outcome="reply",
        ticket=ticket, created_message=message)  # fmt: skip
    tickets.ticket_reply(actor=desk["people"]["inhouse_agent"], ticket=ticket,
                         body=f"We got {CARD[-4:]}.")  # fmt: skip
    Notification.objects.create(kind="test", channel="email", recipient="sam@example.org",
                                body=f"quoted: {CARD}", payload={"text": CARD}, ticket=ticket,
                                message=message, idempotency_key="k1")  # fmt: skip
    return {**desk, "ticket": ticket, "message": message, "lead": lead}


def test_a_redacted_span_is_gone_from_everywhere_it_was_copied(pasted):
    ticket, message, lead = pasted["ticket"], pasted["message"], pasted["lead"]
    assert search_tickets(lead, "4111").rows
    redaction.message_redact(actor=lead, message=message, spans=[CARD], reason="card number")
    message.refresh_from_db()
    assert message.body == "My card is [redacted], thanks"
    assert CARD not in message.body_html and "[redacted]" in message.body_html
    notification = Notification.objects.get(idempotency_key="k1")
    assert CARD not in notification.body and notification.payload == {"text": "[redacted]"}
    inbound = InboundEmail.objects.get(created_message=message)
    assert bytes(inbound.raw) == b"" and inbound.reason == redaction.RAW_REMOVED
    assert not search_tickets(lead, "4111").rows
    record = Redaction.objects.get()
    assert (record.actor, record.characters, record.reason) == (lead, len(CARD), "card number")
    event = Event.objects.get(ticket=ticket, kind="message_redacted")
    assert CARD not in str(event.after) and event.after["characters"] == len(CARD)


def test_a_span_the_message_does_not_hold_is_refused_and_nothing_changes(pasted):
    with pytest.raises(RedactionError, match="does not contain"):
        redaction.message_redact(actor=pasted["lead"], message=pasted["message"],
                                 spans=["not there"], reason="x")  # fmt: skip
    with pytest.raises(RedactionError, match="why"):
        redaction.message_redact(actor=pasted["lead"], message=pasted["message"],
                                 spans=[CARD], reason=" ")  # fmt: skip
    assert not Redaction.objects.exists()


def test_agents_and_leads_who_do_not_see_the_ticket_may_not_redact(pasted):
    for key in ("inhouse_agent", "north_lead"):
        with pytest.raises(Forbidden):
            redaction.message_redact(actor=pasted["people"][key], message=pasted["message"],
                                     spans=[CARD], reason="x")  # fmt: skip


def test_a_legal_hold_refuses_redaction(pasted):
    admin = pasted["people"]["admin"]
    services.hold_place(actor=admin, case_number="LIT-3", owner=admin, reason="x",
                        review_on=pasted["ticket"].created_at.date().replace(year=2099),
                        ticket=pasted["ticket"])  # fmt: skip
    with pytest.raises(RedactionError, match="legal hold"):
        redaction.message_redact(actor=pasted["lead"], message=pasted["message"],
                                 spans=[CARD], reason="x")  # fmt: skip


def test_a_file_is_replaced_by_a_notice_and_the_original_leaves_the_storage(
    pasted, django_capture_on_commit_callbacks
):
    message = pasted["message"]
    attachment = Attachment(message=message, filename="passport-sam.jpg",
                            content_type="image/jpeg", size=3)  # fmt: skip
    attachment.file.save("x", ContentFile(b"JPG"), save=True)
    old = attachment.file.name
    # Its protected previews (trust & safety) showed the file too.
    from safety.models import Derivative

    preview = Derivative(attachment=attachment, state=Derivative.State.READY)
    preview.file.save("p.jpg", ContentFile(b"blurred"), save=False)
    preview.grey_file.save("g.jpg", ContentFile(b"grey"), save=True)
    previews = [preview.file.name, preview.grey_file.name]
    with django_capture_on_commit_callbacks(execute=True):
        redaction.attachment_replace(actor=pasted["lead"], attachment=attachment,
                                     reason="passport")  # fmt: skip
    attachment.refresh_from_db()
    assert attachment.filename == "redacted.txt" and attachment.content_type == "text/plain"
    assert not default_storage.exists(old) and default_storage.exists(attachment.file.name)
    assert not Derivative.objects.filter(attachment=attachment).exists()
    assert not any(default_storage.exists(name) for name in previews)
    assert Event.objects.filter(ticket=pasted["ticket"], kind="attachment_replaced").exists()


def test_the_redaction_page_for_a_lead_and_404_for_the_others(client, pasted):
    url = reverse("privacy:redact", args=[pasted["ticket"].reference])
    for key in ("inhouse_agent", "north_lead"):
        client.force_login(pasted["people"][key])
        assert client.get(url).status_code == 404
        assert client.post(url, {"message": pasted["message"].pk, "span": CARD,
                                 "reason": "x"}).status_code == 404  # fmt: skip
    client.force_login(pasted["lead"])
    page = client.get(url).content.decode()
    assert "Card number" in page and CARD in page
    response = client.post(url, {"message": pasted["message"].pk, "other": "nowhere",
                                 "reason": "x"})  # fmt: skip
    assert response.status_code == 400 and "does not contain" in response.content.decode()
    response = client.post(url, {"message": pasted["message"].pk, "span": CARD, "reason": "x"})
    assert response.status_code == 302
    pasted["message"].refresh_from_db()
    assert CARD not in pasted["message"].body


def test_the_ticket_page_links_to_redaction_for_leads_only(client, pasted):
    url = reverse("tickets:detail", args=[pasted["ticket"].reference])
    client.force_login(pasted["lead"])
    link = reverse("privacy:redact", args=[pasted["ticket"].reference])
    assert link in client.get(url).content.decode()
    client.force_login(pasted["people"]["inhouse_agent"])
    assert "privacy-panel" not in client.get(url).content.decode()
