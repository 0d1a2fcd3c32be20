"""What the privacy pages read. ``privacy_requesters`` is the scoping function: people who
handle privacy reach every requester, everyone else none (the routes are 404 for them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from privacy.holds import holds_covering
from privacy.models import AccessLog, ErasureRequest, LegalHold, PrivacyEvent
from privacy.permissions import can_handle_privacy
from privacy.redaction import Suggestion, suggestions
from tickets.models import Attachment, Message, Requester, Ticket

if TYPE_CHECKING:
    from accounts.models import User

PAGE = 50


def privacy_requesters(user: User) -> QuerySet[Requester]:
    if can_handle_privacy(user):
        return Requester.objects.all()
    return Requester.objects.none()


def find_requesters(user: User, query: str) -> list[Requester]:
    """Requesters by their exact email or external id, or by a ticket's reference (each
    an index read): a data-subject request names the person, never a fragment."""
    query = query.strip()
    if not query:
        return []
    scope = privacy_requesters(user)
    found = list(Requester.objects.with_email(query).filter(pk__in=scope.values("pk"))[:5]
                 if "@" in query else [])  # fmt: skip
    found += list(scope.filter(external_id=query, provisional_of__isnull=True)[:5])
    ticket = Ticket.objects.filter(reference__iexact=query).only("requester_id").first()
    if ticket is not None:
        found += list(scope.filter(pk=ticket.requester_id))
    seen: set[int] = set()
    return [r for r in found if not (r.pk in seen or seen.add(r.pk))]  # type: ignore[func-returns-value]


def subject_overview(requester: Requester) -> dict[str, object]:
    tickets = Ticket.objects.filter(requester=requester)
    return {
        "ticket_count": tickets.count(),
        "provisional": list(Requester.objects.filter(provisional_of=requester)[:20]),
        "holds": holds_covering(requester),
        "requests": list(
            ErasureRequest.objects.filter(requester=requester).select_related("requested_by")[:20]
        ),  # fmt: skip
        "recent_tickets": list(tickets.order_by("-created_at").select_related("queue")[:10]),
        "readers": access_rows_for_requester(requester),
    }


def visible_erasures(user: User) -> QuerySet[ErasureRequest]:
    if not can_handle_privacy(user):
        return ErasureRequest.objects.none()
    return ErasureRequest.objects.select_related("requested_by", "cancelled_by")


def visible_holds(user: User) -> QuerySet[LegalHold]:
    if not can_handle_privacy(user):
        return LegalHold.objects.none()
    return LegalHold.objects.select_related("owner", "requester", "ticket", "queue",
                                            "saved_view")  # fmt: skip


def recent_events(user: User) -> list[PrivacyEvent]:
    if not can_handle_privacy(user):
        return []
    return list(PrivacyEvent.objects.select_related("actor", "erasure", "hold")[:PAGE])


@dataclass
class RedactionRow:
    message: Message
    suggestions: list[Suggestion]
    files: list[Attachment]


def redaction_rows(ticket: Ticket) -> list[RedactionRow]:
    """The ticket's messages, oldest first, each with what looks like personal data in it
    and its files (two queries)."""
    messages = list(Message.objects.filter(ticket=ticket).select_related("author")
                    .order_by("created_at", "pk"))  # fmt: skip
    files: dict[int, list[Attachment]] = {}
    for attachment in Attachment.objects.filter(message__ticket=ticket).order_by("pk"):
        files.setdefault(attachment.message_id, []).append(attachment)
    region = ticket.requester.region if ticket.requester_id else ""
    return [RedactionRow(m, suggestions(m.body, region=region), files.get(m.pk, []))
            for m in messages]  # fmt: skip


def access_rows(user: User, *, person_id: int | None = None, reference: str = "",
                requester: Requester | None = None, before: tuple[str, int] | None = None,
                limit: int = PAGE) -> list[AccessLog]:  # fmt: skip
    """The access log, newest first (keyset pages), for one person, one ticket or every
    ticket of a requester (``reference__in``: the log's reference index)."""
    if not can_handle_privacy(user):
        return []
    rows = AccessLog.objects.select_related("user", "vendor")
    if person_id is not None:
        rows = rows.filter(user_id=person_id)
    if reference:
        rows = rows.filter(reference=reference.upper())
    if requester is not None:
        references = list(Ticket.objects.filter(requester=requester)
                          .values_list("reference", flat=True)[:1000])  # fmt: skip
        rows = rows.filter(reference__in=references)
    if before is not None:
        at, pk = before
        rows = rows.filter(Q(at__lt=at) | Q(at=at, id__lt=pk))
    return list(rows.order_by("-at", "-id")[:limit])


def access_rows_for_requester(requester: Requester) -> list[AccessLog]:
    references = list(Ticket.objects.filter(requester=requester)
                      .values_list("reference", flat=True)[:1000])  # fmt: skip
    return list(AccessLog.objects.filter(reference__in=references)
                .select_related("user", "vendor").order_by("-at", "-id")[:PAGE])  # fmt: skip
