"""CSAT reads. ``visible_surveys`` is the one scoping function: every page, panel and
list of surveys goes through it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet

from accounts.models import Role, User
from core import cursors
from quality.models import Survey
from tickets.selectors import visible_queue_ids

CURSOR_SALT = "quality.ratings"
PAGE_SIZE = 50
FILTERS = ("all", "negative", "follow_up", "comments")


def can_manage(user: User) -> bool:
    """Leads and admins read everyone's ratings in their scope and follow them up."""
    return bool(user.is_authenticated and user.is_active
                and (user.is_admin or user.role == Role.LEAD))  # fmt: skip


def visible_surveys(user: User) -> QuerySet[Survey]:
    """Admins: every survey. A lead: surveys of tickets in the queues they see, and for a
    vendor's lead only those credited to their vendor's people. An agent: the ratings
    credited to them. Anyone else: none."""
    if not (user.is_authenticated and user.is_active):
        return Survey.objects.none()
    if user.is_admin:
        return Survey.objects.all()
    if user.role == Role.LEAD:
        surveys = Survey.objects.filter(ticket__queue_id__in=visible_queue_ids(user))
        vendor_id = user.team.vendor_id if user.team_id and user.team else None
        if vendor_id is not None:
            surveys = surveys.filter(agent__team__vendor_id=vendor_id)
        return surveys
    return Survey.objects.filter(agent_id=user.pk)


@dataclass(frozen=True)
class RatingsPage:
    rows: list[Survey]
    next_cursor: str | None


def ratings_page(user: User, *, show: str = "all", cursor: str = "",
                 size: int = PAGE_SIZE) -> RatingsPage:  # fmt: skip
    """Rated surveys, latest change first, a page at a time (one query)."""
    surveys = visible_surveys(user).filter(rated_at__isnull=False)
    if show == "negative":
        surveys = surveys.filter(positive=False)
    elif show == "follow_up":
        surveys = surveys.filter(follow_up=Survey.FollowUp.OPEN)
    elif show == "comments":
        surveys = surveys.exclude(comment="")
    after = cursors.decode(cursor, salt=CURSOR_SALT) if cursor else None
    try:
        changed_at, survey_id = datetime.fromisoformat(after[0]), int(after[1])  # type: ignore[index]
    except (TypeError, ValueError, IndexError):
        pass  # no cursor, or not one of ours: the first page
    else:
        surveys = surveys.filter(Q(changed_at__lt=changed_at)
                                 | Q(changed_at=changed_at, id__lt=survey_id))  # fmt: skip
    rows = list(surveys.select_related("ticket", "agent", "follow_up_by")
                .order_by("-changed_at", "-id")[: size + 1])  # fmt: skip
    next_cursor = None
    if len(rows) > size:
        rows = rows[:size]
        last = rows[-1]
        stamp = last.changed_at.isoformat() if last.changed_at else ""
        next_cursor = cursors.encode([stamp, last.pk], salt=CURSOR_SALT)
    return RatingsPage(rows=rows, next_cursor=next_cursor)


def survey_for_token(survey_id: int) -> Survey | None:
    return (Survey.objects.select_related("ticket", "requester")
            .filter(pk=survey_id).first())  # fmt: skip


def open_follow_ups(user: User) -> int:
    """Bad ratings waiting for a lead's follow-up (the navigation's badge)."""
    if not can_manage(user):
        return 0
    return visible_surveys(user).filter(follow_up=Survey.FollowUp.OPEN).count()


def latest_rated(ticket_id: int) -> Survey | None:
    return (Survey.objects.filter(ticket_id=ticket_id, rated_at__isnull=False)
            .select_related("agent").order_by("-changed_at", "-id").first())  # fmt: skip


def latest_sent(ticket_id: int) -> Survey | None:
    return (Survey.objects.filter(ticket_id=ticket_id, state=Survey.State.SENT)
            .select_related("ticket").order_by("-sent_at", "-id").first())  # fmt: skip
