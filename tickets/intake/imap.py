"""Reading support mailboxes over IMAP (imap-tools): the third way in, after the MTA
pipe and the webhook, into the same ``email_ingest``.

Each message is fetched raw (``BODY.PEEK[]``: the server's copy stays unread) and
ingested in its own transaction; only after that commit is it moved to the
processed folder or flagged as read. A worker that dies in between leaves the
message in place, and the next poll recognises its Message-ID as a duplicate. One
poller per mailbox at a time (a PostgreSQL advisory lock), so a slow poll and the
next beat never read the same message twice.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from django.utils import timezone
from imap_tools import AND, BaseMailBox, MailBox, MailBoxStartTls, MailBoxUnencrypted
from imap_tools.consts import MailMessageFlags

from tickets.intake.email import email_ingest
from tickets.models import InboundEmail, Mailbox

logger = logging.getLogger(__name__)
LOCK_NAMESPACE = 7307  # first key of pg_try_advisory_lock(int, int): "IMAP"

_CLIENTS: dict[str, type[MailBox] | type[MailBoxStartTls] | type[MailBoxUnencrypted]] = {
    Mailbox.Security.SSL: MailBox,
    Mailbox.Security.STARTTLS: MailBoxStartTls,
    Mailbox.Security.NONE: MailBoxUnencrypted,
}


@dataclass
class PollResult:
    mailbox: str
    outcomes: dict[str, int] = field(default_factory=dict)
    error: str = ""
    skipped: bool = False  # another poller holds this mailbox

    @property
    def total(self) -> int:
        return sum(self.outcomes.values())


@contextmanager
def _poll_lock(mailbox_id: int) -> Iterator[bool]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [LOCK_NAMESPACE, mailbox_id])
        held = cursor.fetchone()[0]
    try:
        yield held
    finally:
        if held:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCK_NAMESPACE, mailbox_id])


def _connect(mailbox: Mailbox) -> BaseMailBox:
    client = _CLIENTS[mailbox.imap_security](
        mailbox.imap_host, port=mailbox.imap_port, timeout=settings.IMAP_TIMEOUT
    )
    return client.login(mailbox.imap_username, mailbox.imap_password,
                        initial_folder=mailbox.imap_folder)  # fmt: skip


def _fetch_raw(box: BaseMailBox, uid: str) -> bytes | None:
    status, data = box.client.uid("FETCH", uid, "(BODY.PEEK[])")
    if status != "OK":
        raise OSError(f"FETCH {uid} failed: {data!r}")
    for item in data:
        if isinstance(item, tuple) and len(item) == 2:
            return item[1]
    return None  # expunged by someone else meanwhile


def mailbox_poll(mailbox: Mailbox, *, limit: int | None = None) -> PollResult:
    """Ingest up to ``limit`` (IMAP_BATCH) waiting messages of one mailbox."""
    result = PollResult(mailbox.address)
    with _poll_lock(mailbox.pk) as held:
        if not held:
            result.skipped = True
            return result
        try:
            _poll(mailbox, result, limit or settings.IMAP_BATCH)
        except Exception as exc:  # recorded on the mailbox for the admin
            logger.warning("polling %s failed: %s", mailbox.address, exc)
            result.error = f"{type(exc).__name__}: {exc}"[:2000]
        Mailbox.objects.filter(pk=mailbox.pk).update(last_polled_at=timezone.now(),
                                                     last_error=result.error)  # fmt: skip
    return result


def _poll(mailbox: Mailbox, result: PollResult, limit: int) -> None:
    move = mailbox.after_import == Mailbox.AfterImport.MOVE
    with _connect(mailbox) as box:
        if move and not box.folder.exists(mailbox.processed_folder):
            box.folder.create(mailbox.processed_folder)
        # Moving empties the folder we read, so everything in it is waiting; flagging
        # leaves messages in place, so only unread ones are.
        uids = box.uids("ALL" if move else AND(seen=False))[:limit]
        for uid in uids:
            raw = _fetch_raw(box, uid)
            if raw is None:
                continue
            started = time.monotonic()
            ingested = email_ingest(raw, source=InboundEmail.Source.IMAP, queue=mailbox.queue)
            # Committed: now the server may forget it.
            if move:
                box.move(uid, mailbox.processed_folder)
            else:
                box.flag(uid, MailMessageFlags.SEEN, True)
            result.outcomes[ingested.outcome] = result.outcomes.get(ingested.outcome, 0) + 1
            logger.info("%s uid %s: %s (%.0f ms)", mailbox.address, uid, ingested.line(),
                        (time.monotonic() - started) * 1000)  # fmt: skip


def mailboxes_to_poll() -> list[int]:
    return list(
        Mailbox.objects.filter(is_active=True, queue__is_active=True)
        .exclude(imap_host="").exclude(imap_username="").values_list("pk", flat=True)
    )  # fmt: skip
