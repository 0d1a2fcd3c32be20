"""IMAP polling against a real IMAP server: each message is ingested, and only then
moved (or flagged); a crash in between loses nothing and makes no second ticket."""

import psycopg
import pytest
from django.db import connection

from tickets.intake import imap
from tickets.models import InboundEmail, Mailbox, Ticket

pytestmark = pytest.mark.django_db


def message(n: int, subject: str = "Locked out", sender: str = "sam@example.org") -> bytes:
    return (f"From: Sam <{sender}>\r\nTo: support@helpdesk.test\r\nSubject: {subject} {n}\r\n"
            f"Message-ID: <imap-{n}-{id(subject)}@mail.test>\r\n\r\n"
            f"My account is locked, request number {n}.").encode()  # fmt: skip


@pytest.fixture
def mailbox(desk, imap_server):
    folder = imap_server.new_folder()
    return Mailbox.objects.create(
        queue=desk["queues"]["north"], address="support@helpdesk.test",
        imap_host=imap_server.host, imap_port=imap_server.port,
        imap_security=Mailbox.Security.NONE, imap_username=imap_server.user,
        imap_password=imap_server.password, imap_folder=folder,
        processed_folder=f"{folder}-done",
    )  # fmt: skip


def test_polling_ingests_each_message_then_moves_it(mailbox, imap_server):
    folder = mailbox.imap_folder
    for n in range(3):
        imap_server.deliver(folder, message(n))
    imap_server.deliver(folder, b"\x00\x01 not an email at all")
    result = imap.mailbox_poll(mailbox)
    assert not result.error and result.outcomes == {"new_ticket": 3, "quarantined": 1}
    assert Ticket.objects.filter(queue=mailbox.queue, channel="email").count() == 3
    assert InboundEmail.objects.filter(source="imap").count() == 4  # the bad one kept raw
    assert imap_server.count(folder) == 0 and imap_server.count(f"{folder}-done") == 4
    mailbox.refresh_from_db()
    assert mailbox.last_polled_at is not None and mailbox.last_error == ""
    assert imap.mailbox_poll(mailbox).total == 0  # nothing twice


def test_flag_mode_marks_messages_read_and_leaves_them(mailbox, imap_server):
    Mailbox.objects.filter(pk=mailbox.pk).update(after_import=Mailbox.AfterImport.FLAG)
    mailbox.refresh_from_db()
    folder = mailbox.imap_folder
    imap_server.deliver(folder, message(1))
    imap_server.deliver(folder, message(2), seen=True)  # someone already read it by hand
    assert imap.mailbox_poll(mailbox).outcomes == {"new_ticket": 1}
    assert imap_server.count(folder) == 2 and imap_server.count(folder, "UNSEEN") == 0
    assert imap.mailbox_poll(mailbox).total == 0


def test_a_crash_between_commit_and_move_makes_no_second_ticket(mailbox, imap_server,
                                                                monkeypatch):  # fmt: skip
    folder = mailbox.imap_folder
    imap_server.deliver(folder, message(7))

    def crash(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise ConnectionResetError("worker lost mid-poll")

    monkeypatch.setattr("imap_tools.mailbox.BaseMailBox.move", crash)
    result = imap.mailbox_poll(mailbox)
    assert "worker lost" in result.error and Ticket.objects.count() == 1
    assert imap_server.count(folder) == 1  # still on the server
    mailbox.refresh_from_db()
    assert "worker lost" in mailbox.last_error
    monkeypatch.undo()
    assert imap.mailbox_poll(mailbox).outcomes == {"duplicate": 1}
    assert Ticket.objects.count() == 1 and imap_server.count(folder) == 0


def test_one_poller_per_mailbox(mailbox, imap_server):
    imap_server.deliver(mailbox.imap_folder, message(9))
    params = {**connection.get_connection_params()}
    params.pop("cursor_factory", None)
    with psycopg.connect(**params, autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s, %s)", [imap.LOCK_NAMESPACE, mailbox.pk])
        assert imap.mailbox_poll(mailbox).skipped
        assert Ticket.objects.count() == 0
        # Released here, not by closing the connection: the server drops a closed
        # session's locks only when its backend exits, which a busy machine may put
        # off until after the next poll.
        other.execute("SELECT pg_advisory_unlock(%s, %s)", [imap.LOCK_NAMESPACE, mailbox.pk])
    assert imap.mailbox_poll(mailbox).total == 1


def test_a_server_that_refuses_us_is_recorded_on_the_mailbox(mailbox):
    Mailbox.objects.filter(pk=mailbox.pk).update(imap_password="wrong")
    mailbox.refresh_from_db()
    result = imap.mailbox_poll(mailbox)
    assert result.error and result.total == 0
    mailbox.refresh_from_db()
    assert mailbox.last_error == result.error and mailbox.last_polled_at is not None
    assert imap.mailboxes_to_poll() == [mailbox.pk]
    Mailbox.objects.filter(pk=mailbox.pk).update(imap_host="")
    assert imap.mailboxes_to_poll() == []
