"""CSAT reads. ``visible_surveys`` is the one scoping function: every page, panel and
list of surveys goes through it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts.models import Role, User
from accounts.selectors import visible_users
from core import cursors
from quality.models import CalibrationSession, CoachingTask, Cycle, Review, ScorecardVersion, Survey
from sops.models import SOP, SOPVersion
from tickets.models import Ticket
from tickets.selectors import visible_queue_ids

CURSOR_SALT = "quality.ratings"
PAGE_SIZE = 50
FILTERS = ("all", "negative", "follow_up", "comments", "decisions")


def can_manage(user: User) -> bool:
    """Leads and admins read everyone's ratings in their scope and follow them up."""
    return bool(
        user.is_authenticated and user.is_active and (user.is_admin or user.role == Role.LEAD)
    )


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


def ratings_page(
    user: User, *, show: str = "all", cursor: str = "", size: int = PAGE_SIZE
) -> RatingsPage:
    """Rated surveys, latest change first, a page at a time (one query)."""
    surveys = visible_surveys(user).filter(rated_at__isnull=False)
    if show == "negative":
        surveys = surveys.filter(positive=False)
    elif show == "follow_up":
        surveys = surveys.filter(follow_up=Survey.FollowUp.OPEN)
    elif show == "comments":
        surveys = surveys.exclude(comment="")
    elif show == "decisions":
        surveys = surveys.filter(kind=Survey.Kind.DECISION)
    after = cursors.decode(cursor, salt=CURSOR_SALT) if cursor else None
    try:
        changed_at, survey_id = datetime.fromisoformat(after[0]), int(after[1])  # type: ignore[index]
    except (TypeError, ValueError, IndexError):
        pass  # no cursor, or not one of ours: the first page
    else:
        surveys = surveys.filter(
            Q(changed_at__lt=changed_at) | Q(changed_at=changed_at, id__lt=survey_id)
        )
    # Only what the list shows: a ticket and a person are dozens of columns each.
    shown = (
        "kind",
        "scale",
        "score",
        "positive",
        "reason",
        "comment",
        "changed_at",
        "follow_up",
        "follow_up_note",
        "ticket__reference",
        "ticket__subject",
        "agent__full_name",
        "agent__email",
        "follow_up_by__full_name",
    )
    rows = list(
        surveys.select_related("ticket", "agent", "follow_up_by")
        .only(*shown)
        .order_by("-changed_at", "-id")[: size + 1]
    )
    next_cursor = None
    if len(rows) > size:
        rows = rows[:size]
        last = rows[-1]
        stamp = last.changed_at.isoformat() if last.changed_at else ""
        next_cursor = cursors.encode([stamp, last.pk], salt=CURSOR_SALT)
    return RatingsPage(rows=rows, next_cursor=next_cursor)


def survey_for_token(survey_id: int) -> Survey | None:
    return Survey.objects.select_related("ticket", "requester").filter(pk=survey_id).first()


def open_follow_ups(user: User) -> int:
    """Bad ratings waiting for a lead's follow-up (the navigation's badge)."""
    if not can_manage(user):
        return 0
    return visible_surveys(user).filter(follow_up=Survey.FollowUp.OPEN).count()


def latest_rated(ticket_id: int) -> Survey | None:
    return (
        Survey.objects.filter(ticket_id=ticket_id, rated_at__isnull=False)
        .select_related("agent")
        .order_by("-changed_at", "-id")
        .first()
    )


def latest_sent(ticket_id: int) -> Survey | None:
    return (
        Survey.objects.filter(ticket_id=ticket_id, state=Survey.State.SENT)
        .select_related("ticket")
        .order_by("-sent_at", "-id")
        .first()
    )


# ---------------------------------------------------------------------- QA reviews

REVIEW_TABS = ("todo", "mine", "disputes", "all")
REVIEW_CURSOR_SALT = "quality.reviews"


def visible_reviews(user: User) -> QuerySet[Review]:
    """Admins: every review. Anyone: the reviews assigned to them to do, and their own
    reviews once submitted (never one being written: reviews are blind until then). A
    lead: the reviews of the people they see (``visible_users``: a vendor's lead their
    vendor's, an in-house lead their team's), and those their team's reviewers wrote
    (their disputes are theirs to decide)."""
    if not (user.is_authenticated and user.is_active):
        return Review.objects.none()
    if user.is_admin:
        return Review.objects.all()
    # Calibration reviews are seen by their own reviewer only (the session's page shows
    # them side by side once all are in); they are about the graders, not the agent.
    theirs = Q(agent_id=user.pk, submitted_at__isnull=False)
    if user.role == Role.LEAD:
        people = visible_users(user).values("pk")
        theirs |= Q(agent_id__in=people, submitted_at__isnull=False)
        if user.team_id is not None:
            theirs |= Q(reviewer__team_id=user.team_id, submitted_at__isnull=False)
    mine = Q(reviewer_id=user.pk) | (Q(session__isnull=True) & theirs)
    return Review.objects.filter(mine)


@dataclass(frozen=True)
class ReviewsPage:
    rows: list[Review]
    next_cursor: str | None


