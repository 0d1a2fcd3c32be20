"""Whatever bytes arrive, every message is stored as a ticket, a reply or a quarantine
entry (issue 14 item 9): NULs in headers and bodies, bytes in no charset, broken MIME,
headers of megabytes. NULs never reach a text column; the raw message is kept as it came.
Through the service, the ingest_email command (which must exit 0) and the webhook."""

import io
import json

import pytest
from django.core.management import call_command

from tests.tickets.email.corpus import STORED, hostile
from tickets.intake.email import email_ingest
from tickets.models import InboundEmail, Ticket

HOSTILE = hostile()
STORED_OUTCOMES = {"new_ticket", "reply", "quarantined"}
WEBHOOK_TOKEN = "hostile-webhook-token"  # a test value
pytestmark = pytest.mark.django_db


def _expected(case) -> set[str]:  # type: ignore[no-untyped-def]
    return STORED_OUTCOMES if case.outcome == STORED else {case.outcome}


def _assert_nothing_holds_a_nul(record: InboundEmail) -> None:
    texts = [record.message_id, record.from_address, record.subject, record.reason]
    if record.ticket_id:
        ticket = Ticket.objects.select_related("requester").get(pk=record.ticket_id)
        texts += [ticket.subject, ticket.requester.name, ticket.requester.email,
                  json.dumps(ticket.metadata), *ticket.tags]  # fmt: skip
        for message in ticket.messages.all():
            texts += [message.body, message.body_html, message.channel_message_id]
            texts += [item.filename for item in message.attachments.all()]
    assert not [text for text in texts if "\x00" in text or "\\u0000" in text]


def test_the_hostile_corpus_covers_nuls_charsets_mime_and_size():
    names = " ".join(case.name for case in HOSTILE)
    for kind in ("nul-in-subject", "nul-in-body", "utf8", "multipart", "megabyte"):
        assert kind in names
    assert len({case.name for case in HOSTILE}) == len(HOSTILE) >= 25


@pytest.mark.parametrize("case", HOSTILE, ids=[case.name for case in HOSTILE])
def test_each_hostile_message_is_stored_and_nothing_keeps_a_nul(mailbox, case):
    result = email_ingest(case.raw)
    record = InboundEmail.objects.get(pk=result.inbound.pk)
    assert bytes(record.raw) == case.raw  # as it came, NULs and all
    assert record.outcome in _expected(case), (record.outcome, record.reason)
    _assert_nothing_holds_a_nul(record)
    if record.outcome in ("new_ticket", "reply"):
        message = record.created_message
        assert message is not None and message.ticket_id == record.ticket_id
        if case.text:
            assert case.text in message.body, message.body
        if case.subject:
            assert record.ticket.subject == case.subject
        if case.attachments is not None:
            assert message.attachments.count() == case.attachments
        if "subject_len" in case.extra:
            assert len(record.ticket.subject) <= case.extra["subject_len"]
    if record.outcome == "reply":
        assert record.ticket == mailbox["ticket"]


def test_the_command_stores_every_hostile_message_and_exits_0(mailbox, tmp_path):
    files = []
    for n, case in enumerate(HOSTILE):
        path = tmp_path / f"{n:02d}-{case.name}.eml"
        path.write_bytes(case.raw)
        files.append(str(path))
    out, err = io.StringIO(), io.StringIO()
    call_command("ingest_email", *files, stdout=out, stderr=err)  # exit 75 raises CommandError
    assert err.getvalue() == ""
    assert len(out.getvalue().splitlines()) == len(HOSTILE)
    records = list(InboundEmail.objects.order_by("id"))
    assert [bytes(record.raw) for record in records] == [case.raw for case in HOSTILE]
    for case, record in zip(HOSTILE, records, strict=True):
        assert record.outcome in _expected(case), (case.name, record.outcome, record.reason)


def test_the_webhook_takes_every_hostile_message(mailbox, client, settings):
    settings.INBOUND_EMAIL_WEBHOOK_TOKEN = WEBHOOK_TOKEN
    for case in HOSTILE:
        response = client.post("/api/v1/email/inbound", case.raw, content_type="message/rfc822",
                               headers={"Authorization": f"Bearer {WEBHOOK_TOKEN}"})  # fmt: skip
        assert response.status_code == 202, (case.name, response.status_code)
        body = response.json()
        assert body["outcome"] in _expected(case), (case.name, body)
        record = InboundEmail.objects.get(pk=body["inbound_id"])
        assert bytes(record.raw) == case.raw and record.source == "webhook"
