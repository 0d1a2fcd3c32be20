"""Real-world-shaped messages for the inbound email tests and bench/ingest.py.

Each case: a name, the raw bytes, and what must become of it. Replies refer to the
Message-ID <sent-1@helpdesk.test> and the reference 2345ABCDEF of a ticket whose
requester is alice@example.net (the tests set it up).
"""

from __future__ import annotations

import base64
import quopri
from dataclasses import dataclass, field
from email.header import Header
from email.message import EmailMessage
from email.utils import formatdate

SENT_ID = "<sent-1@helpdesk.test>"
REFERENCE = "2345ABCDEF"
REQUESTER = "alice@example.net"


@dataclass
class Case:
    name: str
    raw: bytes
    outcome: str  # new_ticket, reply, ignored, duplicate, quarantined
    text: str = ""  # must be in the new text
    not_text: str = ""  # must not be in the new text (quoted part)
    subject: str = ""
    language: str = ""
    attachments: int | None = None
    reason: str = ""  # in the recorded reason
    extra: dict = field(default_factory=dict)


def _headers(subject: str, *, sender: str = "Bob Martin <bob@example.org>", mid: str,
             extra: str = "") -> str:  # fmt: skip
    return (f"From: {sender}\r\nTo: support@helpdesk.test\r\nSubject: {subject}\r\n"
            f"Date: {formatdate()}\r\nMessage-ID: <{mid}@mail.test>\r\nMIME-Version: 1.0\r\n"
            f"{extra}")  # fmt: skip


def _plain(
    subject: str,
    body: str,
    *,
    charset: str = "utf-8",
    cte: str = "8bit",
    mid: str,
    sender: str = "Bob Martin <bob@example.org>",
    extra: str = "",
) -> bytes:
    encoded = body.encode(charset)
    if cte == "base64":
        encoded = base64.encodebytes(encoded)
    elif cte == "quoted-printable":
        encoded = quopri.encodestring(encoded)
    head = _headers(subject, sender=sender, mid=mid, extra=extra)
    head += f"Content-Type: text/plain; charset={charset}\r\n"
    head += f"Content-Transfer-Encoding: {cte}\r\n\r\n"
    return head.encode("utf-8") + encoded  # raw UTF-8 headers: common, and allowed (RFC 6532)


def _msg(subject: str, body: str, *, mid: str, sender: str = "Bob Martin <bob@example.org>",
         html: str | None = None, headers: dict | None = None) -> EmailMessage:  # fmt: skip
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, "support@helpdesk.test", subject
    msg["Message-ID"], msg["Date"] = f"<{mid}@mail.test>", formatdate()
    for key, value in (headers or {}).items():
        msg[key] = value
    msg.set_content(body)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    return msg


