"""Reading one RFC 822 email: the standard library's parser (policy.default) for every
charset, transfer encoding and encoded-word header; nh3 for HTML; py3langid for the
language. Pure functions: what to do with the result is in services/email.py.
"""

from __future__ import annotations

import email
import html
import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage, Message, MIMEPart
from email.utils import getaddresses, parseaddr
from typing import cast

import nh3

from tickets.attachments import safe_filename

MAX_PARTS = 200
# A header field longer than this is read as its first and last halves: parsing an
# address list or an encoded header takes time in proportion to its length, and a
# megabyte of it (a hostile or broken sender) must not hold the ingester for a minute.
# The message is stored as it came; only what is read from it is shortened.
MAX_HEADER_BYTES = 16 * 1024
_SURROGATE = re.compile(r"[\ud800-\udfff]")


class UnreadableEmail(ValueError):
    """The message cannot be turned into a ticket; the text says why (kept with it)."""


@dataclass
class InboundAttachment:
    filename: str
    content_type: str
    data: bytes
    content_id: str = ""
    inline: bool = False


@dataclass
class ParsedEmail:
    message_id: str
    from_address: str
    from_name: str
    to: list[str]
    subject: str
    text: str  # the new text (quoted reply stripped)
    full_text: str  # everything the sender wrote, quotes included
    html: str  # sanitised
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    attachments: list[InboundAttachment] = field(default_factory=list)
    automatic: str = ""  # why it is automatic mail ("" for a person writing)
    language: str = ""


_ID = re.compile(r"<[^<>\s]+>")


def clean(text: str) -> str:
    """Text fit for the database, whatever the message held: NULs removed (PostgreSQL
    text cannot hold them) and lone surrogates (bytes in no charset) shown as U+FFFD."""
    return _SURROGATE.sub("\ufffd", text.replace("\x00", ""))


def _ids(value: str | None) -> list[str]:
    return _ID.findall(value or "")


def _header(message: Message, name: str) -> str:
    try:
        value = message.get(name)
        text = str(value or "")
    except (ValueError, IndexError, TypeError, LookupError) as exc:  # the parser choked
        raise UnreadableEmail(f"unreadable {name} header: {exc}") from exc
    return clean(text).strip()


def _bounded_headers(raw: bytes) -> bytes:
    """The message with each header field over MAX_HEADER_BYTES cut to its first and last
    halves (a long References keeps its root and its latest ids); the body as it is."""
    end = min((i for i in (raw.find(b"\r\n\r\n"), raw.find(b"\n\n")) if i >= 0),
              default=len(raw))  # fmt: skip
    if end <= MAX_HEADER_BYTES:
        return raw
    fields: list[bytes] = []
    for line in raw[:end].splitlines(keepends=True):
        if fields and line[:1] in (b" ", b"\t"):
            fields[-1] += line
        else:
            fields.append(line)
    half = MAX_HEADER_BYTES // 2
    shortened = [
        field if len(field) <= MAX_HEADER_BYTES
        else field[:half].rstrip(b"\r\n") + b"\r\n " + field[-half:].lstrip()
        for field in fields
    ]  # fmt: skip
    return b"".join(shortened) + raw[end:]


def automatic_reason(message: Message, from_address: str) -> str:
    """Why this is mail no person wrote (auto-reply, bounce, list), or ""."""
    auto = _header(message, "Auto-Submitted").lower()
    if auto and auto != "no":
        return f"Auto-Submitted: {auto}"
    if _header(message, "X-Autoreply") or _header(message, "X-Autorespond"):
        return "auto-reply header"
    precedence = _header(message, "Precedence").lower()
    if precedence in ("bulk", "junk", "list", "auto_reply"):
        return f"Precedence: {precedence}"
    if (
        message.get_content_type() == "multipart/report"
        or message.get_param("report-type", header="content-type") == "delivery-status"
    ):
        return "delivery status report (bounce)"
    if _header(message, "Return-Path") == "<>":
        return "empty Return-Path (bounce)"
    local = from_address.split("@")[0].lower()
    if local in ("mailer-daemon", "postmaster") or local.startswith(("noreply", "no-reply")):
        return f"sent from {local}@"
    if _header(message, "List-Id") or _header(message, "List-Unsubscribe"):
        return "mailing list"
    return ""


_QUOTE_HEADERS = [
    re.compile(r"^On .{0,300}wrote:\s*$", re.M),  # Gmail, Apple Mail
    re.compile(r"^El .{0,300}escribió:\s*$", re.M),
    re.compile(r"^Le .{0,300}a écrit\s*:\s*$", re.M),
    re.compile(r"^Am .{0,300}schrieb .{0,200}:\s*$", re.M),
    re.compile(r"^Em .{0,300}escreveu:\s*$", re.M),
    re.compile(r"^-{2,}\s*Original Message\s*-{2,}\s*$", re.M | re.I),  # Outlook
    re.compile(r"^_{10,}\s*$", re.M),  # Outlook's rule before From:/Sent:
    re.compile(r"^From: .+\n(Sent|Date): .+$", re.M),
]


