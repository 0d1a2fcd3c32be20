"""End to end, with real parts only: a requester's mail goes over SMTP to a test MTA
(aiosmtpd) that delivers it into a real IMAP mailbox (pymap); Celery beat and a worker
poll the mailbox and make the ticket; the receipt and the agent's reply go back over
SMTP with threading headers; the requester's answer, sent the same way, reopens it."""

import smtplib
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

from tests import processes
from tests.tickets.email.conftest import free_port
from tickets import services
from tickets.models import Mailbox, Status, Ticket

pytestmark = pytest.mark.django_db(transaction=True)


class Recorder:
    """The requester's side: every message our helpdesk sends arrives here."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


class DeliverToImap:
    """The support address's MTA: stores what it receives in the IMAP mailbox."""

    def __init__(self, server, folder: str) -> None:  # type: ignore[no-untyped-def]
        self.server, self.folder = server, folder

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.server.deliver(self.folder, envelope.content)
        return "250 OK"


def send(port: int, msg: EmailMessage) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        smtp.send_message(msg)


def test_mail_in_over_smtp_and_imap_reply_out_over_smtp_and_the_answer_reopens(
    desk, imap_server, tmp_path
):
    folder = imap_server.new_folder()
    Mailbox.objects.create(
        queue=desk["queues"]["inhouse"], address="support@helpdesk.test", from_name="Support",
        imap_host=imap_server.host, imap_port=imap_server.port,
        imap_security=Mailbox.Security.NONE, imap_username=imap_server.user,
        imap_password=imap_server.password, imap_folder=folder,
        processed_folder=f"{folder}-done",
    )  # fmt: skip
    outbound, inbound = Recorder(), DeliverToImap(imap_server, folder)
    out_port, in_port = free_port(), free_port()
    controllers = [Controller(outbound, hostname="127.0.0.1", port=out_port),
                   Controller(inbound, hostname="127.0.0.1", port=in_port)]  # fmt: skip
    for controller in controllers:
        controller.start()
    env = {"TEST_SMTP_PORT": str(out_port), "IMAP_POLL_SECONDS": "1"}
    worker = processes.start_worker("mail", env=env)
    beat = processes.start_beat(tmp_path / "beat", env=env)
    try:
        first = EmailMessage()
        first["From"], first["To"] = "Rosa Díaz <rosa@example.org>", "support@helpdesk.test"
        first["Subject"], first["Message-ID"] = "No puedo pagar", "<rosa-1@example.org>"
        first.set_content("Hola, mi tarjeta fue rechazada dos veces hoy. ¿Qué hago?")
        send(in_port, first)
        assert processes.wait_for(lambda: Ticket.objects.filter(channel="email").exists(), 60)
        ticket = Ticket.objects.get(channel="email")
        assert (ticket.queue, ticket.language) == (desk["queues"]["inhouse"], "es")
        assert processes.wait_for(lambda: len(outbound.messages) == 1, 30)
        receipt = outbound.messages[0]
        assert receipt["Auto-Submitted"] == "auto-replied"
        assert receipt["In-Reply-To"] == "<rosa-1@example.org>"
        assert str(receipt["From"]) == "Support <support@helpdesk.test>"
        assert "Hemos recibido tu solicitud" in receipt.get_body(("plain",)).get_content()

        services.ticket_reply(actor=desk["people"]["inhouse_agent"], ticket=ticket,
                              body="Prueba con otra tarjeta, por favor.",
                              status=Status.PENDING)  # fmt: skip
        assert processes.wait_for(lambda: len(outbound.messages) == 2, 30)
        reply = outbound.messages[1]
        assert reply["To"] == "rosa@example.org" and "Auto-Submitted" not in reply
        assert reply["In-Reply-To"] == "<rosa-1@example.org>"
        assert "<rosa-1@example.org>" in reply["References"]
        assert f"[{ticket.reference}]" in reply["Subject"]
        assert reply.get_body(("html",)) is not None

        answer = EmailMessage()
        answer["From"], answer["To"] = "rosa@example.org", "support@helpdesk.test"
        answer["Subject"] = f"Re: {reply['Subject']}"
        answer["Message-ID"], answer["In-Reply-To"] = "<rosa-2@example.org>", reply["Message-ID"]
        answer["References"] = f"<rosa-1@example.org> {reply['Message-ID']}"
        answer.set_content(
            "Con otra tarjeta funcionó, gracias.\n\n"
            "El lun, Support escribió:\n> Prueba con otra tarjeta, por favor."
        )
        send(in_port, answer)
        assert processes.wait_for(
            lambda: Ticket.objects.get(pk=ticket.pk).status == Status.OPEN, 60
        )
    finally:
        processes.stop(beat)
        processes.stop(worker)
        for controller in controllers:
            controller.stop()
    ticket.refresh_from_db()
    latest = ticket.messages.latest("id")
    assert latest.body == "Con otra tarjeta funcionó, gracias."
    assert latest.channel_message_id == "<rosa-2@example.org>"
    assert Ticket.objects.count() == 1  # the answer threaded; no second ticket
    assert imap_server.count(folder) == 0 and imap_server.count(f"{folder}-done") == 2
    assert len(outbound.messages) == 2  # a reply gets no receipt