def cases() -> list[Case]:
    out: list[Case] = []
    add = out.append

    # --- charsets and transfer encodings -------------------------------------------
    add(
        Case(
            "utf8-8bit-spanish",
            _plain(
                "No puedo entrar",
                "Hola, no puedo entrar en mi "
                "cuenta desde ayer y necesito ayuda urgente, por favor.",
                mid="c1",
            ),
            "new_ticket",
            text="no puedo entrar",
            language="es",
        )
    )
    add(
        Case(
            "latin1-qp-french",
            _plain(
                "Problème de paiement",
                "Bonjour, j'ai été débité "
                "deux fois pour mon abonnement ce mois-ci. Pouvez-vous me rembourser ?",
                charset="iso-8859-1",
                cte="quoted-printable",
                mid="c2",
            ),
            "new_ticket",
            text="débité deux fois",
            language="fr",
        )
    )
    add(
        Case(
            "cp1252-german",
            _plain(
                "Konto gesperrt",
                "Guten Tag, mein Konto wurde "
                "gesperrt und ich weiß nicht warum. Bitte helfen Sie mir schnell.",
                charset="windows-1252",
                mid="c3",
            ),
            "new_ticket",
            text="weiß nicht",
            language="de",
        )
    )
    add(
        Case(
            "iso-2022-jp",
            _plain(
                "ログインできません",
                "こんにちは。昨日からアカウントに"
                "ログインできません。パスワードを変更しても同じです。",
                charset="iso-2022-jp",
                cte="7bit",
                mid="c4",
            ),
            "new_ticket",
            text="ログインできません",
            language="ja",
        )
    )
    add(
        Case(
            "shift-jis",
            _plain(
                "支払いについて",
                "お世話になります。支払いが二回請求されています。確認をお願いします。",
                charset="shift_jis",
                mid="c5",
            ),
            "new_ticket",
            text="二回請求",
            language="ja",
        )
    )
    add(
        Case(
            "koi8-r-russian",
            _plain(
                "Не могу войти",
                "Здравствуйте, я не могу войти в свой аккаунт уже два дня. Помогите, пожалуйста.",
                charset="koi8-r",
                mid="c6",
            ),
            "new_ticket",
            text="не могу войти",
            language="ru",
        )
    )
    add(
        Case(
            "base64-arabic",
            _plain(
                "لا أستطيع الدخول",
                "مرحبا، لا أستطيع الدخول إلى حسابي منذ أمس. أرجو المساعدة في أقرب وقت.",
                cte="base64",
                mid="c7",
            ),
            "new_ticket",
            text="لا أستطيع الدخول",
            language="ar",
        )
    )
    add(
        Case(
            "gb2312-chinese",
            _plain(
                "无法登录",
                "你好，我从昨天开始无法登录我的账户，请帮帮我。",
                charset="gb2312",
                cte="base64",
                mid="c8",
            ),
            "new_ticket",
            text="无法登录",
            language="zh",
        )
    )
    encoded_subject = Header("Réclamation urgente – facture", "utf-8").encode()
    add(
        Case(
            "encoded-word-subject",
            _plain(
                encoded_subject,
                "Ma facture est fausse, merci de la corriger au plus vite.",
                mid="c9",
            ),
            "new_ticket",
            subject="Réclamation urgente – facture",
        )
    )
    name = Header("José Müller", "utf-8").encode()
    add(
        Case(
            "encoded-word-sender",
            _plain(
                "Question",
                "I have a question about my subscription renewal date.",
                sender=f"{name} <jose@example.org>",
                mid="c10",
            ),
            "new_ticket",
            text="subscription renewal",
            extra={"from_name": "José Müller"},
        )
    )
    add(
        Case(
            "unknown-charset-label",
            _plain(
                "Weird charset",
                "Plain ascii text in a message with a made-up charset label.",
                mid="c11",
            ).replace(b"charset=utf-8", b"charset=x-unknown-9"),
            "new_ticket",
            text="made-up charset",
        )
    )

    # --- HTML ------------------------------------------------------------------------
    add(
        Case(
            "html-only",
            _msg_html_only(
                "Refund please",
                "<p>Hello,</p><p>Please <b>refund</b> my last order.</p><script>alert(1)</script>",
                mid="h1",
            ),
            "new_ticket",
            text="refund my last order",
            not_text="alert",
        )
    )
    add(
        Case(
            "multipart-alternative",
            _msg(
                "Two bodies", "Plain body text wins here.", html="<p>HTML body text</p>", mid="h2"
            ).as_bytes(),
            "new_ticket",
            text="Plain body text wins",
        )
    )
    add(
        Case(
            "html-with-entities",
            _msg_html_only("Entities", "<div>Caf&eacute; &amp; cr&egrave;me &lt;3</div>", mid="h3"),
            "new_ticket",
            text="Café & crème <3",
        )
    )

    # --- replies -----------------------------------------------------------------------
    gmail = (
        "Thanks, that worked!\n\nOn Mon, 16 Nov 2026 at 10:00, Helpdesk "
        "<support@helpdesk.test> wrote:\n> Try resetting your password.\n> Agent"
    )
    add(
        Case(
            "gmail-reply",
            _plain(
                f"Re: [{REFERENCE}] Cannot log in",
                gmail,
                mid="r1",
                sender=f"Alice <{REQUESTER}>",
                extra=f"In-Reply-To: {SENT_ID}\r\nReferences: {SENT_ID}\r\n",
            ),
            "reply",
            text="that worked",
            not_text="resetting",
        )
    )
    outlook = (
        "It still fails.\r\n\r\n-----Original Message-----\r\nFrom: Helpdesk\r\n"
        "Sent: Monday\r\nSubject: Cannot log in\r\n\r\nTry resetting your password."
    )
    add(
        Case(
            "outlook-reply",
            _plain(
                f"RE: [{REFERENCE}] Cannot log in",
                outlook,
                mid="r2",
                sender=REQUESTER,
                extra=f"In-Reply-To: {SENT_ID}\r\n",
            ),
            "reply",
            text="still fails",
            not_text="resetting",
        )
    )
    outlook_rule = (
        "Still broken on my phone.\r\n\r\n________________________________\r\n"
        "From: Helpdesk <support@helpdesk.test>\r\nSent: Monday\r\n\r\nOld text"
    )
    add(
        Case(
            "outlook-web-reply",
            _plain(
                f"RE: [{REFERENCE}]",
                outlook_rule,
                mid="r3",
                sender=REQUESTER,
                extra=f"References: <other@x> {SENT_ID}\r\n",
            ),
            "reply",
            text="Still broken",
            not_text="Old text",
        )
    )
    apple = (
        "Here is the screenshot you asked for.\n\n> On 16 Nov 2026, at 10:00, Helpdesk "
        "<support@helpdesk.test> wrote:\n>\n> Could you send a screenshot?"
    )
    add(
        Case(
            "apple-mail-reply",
            _plain(
                f"Re: [{REFERENCE}] Cannot log in",
                apple,
                mid="r4",
                sender=REQUESTER,
                extra=f"In-Reply-To: {SENT_ID}\r\n",
            ),
            "reply",
            text="screenshot you asked",
            not_text="Could you send",
        )
    )
    add(
        Case(
            "reply-by-subject-token",
            _plain(
                f"Re: [#{REFERENCE}] Cannot log in",
                "Any news on this? It has been a week.",
                mid="r5",
                sender=REQUESTER,
            ),
            "reply",
            text="Any news",
        )
    )
    spanish_reply = (
        "Gracias, ya funciona.\n\nEl lun, 16 nov 2026 a las 10:00, Helpdesk "
        "escribió:\n> Prueba a cambiar la contraseña."
    )
    add(
        Case(
            "spanish-gmail-reply",
            _plain(
                f"Re: [{REFERENCE}]",
                spanish_reply,
                mid="r6",
                sender=REQUESTER,
                extra=f"In-Reply-To: {SENT_ID}\r\n",
            ),
            "reply",
            text="ya funciona",
            not_text="cambiar la contraseña",
        )
    )
    add(
        Case(
            "reply-from-stranger",
            _plain(
                f"Re: [{REFERENCE}] Cannot log in",
                "I am not the requester but I have the same problem.",
                mid="r7",
                sender="mallory@example.com",
                extra=f"In-Reply-To: {SENT_ID}\r\n",
            ),
            "new_ticket",
            text="same problem",
            reason="not a participant",
        )
    )
    add(
        Case(
            "reply-to-unknown-id",
            _plain(
                "Re: something",
                "A reply to a thread we do not know about, which must open a ticket.",
                mid="r8",
                sender=REQUESTER,
                extra="In-Reply-To: <nobody-sent-this@elsewhere>\r\n",
            ),
            "new_ticket",
            text="must open a ticket",
        )
    )

    # --- attachments, inline images, forwards -------------------------------------------
    with_pdf = _msg("Invoice attached", "Please see the attached invoice.", mid="a1")
    with_pdf.add_attachment(
        b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF",
        maintype="application",
        subtype="pdf",
        filename="invoice.pdf",
    )
    add(Case("pdf-attachment", with_pdf.as_bytes(), "new_ticket", attachments=1))
    two = _msg("Two files", "Two files attached.", mid="a2")
    two.add_attachment(
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,
        maintype="image",
        subtype="png",
        filename="../../etc/passwd.png",
    )
    two.add_attachment(b"col1,col2\n1,2\n", maintype="text", subtype="csv", filename="data.csv")
    add(
        Case(
            "two-attachments-bad-name",
            two.as_bytes(),
            "new_ticket",
            attachments=2,
            extra={"filenames": ["passwd.png", "data.csv"]},
        )
    )
    inline = _msg(
        "Screenshot inline",
        "See the image below.",
        mid="a3",
        html='<p>See <img src="cid:shot1@mail.test"></p>',
    )
    inline.get_payload()[1].add_related(
        b"\x89PNG\r\n\x1a\n" + b"\x01" * 32,
        maintype="image",
        subtype="png",
        cid="<shot1@mail.test>",
    )
    add(
        Case(
            "inline-image-cid", inline.as_bytes(), "new_ticket", text="See the image", attachments=1
        )
    )
    inner = _msg(
        "Original problem",
        "This is the message I got from the seller.",
        mid="f0",
        sender="seller@shop.example",
    )
    forward = _msg("Fwd: Original problem", "Forwarding the seller's message below.", mid="f1")
    forward.add_attachment(inner)
    add(
        Case("forwarded-rfc822", forward.as_bytes(), "new_ticket", text="Forwarding", attachments=1)
    )
    winmail = _msg("Outlook rich text", "Message from Outlook with winmail.dat.", mid="a4")
    winmail.add_attachment(
        b"\x78\x9f\x3e\x22" + b"\x00" * 100,
        maintype="application",
        subtype="ms-tnef",
        filename="winmail.dat",
    )
    add(Case("winmail-dat", winmail.as_bytes(), "new_ticket", text="winmail.dat", attachments=1))
    big = _msg("Huge video", "Here is the whole video.", mid="a5")
    big.add_attachment(
        b"\x00" * (2 * 1024 * 1024 + 10), maintype="video", subtype="mp4", filename="video.mp4"
    )
    add(Case("oversize-attachment", big.as_bytes(), "quarantined", reason="over the"))
    only_file = _msg("", "", mid="a6")
    only_file.clear_content()
    only_file.add_attachment(b"just a file", maintype="text", subtype="plain", filename="notes.txt")
    add(Case("attachment-only-no-subject", only_file.as_bytes(), "new_ticket", attachments=1))

    # --- automatic mail: never a ticket, never an acknowledgement -------------------------
    add(
        Case(
            "out-of-office",
            _msg(
                "Automatic reply: Cannot log in",
                "I am out of the office until Monday.",
                mid="o1",
                headers={"Auto-Submitted": "auto-replied"},
            ).as_bytes(),
            "ignored",
            reason="Auto-Submitted",
        )
    )
    add(
        Case(
            "x-autoreply",
            _plain("Away", "On holiday.", mid="o2", extra="X-Autoreply: yes\r\n"),
            "ignored",
            reason="auto-reply",
        )
    )
    add(
        Case(
            "precedence-bulk",
            _plain("Newsletter", "Our weekly news.", mid="o3", extra="Precedence: bulk\r\n"),
            "ignored",
            reason="Precedence",
        )
    )
    add(
        Case(
            "mailing-list",
            _plain(
                "[list] Discussion",
                "A list post.",
                mid="o4",
                extra="List-Id: <talk.lists.example>\r\n",
            ),
            "ignored",
            reason="mailing list",
        )
    )
    add(
        Case(
            "mailer-daemon",
            _plain(
                "Undelivered Mail Returned to Sender",
                "This is the mail system.",
                mid="o5",
                sender="MAILER-DAEMON@mx.example",
            ),
            "ignored",
            reason="mailer-daemon",
        )
    )
    add(Case("dsn-bounce", _bounce("o6"), "ignored", reason="bounce"))
    add(
        Case(
            "empty-return-path",
            _plain("Delivery failure", "Could not deliver.", mid="o7", extra="Return-Path: <>\r\n"),
            "ignored",
            reason="Return-Path",
        )
    )
    add(
        Case(
            "noreply-sender",
            _plain(
                "Your receipt", "Thanks for your order.", mid="o8", sender="noreply@shop.example"
            ),
            "ignored",
            reason="noreply",
        )
    )
    add(
        Case(
            "our-own-address",
            _plain(
                "Loop",
                "Our own mail coming back.",
                mid="o9",
                sender="Helpdesk <helpdesk@helpdesk.test>",
            ),
            "ignored",
            reason="our own",
        )
    )

    # --- broken, empty, duplicate ----------------------------------------------------------
    add(
        Case(
            "no-from",
            b"To: support@helpdesk.test\r\nSubject: Who am I\r\n\r\nNo sender.",
            "quarantined",
            reason="no sender",
        )
    )
    add(Case("empty", b"   \r\n", "quarantined", reason="empty"))
    add(
        Case(
            "not-mime-garbage",
            b"\x00\x01\x02 this is not an email at all \xff\xfe",
            "quarantined",
            reason="no sender",
        )
    )
    add(
        Case(
            "missing-boundary",
            (
                _headers("Broken multipart", mid="b1")
                + "Content-Type: multipart/mixed\r\n\r\n--x\r\nContent-Type: text/plain\r\n\r\n"
                "Body inside a multipart without a boundary parameter.\r\n--x--\r\n"
            ).encode(),
            "new_ticket",
            subject="Broken multipart",
        )
    )
    add(
        Case(
            "bad-base64",
            (
                _headers("Bad base64", mid="b2") + "Content-Type: text/plain; "
                "charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!not base64@@@\r\n"
            ).encode(),
            "new_ticket",
            subject="Bad base64",
        )
    )
    add(
        Case(
            "no-message-id",
            b"From: carol@example.org\r\nTo: support@helpdesk.test\r\n"
            b"Subject: No id\r\n\r\nA message without a Message-ID header at all.",
            "new_ticket",
            text="without a Message-ID",
        )
    )
    add(
        Case(
            "duplicate-of-c1",
            _plain(
                "No puedo entrar",
                "Hola, no puedo entrar en mi "
                "cuenta desde ayer y necesito ayuda urgente, por favor.",
                mid="c1",
            ),
            "duplicate",
        )
    )
    add(
        Case(
            "header-injection-subject",
            _plain(
                "Hello\r\n Bcc: victim@example.com",
                "Folded header in the subject must stay one line.",
                mid="b3",
            ),
            "new_ticket",
            subject="Hello Bcc: victim@example.com",
        )
    )
    add(
        Case(
            "very-long-subject",
            _plain("x" * 600, "Long subject line.", mid="b4"),
            "new_ticket",
            extra={"subject_len": 250},
        )
    )
    return out