def reviews_page(
    user: User, *, tab: str = "todo", cursor: str = "", size: int = PAGE_SIZE
) -> ReviewsPage:
    """A tab of reviews, newest first, a page at a time (one query)."""
    reviews = visible_reviews(user)
    if tab == "todo":
        reviews = reviews.filter(reviewer_id=user.pk, state=Review.State.ASSIGNED)
    elif tab == "mine":
        reviews = reviews.filter(agent_id=user.pk, submitted_at__isnull=False, session=None)
    elif tab == "disputes":
        reviews = reviews.filter(state=Review.State.DISPUTED)
    else:
        reviews = reviews.filter(submitted_at__isnull=False, session=None)
    after = cursors.decode(cursor, salt=REVIEW_CURSOR_SALT) if cursor else None
    if after and isinstance(after[0], int):
        reviews = reviews.filter(id__lt=after[0])
    rows = list(
        reviews.select_related("ticket", "agent", "reviewer", "version__scorecard").order_by("-id")[
            : size + 1
        ]
    )
    next_cursor = None
    if len(rows) > size:
        rows = rows[:size]
        next_cursor = cursors.encode([rows[-1].pk], salt=REVIEW_CURSOR_SALT)
    return ReviewsPage(rows=rows, next_cursor=next_cursor)


def review_for(user: User, pk: int) -> Review | None:
    """One review the person may see, with what its page shows (one query)."""
    return (
        visible_reviews(user)
        .select_related(
            "ticket__queue",
            "ticket__requester",
            "agent__team",
            "reviewer__team",
            "version__scorecard",
            "cycle",
            "dispute",
            "dispute__decided_by",
        )
        .filter(pk=pk)
        .first()
    )


def visible_cycles(user: User) -> QuerySet[Cycle]:
    """Admins and in-house leads: every cycle; a vendor's lead: their vendor's; others none."""
    if not can_manage(user):
        return Cycle.objects.none()
    vendor_id = user.team.vendor_id if user.team_id and user.team else None
    if user.is_admin or vendor_id is None:
        return Cycle.objects.all()
    return Cycle.objects.filter(vendor_id=vendor_id)


def sop_versions_at(ticket: Ticket) -> list[SOPVersion]:
    """The SOPs that applied to the ticket (its queue, language and category), each in the
    version published last before the ticket was solved: what the agent was to follow."""
    moment = ticket.solved_at or ticket.updated_at
    links = SOP.queues.through.objects.filter(sop_id=OuterRef("sop_id"))
    return list(
        SOPVersion.objects.filter(published_at__isnull=False, published_at__lte=moment)
        .filter(~Exists(links) | Exists(links.filter(queue_id=ticket.queue_id)))
        .filter(Q(sop__languages=[]) | Q(sop__languages__contains=[ticket.language or ""]))
        .filter(Q(sop__categories=[]) | Q(sop__categories__contains=[ticket.category or ""]))
        .select_related("sop")
        .order_by("sop_id", "-published_at")
        .distinct("sop_id")[:10]
    )


def visible_sessions(user: User) -> QuerySet[CalibrationSession]:
    """Admins and in-house leads: every calibration session; others: those they started
    or review in."""
    if not (user.is_authenticated and user.is_active):
        return CalibrationSession.objects.none()
    vendor_id = user.team.vendor_id if user.team_id and user.team else None
    if user.is_admin or (can_manage(user) and vendor_id is None):
        return CalibrationSession.objects.all()
    mine = Q(created_by_id=user.pk) | Q(
        pk__in=Review.objects.filter(reviewer_id=user.pk, session__isnull=False).values(
            "session_id"
        )
    )
    return CalibrationSession.objects.filter(mine)


def coaching_for(user: User) -> list[CoachingTask]:
    """The person's open coaching tasks, soonest due first."""
    return list(
        CoachingTask.objects.filter(agent_id=user.pk, done_at__isnull=True)
        .select_related("review__ticket", "sop_version__sop")
        .order_by("due_on", "id")[:50]
    )


@dataclass(frozen=True)
class CategoryQuality:
    name: str
    reviews: int
    mean: float
    failed: int  # reviews where the category scored 0


_BY_CATEGORY_SQL = """
SELECT part.key, count(*), avg(part.value::float), count(*) FILTER (WHERE part.value::float = 0)
  FROM ({reviews}) AS review, jsonb_each_text(review.category_scores) AS part
 WHERE part.value IS NOT NULL
 GROUP BY part.key
"""


def quality_by_category(user: User, *, days: int = 30) -> list[CategoryQuality]:
    """The mean category score (0–100) of the reviews submitted in the last ``days`` that
    the person may see, by scorecard category (named as in the newest version that has
    it), worst first. Reads reviews, a few per agent a week, never tickets."""
    since = timezone.now() - timedelta(days=days)
    reviews = (
        visible_reviews(user)
        .filter(submitted_at__gte=since, session__isnull=True)
        .values("category_scores")
    )
    compiled, params = reviews.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(_BY_CATEGORY_SQL.format(reviews=compiled), params)
        rows = cursor.fetchall()
    names: dict[str, str] = {}
    for categories in ScorecardVersion.objects.order_by("created_at").values_list(
        "categories", flat=True
    ):
        names.update({c["key"]: c["name"] for c in categories})
    found = [
        CategoryQuality(name=names.get(key, key), reviews=count, mean=mean, failed=failed)
        for key, count, mean, failed in rows
    ]
    return sorted(found, key=lambda row: row.mean)
