"""A real IMAP server for the tests: pymap, an IMAP4rev1 server in Python, with its
in-memory backend, on a free loopback port. Mail reaches it the way an MTA's
delivery agent puts it there: by APPEND."""

from __future__ import annotations

import imaplib
import itertools
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.tickets import factories as tf
from tests.tickets.email.corpus import REFERENCE, REQUESTER, SENT_ID
from tickets import services
from tickets.models import Message, Ticket

_folders = itertools.count(1)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class ImapServer:
    host: str
    port: int
    user: str
    password: str

    def _client(self) -> imaplib.IMAP4:
        client = imaplib.IMAP4(self.host, self.port, timeout=10)
        client.login(self.user, self.password)
        return client

    def new_folder(self) -> str:
        name = f"Support{next(_folders)}-{time.monotonic_ns()}"
        client = self._client()
        try:
            assert client.create(name)[0] == "OK"
        finally:
            client.logout()
        return name

    def deliver(self, folder: str, raw: bytes, *, seen: bool = False) -> None:
        client = self._client()
        try:
            flags = "(\\Seen)" if seen else None
            assert client.append(folder, flags, None, raw)[0] == "OK"
        finally:
            client.logout()

    def count(self, folder: str, criteria: str = "ALL") -> int:
        client = self._client()
        try:
            status, _ = client.select(folder)
            if status != "OK":
                return 0
            _, data = client.uid("SEARCH", criteria)
            return len(data[0].split()) if data and data[0] else 0
        finally:
            client.logout()


@pytest.fixture(scope="session")
def imap_server():
    port = free_port()
    server = ImapServer("127.0.0.1", port, "support@helpdesk.test", "imap-test-password")
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "pymap"), "--host", server.host, "--port", str(port),
         "--no-tls", "dict", "--demo-data", "--demo-user", server.user,
         "--demo-password", server.password],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 20
    while True:
        try:
            server._client().logout()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the test IMAP server (pymap) did not start") from None
            time.sleep(0.1)
    yield server
    process.terminate()
    process.wait(10)


@pytest.fixture
def mailbox(desk, settings):
    """Inbound mail goes to the in-house queue; the corpus's replies find ticket
    2345ABCDEF of alice@example.net, whose agent's answer has the Message-ID SENT_ID."""
    settings.INBOUND_EMAIL_QUEUE = desk["queues"]["inhouse"].slug
    settings.DEFAULT_FROM_EMAIL = "Helpdesk <helpdesk@helpdesk.test>"
    settings.ATTACHMENT_MAX_BYTES = 2 * 1024 * 1024
    ticket = tf.ticket(desk["queues"]["inhouse"], subject="Cannot log in",
                       requester_=tf.requester(email=REQUESTER, name="Alice"))  # fmt: skip
    Ticket.objects.filter(pk=ticket.pk).update(reference=REFERENCE)
    ticket.refresh_from_db()
    services.ticket_reply(actor=desk["people"]["inhouse_agent"], ticket=ticket,
                          body="Try resetting your password.")  # fmt: skip
    Message.objects.filter(ticket=ticket, author_type="agent").update(channel_message_id=SENT_ID)
    return {**desk, "ticket": ticket}