def _msg_html_only(subject: str, markup: str, *, mid: str) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "Dana <dana@example.org>", "support@x", subject
    msg["Message-ID"] = f"<{mid}@mail.test>"
    msg.set_content(markup, subtype="html")
    return msg.as_bytes()


def _bounce(mid: str) -> bytes:
    return (
        f"From: Mail Delivery System <postmaster@mx.example>\r\nTo: support@helpdesk.test\r\n"
        f"Subject: Delivery Status Notification (Failure)\r\nMessage-ID: <{mid}@mail.test>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; "
        'boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n'
        "--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example\r\n"
        "\r\nFinal-Recipient: rfc822; gone@example.net\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "\r\n--b--\r\n"
    ).encode()


# ----------------------------------------------------------------- hostile bytes

STORED = "stored"  # a hostile case's outcome: new_ticket, reply or quarantined, any of them
NUL = "\x00"


def _raw(head: str, body: bytes | str = b"", *, mid: str) -> bytes:
    """Headers as given (CRLF-joined, NULs and all), then the body's bytes."""
    head = f"From: Bob Martin <bob@example.org>\r\nTo: support@helpdesk.test\r\n{head}"
    if "Message-ID:" not in head:
        head += f"\r\nMessage-ID: <{mid}@mail.test>"
    body = body.encode("utf-8", "surrogateescape") if isinstance(body, str) else body
    return head.encode("utf-8", "surrogateescape") + b"\r\n\r\n" + body