def strip_quoted(text: str) -> str:
    """The new text of a reply: cut at the first quote header, drop trailing '>' lines."""
    cut = len(text)
    for pattern in _QUOTE_HEADERS:
        found = pattern.search(text)
        if found and found.start() < cut:
            cut = found.start()
    lines = text[:cut].rstrip().split("\n")
    while lines and (lines[-1].startswith(">") or not lines[-1].strip()):
        lines.pop()
    new = "\n".join(lines).strip()
    return new or text.strip()


def html_to_text(markup: str) -> str:
    text = re.sub(r"(?i)<br\s*/?>|</p>|</div>|</li>|</tr>|</h[1-6]>", "\n", markup)
    text = nh3.clean(text, tags=set())
    text = html.unescape(text)
    return re.sub(r"\n{3,}", "\n\n", re.sub(r"[ \t\r\f\v]+", " ", text)).strip()


def _decode(part: MIMEPart) -> str:
    try:
        content = part.get_content()
    except (LookupError, UnicodeError, AssertionError, ValueError, TypeError):
        payload = cast("bytes | None", part.get_payload(decode=True)) or b""
        content = payload.decode("utf-8", errors="replace")
    text = content if isinstance(content, str) else content.decode("utf-8", errors="replace")
    return clean(text)


def detect_language(text: str) -> str:
    import py3langid  # loads its model on first use

    sample = text.strip()[:2000]
    if len(sample) < 12:
        return ""
    language, _score = py3langid.classify(sample)
    return language


def parse(raw: bytes, *, max_attachment_bytes: int) -> ParsedEmail:
    if not raw.strip():
        raise UnreadableEmail("empty message")
    try:
        message = email.message_from_bytes(_bounded_headers(raw), policy=policy.default)
    except Exception as exc:  # any parser failure is a quarantine reason
        raise UnreadableEmail(f"not a MIME message: {exc}") from exc
    if not isinstance(message, EmailMessage):
        raise UnreadableEmail("not a MIME message")
    from_name, from_address = parseaddr(_header(message, "From"))
    from_address = from_address.strip().lower()
    if "@" not in from_address:
        raise UnreadableEmail("no sender address in From")
    if len(list(message.walk())) > MAX_PARTS:
        raise UnreadableEmail(f"more than {MAX_PARTS} MIME parts")
    subject = re.sub(r"\s+", " ", _header(message, "Subject"))[:250]
    body_part = message.get_body(preferencelist=("plain", "html"))
    html_part = message.get_body(preferencelist=("html",))
    full_text, sanitized = "", ""
    if html_part is not None:
        sanitized = clean(nh3.clean(_decode(html_part)))
    if body_part is not None:
        content = _decode(body_part)
        full_text = (
            html_to_text(content) if body_part.get_content_type() == "text/html" else content
        )
    attachments: list[InboundAttachment] = []
    # A forwarded message (message/rfc822) is kept whole as one .eml attachment; its own
    # parts are not read as parts of this message.
    inside_forward = {id(sub) for part in message.walk()
                      if part.get_content_type() == "message/rfc822"
                      for sub in list(part.walk())[1:]}  # fmt: skip
    for part in message.walk():
        if id(part) in inside_forward or part in (body_part, html_part):
            continue
        if part.is_multipart() and part.get_content_type() != "message/rfc822":
            continue
        disposition = part.get_content_disposition()
        filename = part.get_filename()
        if disposition is None and not filename and part.get_content_maintype() == "text":
            continue  # an alternative text body we already read
        if part.get_content_type() == "message/rfc822" and not filename:
            filename = "forwarded-message.eml"
        data = cast("bytes | None", part.get_payload(decode=True))
        if data is None:  # message/rfc822 holds a parsed message
            inner = part.get_payload()
            data = cast(Message, inner[0]).as_bytes() if isinstance(inner, list) and inner else b""
        if len(data) > max_attachment_bytes:
            raise UnreadableEmail(
                f"attachment {filename or part.get_content_type()} is {len(data)} bytes, "
                f"over the {max_attachment_bytes} limit"
            )
        attachments.append(InboundAttachment(
            filename=safe_filename(filename or f"part-{len(attachments) + 1}"),
            content_type=part.get_content_type(), data=data,
            content_id=_header(part, "Content-ID").strip("<>"),
            inline=disposition == "inline",
        ))  # fmt: skip
    if not full_text.strip() and not attachments and not subject:
        raise UnreadableEmail("no text, no subject and no attachments")
    text = strip_quoted(full_text)
    return ParsedEmail(
        message_id=(_ids(_header(message, "Message-ID")) or [""])[0][:255],
        from_address=from_address[:320], from_name=from_name.strip()[:150],
        to=[addr.lower() for _n, addr in getaddresses([_header(message, "To"),
                                                       _header(message, "Cc")]) if addr],
        subject=subject, text=text, full_text=full_text, html=sanitized,
        in_reply_to=_ids(_header(message, "In-Reply-To")),
        references=_ids(_header(message, "References")),
        attachments=attachments, automatic=automatic_reason(message, from_address),
        language=detect_language(f"{subject}\n{text}"),
    )  # fmt: skip
