"""A requester's data as a ZIP (GDPR Art. 15 and 20): ``subject.json`` with their
identity records, one JSON file a ticket (its fields, every message, the timeline and the
ratings), and the files under ``files/``. Built by the exports app's worker as a source
of its own (claim, progress, expiry, the signed link to the person who asked, and the
audit are the exports app's); offered only to people who handle privacy."""

from __future__ import annotations

import json
import zipfile
from typing import IO, TYPE_CHECKING, Any

from django.core.files.storage import default_storage
from django.db.models import Prefetch, QuerySet
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from exports import sources
from exports.sources import ExportError, Params, Progress
from privacy.erasure import SUBJECT_EXPORT_SOURCE, subject_of
from privacy.permissions import can_handle_privacy
from quality.models import Survey
from tickets.models import Attachment, Event, Message, Requester, Ticket

if TYPE_CHECKING:
    from accounts.models import User

# Tickets read (and progress saved) a chunk at a time.
CHUNK = 100


def parse(data: QueryDict) -> Params:
    value = data.get("requester", "")
    if not value.isdigit() or not Requester.objects.filter(pk=int(value)).exists():
        raise ExportError(_("There is no such requester."))
    return {"requester": int(value)}


def _when(value: Any) -> str | None:
    return value.isoformat() if value else None


def write(person: User, params: Params, raw: IO[bytes], progress: Progress) -> int:
    if not can_handle_privacy(person):
        raise ExportError(_("This export is no longer offered to you."))
    requester = Requester.objects.filter(pk=int(params.get("requester") or 0)).first()
    if requester is None:
        raise ExportError(_("There is no such requester."))
    subject = subject_of(requester)
    total = len(subject.ticket_ids)
    progress(0, total)
    records = Requester.objects.filter(pk__in=subject.requester_ids).order_by("pk")
    with zipfile.ZipFile(raw, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("subject.json", _json({
            "identities": [{
                "email": r.email, "name": r.name, "external_id": r.external_id,
                "language": r.language, "region": r.region, "since": _when(r.created_at),
            } for r in records],
            "ratings": [_rating(s) for s in Survey.objects.filter(
                requester_id__in=subject.requester_ids).order_by("pk")],
        }))  # fmt: skip
        done = 0
        ids = list(Ticket.objects.filter(pk__in=subject.ticket_ids)
                   .order_by("created_at", "pk").values_list("pk", flat=True))  # fmt: skip
        for start in range(0, len(ids), CHUNK):
            for ticket in _chunk(ids[start : start + CHUNK]):
                archive.writestr(f"tickets/{ticket.reference}.json", _json(_ticket(ticket)))
                for message in ticket.messages.all():
                    for attachment in message.attachments.all():
                        name = (f"files/{ticket.reference}/{message.pk}-{attachment.pk}-"
                                f"{attachment.filename}")  # fmt: skip
                        _add_file(archive, name, attachment)
                done += 1
            progress(done, total)
        foreign = Message.objects.filter(pk__in=subject.foreign_message_ids).order_by("pk")
        if foreign:
            archive.writestr("messages_on_other_tickets.json",
                             _json([_message(m) for m in foreign]))  # fmt: skip
    return done


def _chunk(ids: list[int]) -> QuerySet[Ticket]:
    """These tickets with their messages, files, timeline and ratings: five queries."""
    messages = Message.objects.order_by("created_at", "pk").prefetch_related(
        Prefetch("attachments", Attachment.objects.order_by("pk")))  # fmt: skip
    return (Ticket.objects.filter(pk__in=ids).select_related("queue")
            .order_by("created_at", "pk")
            .prefetch_related(Prefetch("messages", messages),
                              Prefetch("events", Event.objects.order_by("created_at", "pk")),
                              Prefetch("surveys", Survey.objects.order_by("pk"))))  # fmt: skip


def _ticket(ticket: Ticket) -> dict[str, Any]:
    """A ticket with its messages, timeline and ratings, as prefetched."""
    messages = ticket.messages.all()
    timeline = ticket.events.all()
    return {
        "reference": ticket.reference, "subject": ticket.subject, "status": ticket.status,
        "queue": ticket.queue.name, "channel": ticket.channel, "language": ticket.language,
        "category": ticket.category, "tags": ticket.tags, "metadata": ticket.metadata,
        "created": _when(ticket.created_at), "solved": _when(ticket.solved_at),
        "closed": _when(ticket.closed_at),
        "messages": [_message(m) for m in messages],
        "timeline": [{"kind": e.kind, "at": _when(e.created_at), "before": e.before,
                      "after": e.after} for e in timeline],
        "ratings": [_rating(s) for s in ticket.surveys.all()],
    }  # fmt: skip


def _message(message: Message) -> dict[str, Any]:
    return {"at": _when(message.created_at), "from": message.author_type,
            "internal_note": message.is_internal, "channel": message.channel,
            "body": message.body,
            "files": [a.filename for a in message.attachments.all()]}  # fmt: skip


def _rating(survey: Survey) -> dict[str, Any]:
    return {"state": survey.state, "score": survey.score, "positive": survey.positive,
            "reason": survey.reason, "comment": survey.comment,
            "rated": _when(survey.rated_at)}  # fmt: skip


def _add_file(archive: zipfile.ZipFile, name: str, attachment: Attachment) -> None:
    try:
        with default_storage.open(attachment.file.name, "rb") as handle:
            archive.writestr(name, handle.read())
    except FileNotFoundError:
        archive.writestr(name + ".missing.txt", "The file was no longer in storage.")


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, default=str)


def register() -> None:
    sources.register(sources.ExportSource(
        key=SUBJECT_EXPORT_SOURCE, title=_("A requester's data (data-subject export)"),
        header=[], rows=lambda person, params: [], parse=parse, visible_to=can_handle_privacy,
        filename="personal-data", writer=write, extension="zip",
        content_type="application/zip"))  # fmt: skip