def _nested(depth: int, *, mid: str) -> bytes:
    parts = "".join(
        f'Content-Type: multipart/mixed; boundary="b{n}"\r\n\r\n--b{n}\r\n' for n in range(depth)
    )
    return _raw(
        f"Subject: Nested\r\n{parts}", b"Content-Type: text/plain\r\n\r\nDeep text.", mid=mid
    )


def hostile() -> list[Case]:
    """Messages a mail server will hand us sooner or later: NULs in headers and bodies,
    bytes in no charset, broken MIME, headers of megabytes. Each must be stored (a ticket,
    a reply or a quarantine entry) and never make the ingester fail."""
    out: list[Case] = []
    add = out.append
    add(
        Case(
            "nul-in-subject",
            _raw(f"Subject: Cannot{NUL} log in", "I cannot log in since this morning.", mid="n1"),
            "new_ticket",
            subject="Cannot log in",
        )
    )
    add(
        Case(
            "nul-in-body",
            _raw(
                "Subject: Body with a NUL", f"My card{NUL} was charged twice{NUL}{NUL}.", mid="n2"
            ),
            "new_ticket",
            text="My card was charged twice.",
        )
    )
    add(
        Case(
            "nul-in-base64-body",
            _raw(
                "Subject: Base64 NUL\r\nContent-Type: text/plain; charset=utf-8\r\n"
                "Content-Transfer-Encoding: base64",
                base64.encodebytes(f"Encoded{NUL} text with a NUL.".encode()),
                mid="n3",
            ),
            "new_ticket",
            text="Encoded text with a NUL.",
        )
    )
    add(
        Case(
            "nul-in-quoted-printable",
            _raw(
                "Subject: QP NUL\r\nContent-Type: text/plain; charset=utf-8\r\n"
                "Content-Transfer-Encoding: quoted-printable",
                "Soft=00 NUL here.",
                mid="n4",
            ),
            "new_ticket",
            text="Soft NUL here.",
        )
    )
    add(
        Case(
            "nul-in-encoded-word-subject",
            _raw("Subject: =?utf-8?Q?Refund=00_please?=", "Please refund my order.", mid="n5"),
            "new_ticket",
            subject="Refund please",
        )
    )
    add(
        Case(
            "nul-in-sender-name",
            _raw("Subject: Name", "A sender whose name has a NUL.", mid="n6").replace(
                b"Bob Martin", b"Bob\x00 Martin"
            ),
            "new_ticket",
        )
    )
    add(
        Case(
            "nul-in-sender-address",
            _raw("Subject: Address", "NUL in the address.", mid="n7").replace(b"bob@", b"bo\x00b@"),
            STORED,
        )
    )
    add(
        Case(
            "nul-in-message-id",
            _raw(
                f"Subject: Id\r\nMessage-ID: <a{NUL}b@mail.test>",
                "NUL in the Message-ID.",
                mid="n8",
            ),
            "new_ticket",
        )
    )
    add(
        Case(
            "nul-in-to-and-cc",
            _raw(f"Subject: To\r\nCc: ca{NUL}rol@example.org", "NUL in Cc.", mid="n9"),
            "new_ticket",
        )
    )
    add(
        Case(
            "nul-in-a-header-name",
            _raw(f"Subject: Header name\r\nX-Fo{NUL}o: bar", "NUL in a header's name.", mid="n10"),
            "new_ticket",
        )
    )
    add(
        Case(
            "nul-in-references",
            _raw(
                f"Subject: Re: [{REFERENCE}] Cannot log in\r\nIn-Reply-To: {SENT_ID}\r\n"
                f"References: <x{NUL}y@mail.test> {SENT_ID}",
                f"Still broken{NUL}, sorry.",
                mid="n11",
            ).replace(b"Bob Martin <bob@example.org>", REQUESTER.encode()),
            "reply",
            text="Still broken, sorry.",
        )
    )
    html = _msg("HTML NUL", "plain", mid="n12", html=f"<p>Hello{NUL} <b>world</b></p>")
    html_only = html.as_bytes().replace(b"Content-Type: text/plain", b"Content-Type: text/x-no")
    add(Case("nul-in-html", html_only, "new_ticket"))
    with_file = _msg("File with a NUL in its name", "See attached.", mid="n13")
    with_file.add_attachment(
        b"col\x00umn\n", maintype="text", subtype="csv", filename="re\x00port.csv"
    )
    add(Case("nul-in-attachment-name", with_file.as_bytes(), "new_ticket", attachments=1))
    add(
        Case(
            "rfc2231-nul-filename",
            _raw(
                'Subject: RFC 2231\r\nContent-Type: multipart/mixed; boundary="q"',
                "--q\r\nContent-Type: text/plain\r\n\r\nSee the file.\r\n--q\r\n"
                "Content-Type: application/octet-stream\r\n"
                "Content-Disposition: attachment; filename*=utf-8''a%00b%ff.bin\r\n\r\n"
                "xyz\r\n--q--\r\n",
                mid="n14",
            ),
            "new_ticket",
        )
    )
    add(
        Case(
            "nul-in-charset-parameter",
            _raw(
                f'Subject: Charset\r\nContent-Type: text/plain; charset="utf-8{NUL}"',
                "Text in a charset whose name has a NUL.",
                mid="n15",
            ),
            "new_ticket",
        )
    )
    add(Case("only-nuls", b"\x00" * 4096, "quarantined"))
    add(
        Case(
            "nuls-before-the-headers",
            b"\x00\x00\x00" + _raw("Subject: Late", "x", mid="n16"),
            STORED,
        )
    )

    # --- bytes in no charset, encodings that lie --------------------------------------
    add(
        Case(
            "raw-latin1-in-headers",
            _raw("Subject: Caf\xe9 cr\xe8me", "Body.", mid="e1").replace(
                "Café crème".encode(), "Café crème".encode("latin-1")
            ),
            "new_ticket",
        )
    )
    add(
        Case(
            "invalid-utf8-body",
            _raw(
                "Subject: Bad UTF-8\r\nContent-Type: text/plain; charset=utf-8",
                b"Broken \xff\xfe\xc3 bytes here.",
                mid="e2",
            ),
            "new_ticket",
            text="Broken",
        )
    )
    add(
        Case(
            "utf16-lone-surrogate",
            _raw("Subject: =?utf-16-le?B?AADY?=", "Lone surrogate in the subject.", mid="e3"),
            STORED,
        )
    )
    add(
        Case(
            "bogus-encoded-word",
            _raw(
                "Subject: =?x-nowhere?Q?abc?= =?utf-8?B?!!!?=",
                "Encoded words that do not decode.",
                mid="e4",
            ),
            "new_ticket",
        )
    )
    add(
        Case(
            "unknown-transfer-encoding",
            _raw(
                "Subject: CTE\r\nContent-Transfer-Encoding: x-uuencode-ish",
                "begin 644 x\r\n`\r\nend",
                mid="e5",
            ),
            STORED,
        )
    )

    # --- broken MIME ----------------------------------------------------------------------
    add(
        Case(
            "boundary-never-closed",
            _raw(
                'Subject: Open\r\nContent-Type: multipart/mixed; boundary="z"',
                "--z\r\nContent-Type: text/plain\r\n\r\nNo closing boundary at all.",
                mid="m1",
            ),
            "new_ticket",
        )
    )
    add(Case("nested-multipart-1000-deep", _nested(1000, mid="m2"), STORED))
    add(
        Case(
            "headers-without-colons",
            _raw(
                "Subject: Garbage\r\nthis is not a header\r\n: x",
                "Body after garbage headers.",
                mid="m3",
            ),
            STORED,
        )
    )
    add(
        Case(
            "content-type-garbage",
            _raw('Subject: CT\r\nContent-Type: ;;;"=\\/', "Body.", mid="m4"),
            STORED,
        )
    )
    add(
        Case(
            "bare-cr-line-ends",
            _raw("Subject: CR", "one\rtwo\rthree", mid="m5").replace(b"\r\n", b"\r"),
            STORED,
        )
    )

    # --- size ----------------------------------------------------------------------------
    add(
        Case(
            "megabyte-subject",
            _raw("Subject: " + "Long " * 200_000, "Big subject.", mid="s1"),
            "new_ticket",
            extra={"subject_len": 250},
        )
    )
    add(
        Case(
            "megabyte-from",
            _raw("Subject: Big From", "Body.", mid="s2").replace(
                b"From: Bob Martin <bob@example.org>",
                b"From: " + b", ".join(b"p%d@example.org" % n for n in range(50_000)),
            ),
            STORED,
        )
    )
    add(
        Case(
            "fifty-thousand-headers",
            _raw(
                "Subject: Many headers\r\n" + "\r\n".join(f"X-H{n}: v" for n in range(50_000)),
                "Body.",
                mid="s3",
            ),
            STORED,
        )
    )
    return out
