"""QA review services (the writes): scorecards and their versions, the reviewers,
sampling cycles (the sample frozen when a cycle starts), scoring a review, the agent's
acknowledgement, disputes and the lead's decision.

Every change writes its audit (``QualityEvent``; a review's score also the ticket's
``qa_reviewed``/``qa_rescored`` event, which the analytics rebuild replays) in the same
transaction; mail leaves through the outbox; analytics hears of scores through
``quality.hooks.reviewed``. The formulas are ``quality.scoring``'s.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.models import Role, User
from accounts.selectors import holds_role, role_holders
from accounts.services import AccountError, role_holders_set
from core.urls import absolute_url
from escalations.models import Escalation
from quality import hooks
from quality.models import (
    CalibrationSession,
    CoachingTask,
    Cycle,
    Dispute,
    QualityEvent,
    Review,
    Scorecard,
    ScorecardVersion,
    Survey,
    TicketEventKind,
)
from quality.roles import QA_REVIEWER
from quality.scoring import SCALES, Category, review_score
from quality.services import COMMENT_MAX, QualityError, SurveyClosed
from tickets import events, outbox
from tickets.models import DONE_STATUSES
from tickets.outbox.mail import language_for

if TYPE_CHECKING:
    from accounts.models import Vendor
    from tickets.models import Queue, Ticket

DISPUTE_DAYS = 7  # an agent may dispute a review for this long after it is submitted
DECIDE_HOURS = 72  # a lead's decision falls due this long after a dispute


def _audit(
    kind: str,
    actor: User | None,
    *,
    review: Review | None = None,
    after: dict | None = None,
    before: dict | None = None,
) -> None:
    QualityEvent.objects.create(
        kind=kind,
        actor=actor,
        review_id=review.pk if review else None,
        before=before or {},
        after=after or {},
    )


# ------------------------------------------------------------------ scorecards


def can_edit_scorecards(user: User) -> bool:
    """Admins and in-house leads write the scorecards everyone is reviewed against."""
    return bool(
        user.is_authenticated
        and user.is_active
        and (
            user.is_admin
            or (
                user.role == Role.LEAD
                and user.team_id is not None
                and user.team is not None
                and user.team.vendor_id is None
            )
        )
    )


def clean_categories(rows: Iterable[Mapping[str, Any]]) -> list[Category]:
    """Categories from a form's rows (blank names skipped), with unique keys."""
    found: list[Category] = []
    keys: set[str] = set()
    for row in rows:
        name = str(row.get("name") or "").strip()
        if not name:
            continue
        scale = str(row.get("scale") or "five")
        if scale not in SCALES:
            raise QualityError(_("Choose a scale for %(name)s.") % {"name": name})
        weight = float(row.get("weight") or 0)
        if not 0 < weight <= 100:
            raise QualityError(
                _("The weight of %(name)s must be above 0 and at most 100.") % {"name": name}
            )
        key = slugify(name)[:40] or f"category-{len(found) + 1}"
        while key in keys:
            key = f"{key}-{len(found) + 1}"
        keys.add(key)
        found.append(
            Category(
                key=key,
                name=name[:120],
                weight=weight,
                scale=scale,
                allow_na=bool(row.get("allow_na")),
                critical=bool(row.get("critical")),
            )
        )
    if not found:
        raise QualityError(_("A scorecard needs at least one category."))
    return found


@transaction.atomic
def scorecard_save(
    *,
    actor: User,
    scorecard: Scorecard | None,
    name: str,
    description: str,
    queues: Sequence[Queue],
    languages: Sequence[str],
    vendors: Sequence[Vendor],
    pass_mark: int,
    categories: Sequence[Category],
    is_active: bool = True,
) -> Scorecard:
    """Create or change a scorecard; new categories (or pass mark) make a new version,
    which reviews sampled from then on use (earlier reviews keep theirs)."""
    if not can_edit_scorecards(actor):
        raise QualityError(_("You cannot change scorecards."))
    if not 0 <= pass_mark <= 100:
        raise QualityError(_("The pass mark is a score from 0 to 100."))
    if scorecard is None:
        scorecard = Scorecard(name=name)
    else:
        scorecard = Scorecard.objects.select_for_update().get(pk=scorecard.pk)
    scorecard.name, scorecard.description = name, description
    scorecard.languages, scorecard.pass_mark = sorted(set(languages)), pass_mark
    scorecard.is_active = is_active
    scorecard.save()
    scorecard.queues.set(queues)
    scorecard.vendors.set(vendors)
    wanted = [category.as_json() for category in categories]
    current = scorecard.current_version
    if current is None or current.categories != wanted or current.pass_mark != pass_mark:
        number = (current.number if current else 0) + 1
        version = ScorecardVersion.objects.create(
            scorecard=scorecard,
            number=number,
            categories=wanted,
            pass_mark=pass_mark,
            created_by=actor,
        )
        scorecard.current_version = version
        scorecard.save(update_fields=["current_version"])
    saved = scorecard.current_version
    _audit(
        QualityEvent.Kind.SCORECARD_SAVED,
        actor,
        after={
            "scorecard": scorecard.pk,
            "name": name,
            "version": saved.number if saved else None,
        },
    )
    return scorecard


@dataclass(frozen=True)
class _Card:
    version: ScorecardVersion
    queue_ids: frozenset[int]
    languages: frozenset[str]
    vendor_ids: frozenset[int]

    def matches(self, queue_id: int, language: str, vendor_id: int | None) -> bool:
        return (
            (not self.queue_ids or queue_id in self.queue_ids)
            and (not self.languages or language in self.languages)
            and (not self.vendor_ids or vendor_id in self.vendor_ids)
        )

    @property
    def specificity(self) -> int:
        return sum(1 for part in (self.queue_ids, self.languages, self.vendor_ids) if part)


def active_scorecards() -> list[_Card]:
    cards = (
        Scorecard.objects.filter(is_active=True, current_version__isnull=False)
        .select_related("current_version")
        .prefetch_related("queues", "vendors")
        .order_by("name")
    )
    return [
        _Card(
            version=card.current_version,
            queue_ids=frozenset(q.pk for q in card.queues.all()),
            languages=frozenset(card.languages),
            vendor_ids=frozenset(v.pk for v in card.vendors.all()),
        )
        for card in cards
        if card.current_version is not None
    ]


def pick_scorecard(
    cards: Sequence[_Card], *, queue_id: int, language: str, vendor_id: int | None
) -> ScorecardVersion | None:
    """The most specific active scorecard that applies (queue, language, vendor)."""
    found = [card for card in cards if card.matches(queue_id, language, vendor_id)]
    if not found:
        return None
    return max(found, key=lambda card: card.specificity).version


# ------------------------------------------------------------------ reviewers


def reviewers_set(*, actor: User, users: Iterable[User]) -> None:
    """The people who review (admins choose them): the QA reviewer role
    (``quality.roles.QA_REVIEWER``), which the others lose. Audited by accounts."""
    if not actor.is_admin:
        raise QualityError(_("Only admins choose the QA reviewers."))
    try:
        role_holders_set(actor=actor, name=QA_REVIEWER.name, users=users)
    except AccountError as exc:
        raise QualityError(str(exc)) from exc


def is_reviewer(user: User) -> bool:
    return holds_role(user, QA_REVIEWER.name)


def reviewers() -> QuerySet[User]:
    """The active QA reviewers."""
    return role_holders(QA_REVIEWER.name)


# ------------------------------------------------------------------ sampling

# The tickets solved in the cycle's period (the same condition in every statement below:
# the rule pulls join on it rather than pass the sample's ids, which can be a million).
_IN_PERIOD = (
    "t.solved_at >= %(start)s AND t.solved_at < %(end)s AND t.status IN ('solved', 'closed')"
)
_SOLVED_SQL = f"""
SELECT DISTINCT ON (t.id) t.id, t.queue_id, t.language, m.author_id, team.vendor_id,
       t.sla_breached
  FROM tickets_ticket AS t
  JOIN tickets_message AS m ON m.ticket_id = t.id AND m.kind = 'public'
                           AND m.author_type = 'agent' AND m.created_at <= t.solved_at
  JOIN accounts_user AS person ON person.id = m.author_id AND person.is_active
  LEFT JOIN accounts_team AS team ON team.id = person.team_id
 WHERE {_IN_PERIOD}
 ORDER BY t.id, m.created_at DESC, m.id DESC
"""  # noqa: S608 - constant text, values bound
# A checklist started and left unfinished: some of an SOP version's steps ticked on the
# ticket, not all. (One never started cannot be told from an SOP that did not apply.)
_SOP_UNFINISHED_SQL = f"""
SELECT DISTINCT done.ticket_id
  FROM (SELECT tick.ticket_id, step.version_id, count(*) AS ticked
          FROM sops_checklisttick AS tick JOIN sops_sopstep AS step ON step.id = tick.step_id
          JOIN tickets_ticket AS t ON t.id = tick.ticket_id
         WHERE {_IN_PERIOD}
         GROUP BY tick.ticket_id, step.version_id) AS done
  JOIN (SELECT version_id, count(*) AS steps FROM sops_sopstep GROUP BY version_id) AS card
    ON card.version_id = done.version_id
 WHERE done.ticked < card.steps
"""  # noqa: S608 - constant text, values bound
_REOPENED_SQL = f"""
SELECT DISTINCT e.ticket_id
  FROM tickets_event AS e JOIN tickets_ticket AS t ON t.id = e.ticket_id
 WHERE e.kind = 'status_changed' AND e.before ->> 'status' IN ('solved', 'closed')
   AND {_IN_PERIOD}
"""  # noqa: S608 - constant text, values bound


@dataclass
class _Solved:
    ticket_id: int
    queue_id: int
    language: str
    agent_id: int
    vendor_id: int | None
    sla_breached: bool


@dataclass
class Sample:
    """What a cycle sampled: per agent the tickets and why, and whom each went to."""

    reviews: list[Review] = field(default_factory=list)
    agents: int = 0
    unassigned: int = 0
    without_scorecard: int = 0


def _rule_pulls(solved: list[_Solved], period: dict[str, datetime]) -> dict[int, str]:
    """The tickets a rule pulls into the sample, with the first rule that pulls each."""
    pulls: dict[int, str] = {}
    in_period = {
        "ticket__solved_at__gte": period["start"],
        "ticket__solved_at__lt": period["end"],
        "ticket__status__in": DONE_STATUSES,
    }
    bad = set(
        Survey.objects.filter(positive=False, **in_period).values_list("ticket_id", flat=True)
    )
    escalated = set(Escalation.objects.filter(**in_period).values_list("ticket_id", flat=True))
    with connection.cursor() as cursor:
        cursor.execute(_REOPENED_SQL, period)
        reopened = {row[0] for row in cursor.fetchall()}
        cursor.execute(_SOP_UNFINISHED_SQL, period)
        unfinished = {row[0] for row in cursor.fetchall()}
    for row in solved:
        for rule, hit in (
            (Review.Pull.NEGATIVE_CSAT, row.ticket_id in bad),
            (Review.Pull.REOPENED, row.ticket_id in reopened),
            (Review.Pull.ESCALATED, row.ticket_id in escalated),
            (Review.Pull.SLA_BREACHED, row.sla_breached),
            (Review.Pull.SOP_UNFINISHED, row.ticket_id in unfinished),
        ):
            if hit:
                pulls[row.ticket_id] = rule
                break
    return pulls


def _spread(rng: random.Random, rows: list[_Solved], quota: int) -> list[_Solved]:
    """Up to ``quota`` of an agent's tickets spread across queue × language: one from each
    in turn (the strata in random order), each stratum's tickets in random order."""
    strata: dict[tuple[int, str], list[_Solved]] = defaultdict(list)
    for row in rows:
        strata[(row.queue_id, row.language)].append(row)
    order = list(strata)
    rng.shuffle(order)
    for key in order:
        rng.shuffle(strata[key])
    picked: list[_Solved] = []
    while len(picked) < quota and any(strata[key] for key in order):
        for key in order:
            if strata[key] and len(picked) < quota:
                picked.append(strata[key].pop())
    return picked


def _assign(reviews: list[Review], vendors: dict[int, int | None], rng: random.Random) -> int:
    """Give each review to the least loaded eligible reviewer: never the agent themself;
    a vendor's reviewer only that vendor's agents; in-house reviewers anyone. Returns how
    many found nobody."""
    pool = list(reviewers().select_related("team").order_by("pk"))
    load = {reviewer.pk: 0 for reviewer in pool}
    vendor_of = {r.pk: (r.team.vendor_id if r.team else None) for r in pool}
    unassigned = 0
    order = list(range(len(reviews)))
    rng.shuffle(order)
    for index in order:
        review = reviews[index]
        agent_vendor = vendors.get(review.agent_id)
        eligible = [
            user_id
            for user_id in load
            if user_id != review.agent_id and vendor_of[user_id] in (None, agent_vendor)
        ]
        if not eligible:
            unassigned += 1
            continue
        chosen = min(eligible, key=lambda user_id: (load[user_id], user_id))
        review.reviewer_id = chosen
        load[chosen] += 1
    return unassigned


def can_run_cycles(user: User) -> bool:
    return bool(
        user.is_authenticated and user.is_active and (user.is_admin or user.role == Role.LEAD)
    )


@transaction.atomic
def cycle_start(
    *,
    actor: User,
    name: str,
    starts_at: datetime,
    ends_at: datetime,
    quota: int,
    vendor: Vendor | None = None,
) -> tuple[Cycle, Sample]:
    """Sample the tickets solved in the period: ``quota`` per agent spread across queue ×
    language, plus every ticket a rule pulls (a bad rating, a reopen, an escalation, a
    breached SLA, an SOP checklist left unfinished) up to ``quota`` more, each under the
    scorecard that applies, assigned to reviewers. The sample is frozen: reviews are
    created now."""
    if not can_run_cycles(actor):
        raise QualityError(_("You cannot start sampling cycles."))
    own_vendor = actor.team.vendor_id if actor.team_id and actor.team else None
    if not actor.is_admin and own_vendor is not None:
        if vendor is not None and vendor.pk != own_vendor:
            raise QualityError(_("You can sample only your own vendor's agents."))
        vendor = actor.team.vendor if actor.team else None
    if ends_at <= starts_at:
        raise QualityError(_("The period must end after it starts."))
    if not 1 <= quota <= 100:
        raise QualityError(_("Reviews per agent: a number from 1 to 100."))
    cycle = Cycle.objects.create(
        name=name,
        starts_at=starts_at,
        ends_at=ends_at,
        quota=quota,
        vendor=vendor,
        created_by=actor,
    )
    period = {"start": starts_at, "end": ends_at}
    with connection.cursor() as cursor:
        cursor.execute(_SOLVED_SQL, period)
        solved = [_Solved(*row) for row in cursor.fetchall()]
    if vendor is not None:
        solved = [row for row in solved if row.vendor_id == vendor.pk]
    rng = random.Random(cycle.pk)  # noqa: S311 - a fair, repeatable sample, not a secret
    pulls = _rule_pulls(solved, period)
    cards = active_scorecards()
    by_agent: dict[int, list[_Solved]] = defaultdict(list)
    for row in solved:
        by_agent[row.agent_id].append(row)
    sample = Sample(agents=len(by_agent))
    vendors = {row.agent_id: row.vendor_id for row in solved}
    for agent_id in sorted(by_agent):
        rows = by_agent[agent_id]
        picked: list[tuple[_Solved, str]] = [
            (row, Review.Pull.QUOTA) for row in _spread(rng, rows, quota)
        ]
        chosen = {row.ticket_id for row, _pull in picked}
        pulled = [row for row in rows if row.ticket_id in pulls and row.ticket_id not in chosen]
        rng.shuffle(pulled)
        picked += [(row, pulls[row.ticket_id]) for row in pulled[:quota]]
        for row, pull in picked:
            version = pick_scorecard(
                cards, queue_id=row.queue_id, language=row.language, vendor_id=row.vendor_id
            )
            if version is None:
                sample.without_scorecard += 1
                continue
            sample.reviews.append(
                Review(
                    ticket_id=row.ticket_id,
                    agent_id=agent_id,
                    version=version,
                    cycle=cycle,
                    pulled_by=pull,
                )
            )
    sample.unassigned = _assign(sample.reviews, vendors, rng)
    Review.objects.bulk_create(sample.reviews, batch_size=2000)
    _audit(
        QualityEvent.Kind.CYCLE_STARTED,
        actor,
        after={
            "cycle": cycle.pk,
            "agents": sample.agents,
            "reviews": len(sample.reviews),
            "unassigned": sample.unassigned,
            "without_scorecard": sample.without_scorecard,
        },
    )
    return cycle, sample


def _reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise QualityError(_("Say why."))
    if len(reason) > 1000 or "\\x00" in reason:
        raise QualityError(_("The reason is too long (at most 1000 characters)."))
    return reason


def _locked_review(review_id: int) -> Review:
    review = (
        Review.objects.select_for_update(of=("self",))
        .select_related("version", "ticket", "agent", "reviewer")
        .filter(pk=review_id)
        .first()
    )
    if review is None:
        raise QualityError(_("This review does not exist."))
    return review


@transaction.atomic
def review_skip(
    *, actor: User, review_id: int, reason: str, replace: bool = False
) -> Review | None:
    """Skip a sampled ticket (with a reason); ``replace`` samples another of the same
    agent's tickets from the cycle's period in its place. Returns the replacement."""
    review = _locked_review(review_id)
    if review.state != Review.State.ASSIGNED or review.cycle_id is None:
        raise SurveyClosed(_("Only a sampled ticket not yet reviewed can be skipped."))
    reason = _reason(reason)
    review.state, review.skip_reason = Review.State.SKIPPED, reason
    review.save(update_fields=["state", "skip_reason"])
    replacement = None
    if replace:
        cycle = review.cycle
        assert cycle is not None  # noqa: S101 - checked above
        taken = set(Review.objects.filter(cycle=cycle).values_list("ticket_id", flat=True))
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT * FROM ({_SOLVED_SQL}) AS solved WHERE solved.author_id = %(agent)s",  # noqa: S608 - constant text
                {"start": cycle.starts_at, "end": cycle.ends_at, "agent": review.agent_id},
            )
            rows = [_Solved(*row) for row in cursor.fetchall()]
        spare = [row for row in rows if row.ticket_id not in taken]
        if spare:
            row = random.Random(review.pk).choice(spare)  # noqa: S311 - not a secret
            version = pick_scorecard(
                active_scorecards(),
                queue_id=row.queue_id,
                language=row.language,
                vendor_id=row.vendor_id,
            )
            if version is not None:
                replacement = Review.objects.create(
                    ticket_id=row.ticket_id,
                    agent_id=review.agent_id,
                    version=version,
                    cycle=cycle,
                    pulled_by=Review.Pull.REPLACEMENT,
                    reviewer_id=review.reviewer_id,
                )
    kind = QualityEvent.Kind.REVIEW_REPLACED if replacement else QualityEvent.Kind.REVIEW_SKIPPED
    _audit(
        kind,
        actor,
        review=review,
        after={"reason": reason, "replacement": replacement.pk if replacement else None},
    )
    return replacement


# ------------------------------------------------------------------ scoring


def _clean_values(
    review: Review, values: Mapping[str, int | None], comments: Mapping[str, str]
) -> dict[str, dict[str, Any]]:
    cleaned: dict[str, dict[str, Any]] = {}
    for category in [Category.from_json(c) for c in review.version.categories]:
        value = values.get(category.key)
        if value is None and not category.allow_na:
            raise QualityError(_("Score %(category)s.") % {"category": category.name})
        if value is not None and value not in category.values():
            raise QualityError(
                _("Choose one of the scores offered for %(category)s.")
                % {"category": category.name}
            )
        comment = (comments.get(category.key) or "").strip()
        if len(comment) > COMMENT_MAX or "\\x00" in comment:
            raise QualityError(
                _("The comment on %(category)s is too long.") % {"category": category.name}
            )
        cleaned[category.key] = {"value": value, "comment": comment}
    return cleaned


def _score(review: Review, values: dict[str, dict[str, Any]]) -> None:
    categories = [Category.from_json(c) for c in review.version.categories]
    result = review_score(
        categories,
        {key: v["value"] for key, v in values.items()},
        pass_mark=review.version.pass_mark,
    )
    review.values, review.category_scores = values, result.categories
    review.score, review.passed = result.score, result.passed
    review.auto_failed = result.auto_failed


def _mail(
    batch: outbox.Batch,
    person: User,
    review: Review,
    kind: str,
    key: Sequence[object],
    template: str,
    **context: Any,
) -> None:
    if not person.email:
        return
    batch.email(
        kind=kind,
        key=key,
        to=person.email,
        template=template,
        language=language_for(person),
        automatic="auto-generated",
        context={
            "review": review,
            "ticket": review.ticket,
            "person": person,
            "link": absolute_url("quality:review", review.pk),
            **context,
        },
    )


@transaction.atomic
def review_submit(
    *,
    actor: User,
    review_id: int,
    values: Mapping[str, int | None],
    comments: Mapping[str, str],
    comment: str = "",
) -> Review:
    """The reviewer scores the ticket: the score, the agent told (by mail, and on their
    reviews), the score counted in the IQS."""
    review = _locked_review(review_id)
    if review.state != Review.State.ASSIGNED:
        raise SurveyClosed(_("This review has already been submitted."))
    if review.reviewer_id != actor.pk:
        raise QualityError(_("This review is assigned to someone else."))
    cleaned = _clean_values(review, values, comments)
    comment = comment.strip()
    if len(comment) > 5000 or "\\x00" in comment:
        raise QualityError(
            _("The comment is too long (at most %(max)d characters).") % {"max": 5000}
        )
    _score(review, cleaned)
    now = timezone.now()
    review.comment, review.state, review.submitted_at = comment, Review.State.SUBMITTED, now
    review.save()
    if review.session_id is not None:
        # Calibration counts toward nothing: no IQS, no mail to the agent. The session
        # reveals the scores when the last reviewer submits.
        waiting = Review.objects.filter(
            session_id=review.session_id, state=Review.State.ASSIGNED
        ).exists()
        if not waiting:
            CalibrationSession.objects.filter(pk=review.session_id).update(revealed_at=now)
        _audit(
            QualityEvent.Kind.REVIEW_SUBMITTED,
            actor,
            review=review,
            after={"score": review.score, "calibration": review.session_id},
        )
        return review
    if review.score is not None:
        events.record(
            review.ticket,
            None,
            TicketEventKind.QA_REVIEWED,
            at=now,
            after={
                "review": review.pk,
                "agent": review.agent_id,
                "score": review.score,
                "at": now.isoformat(),
            },
        )
    hooks.reviewed.send(hooks.Reviewed(review=review, ticket=review.ticket, previous=None))
    _audit(
        QualityEvent.Kind.REVIEW_SUBMITTED,
        actor,
        review=review,
        after={"score": review.score, "auto_failed": review.auto_failed},
    )
    batch = outbox.Batch()
    _mail(batch, review.agent, review, "qa_reviewed", [review.pk], "qa_reviewed")
    batch.queue()
    return review


@transaction.atomic
def review_acknowledge(*, actor: User, review_id: int) -> Review:
    review = _locked_review(review_id)
    if review.agent_id != actor.pk:
        raise QualityError(_("Only the agent reviewed acknowledges a review."))
    if review.state != Review.State.SUBMITTED:
        raise SurveyClosed(_("This review is not waiting for your acknowledgement."))
    review.state, review.acknowledged_at = Review.State.ACKNOWLEDGED, timezone.now()
    review.save(update_fields=["state", "acknowledged_at"])
    _audit(QualityEvent.Kind.REVIEW_ACKNOWLEDGED, actor, review=review)
    return review


def deciders(review: Review) -> list[User]:
    """Who decides a dispute: the leads of the reviewer's team, else the admins."""
    reviewer = review.reviewer
    leads: list[User] = []
    if reviewer is not None and reviewer.team_id is not None:
        leads = list(
            User.objects.filter(team_id=reviewer.team_id, role=Role.LEAD, is_active=True).exclude(
                pk=review.agent_id
            )
        )
    return leads or list(User.objects.filter(role=Role.ADMIN, is_active=True))


def may_decide(user: User, review: Review) -> bool:
    return user.pk != review.agent_id and (user.is_admin or user in deciders(review))


def dispute_open_until(review: Review) -> datetime | None:
    if review.submitted_at is None:
        return None
    return review.submitted_at + timedelta(days=DISPUTE_DAYS)


@transaction.atomic
def dispute_open(
    *, actor: User, review_id: int, comment: str, proposed: Mapping[str, int | None]
) -> Dispute:
    """The agent disputes a review within seven days, saying why and perhaps proposing
    scores; it goes to the reviewer's lead, due in three days."""
    review = _locked_review(review_id)
    if review.agent_id != actor.pk or review.session_id is not None:
        raise QualityError(_("Only the agent reviewed can dispute a review."))
    now = timezone.now()
    until = dispute_open_until(review)
    if (
        review.state not in (Review.State.SUBMITTED, Review.State.ACKNOWLEDGED)
        or review.locked
        or until is None
        or now > until
    ):
        raise SurveyClosed(_("This review can no longer be disputed."))
    comment = comment.strip()
    if not comment:
        raise QualityError(_("Say what you disagree with."))
    if len(comment) > 5000 or "\\x00" in comment:
        raise QualityError(
            _("The comment is too long (at most %(max)d characters).") % {"max": 5000}
        )
    categories = {c["key"]: Category.from_json(c) for c in review.version.categories}
    cleaned: dict[str, int | None] = {}
    for key, value in proposed.items():
        category = categories.get(key)
        if (
            category is None
            or (value is not None and value not in category.values())
            or (value is None and not category.allow_na)
        ):
            raise QualityError(_("Choose one of the scores offered."))
        if value != review.values.get(key, {}).get("value"):
            cleaned[key] = value
    dispute = Dispute.objects.create(
        review=review, comment=comment, proposed=cleaned, due_at=now + timedelta(hours=DECIDE_HOURS)
    )
    review.state = Review.State.DISPUTED
    review.save(update_fields=["state"])
    _audit(
        QualityEvent.Kind.DISPUTE_OPENED,
        actor,
        review=review,
        after={"comment": comment, "proposed": cleaned},
    )
    batch = outbox.Batch()
    for lead in deciders(review):
        _mail(
            batch, lead, review, "qa_dispute", [dispute.pk, lead.pk], "qa_dispute", dispute=dispute
        )
    batch.queue()
    return dispute


@transaction.atomic
def dispute_decide(
    *,
    actor: User,
    review_id: int,
    decision: str,
    note: str = "",
    values: Mapping[str, int | None] | None = None,
) -> Review:
    """The lead accepts the proposed scores, partly accepts (their own scores), or
    rejects (the scores are locked). A changed score changes the IQS."""
    review = _locked_review(review_id)
    dispute = Dispute.objects.select_for_update().filter(review=review).first()
    if dispute is None or dispute.state != Dispute.State.OPEN:
        raise SurveyClosed(_("This review has no open dispute."))
    if not may_decide(actor, review):
        raise QualityError(_("Only the reviewer's lead decides this dispute."))
    if decision not in (Dispute.State.ACCEPTED, Dispute.State.PARTLY, Dispute.State.REJECTED):
        raise QualityError(_("Choose accept, partly accept or reject."))
    note = note.strip()
    if decision != Dispute.State.ACCEPTED and not note:
        raise QualityError(_("Say why."))
    previous = review.score
    if decision == Dispute.State.ACCEPTED:
        chosen = {key: v["value"] for key, v in review.values.items()} | dict(dispute.proposed)
    elif decision == Dispute.State.PARTLY:
        chosen = {key: v["value"] for key, v in review.values.items()} | dict(values or {})
    else:
        chosen = {key: v["value"] for key, v in review.values.items()}
    comments = {key: v.get("comment", "") for key, v in review.values.items()}
    _score(review, _clean_values(review, chosen, comments))
    now = timezone.now()
    dispute.state, dispute.decided_by, dispute.decided_at = decision, actor, now
    dispute.decision_note = note[:5000]
    dispute.save()
    review.state = Review.State.DECIDED
    review.locked = decision == Dispute.State.REJECTED
    review.save()
    if review.score != previous and review.submitted_at is not None:
        events.record(
            review.ticket,
            actor,
            TicketEventKind.QA_RESCORED,
            at=now,
            after={
                "review": review.pk,
                "agent": review.agent_id,
                "score": review.score,
                "previous": previous,
                "at": review.submitted_at.isoformat(),
            },
        )
        hooks.reviewed.send(hooks.Reviewed(review=review, ticket=review.ticket, previous=previous))
    _audit(
        QualityEvent.Kind.DISPUTE_DECIDED,
        actor,
        review=review,
        before={"score": previous},
        after={"decision": decision, "score": review.score, "note": dispute.decision_note},
    )
    batch = outbox.Batch()
    _mail(batch, review.agent, review, "qa_decided", [dispute.pk], "qa_decided", dispute=dispute)
    batch.queue()
    return review


@transaction.atomic
def disputes_remind(*, now: datetime | None = None) -> int:
    """Beat: open disputes past their due time are sent to their deciders again, once."""
    now = now or timezone.now()
    due = list(
        Dispute.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(state=Dispute.State.OPEN, due_at__lte=now, reminded_at__isnull=True)
        .select_related("review__ticket", "review__reviewer", "review__agent")[:200]
    )
    batch = outbox.Batch()
    for dispute in due:
        for lead in deciders(dispute.review):
            _mail(
                batch,
                lead,
                dispute.review,
                "qa_dispute_reminder",
                [dispute.pk, lead.pk],
                "qa_dispute",
                dispute=dispute,
                reminder=True,
            )
        dispute.reminded_at = now
    Dispute.objects.bulk_update(due, ["reminded_at"])
    batch.queue()
    return len(due)


# ------------------------------------------------------------------ calibration


@transaction.atomic
def calibration_start(
    *,
    actor: User,
    name: str,
    version: ScorecardVersion,
    tickets: Sequence[Ticket],
    reviewers: Sequence[User],
    benchmark: User,
) -> CalibrationSession:
    """Each reviewer scores each ticket blind on ``version``; ``benchmark`` (one of them)
    is the reference their alignment is measured against."""
    if not can_run_cycles(actor):
        raise QualityError(_("You cannot start calibration sessions."))
    people = list({person.pk: person for person in reviewers}.values())
    if len(people) < 3:
        raise QualityError(_("A calibration session needs at least three reviewers."))
    if benchmark.pk not in {person.pk for person in people}:
        raise QualityError(_("The benchmark reviewer must be one of the session's reviewers."))
    if not tickets:
        raise QualityError(_("Choose at least one ticket."))
    if len(tickets) > 50:
        raise QualityError(_("A calibration session has at most 50 tickets."))
    session = CalibrationSession.objects.create(
        name=name, version=version, benchmark=benchmark, created_by=actor
    )
    credited = _credited_agents([ticket.pk for ticket in tickets])
    reviews = [
        Review(
            ticket=ticket,
            agent_id=credited.get(ticket.pk) or actor.pk,
            reviewer=person,
            version=version,
            session=session,
        )
        for ticket in tickets
        for person in people
    ]
    Review.objects.bulk_create(reviews)
    _audit(
        QualityEvent.Kind.CALIBRATION_STARTED,
        actor,
        after={"session": session.pk, "tickets": len(tickets), "reviewers": [p.pk for p in people]},
    )
    return session


@transaction.atomic
def regrade_start(
    *, actor: User, name: str, reviewer: User, grader: User, count: int = 10
) -> CalibrationSession:
    """Grade the graders: an in-house reviewer scores, blind, the tickets of another
    reviewer's latest submitted reviews (on one scorecard version); the session then
    shows how well the two agree. The reviews regraded keep their scores and count."""
    if not can_edit_scorecards(actor):
        raise QualityError(_("Only admins and in-house leads grade the graders."))
    if reviewer.pk == grader.pk:
        raise QualityError(_("Choose another reviewer to grade with."))
    if grader.team is not None and grader.team.vendor_id is not None:
        raise QualityError(_("The grading reviewer must be in-house."))
    if not 1 <= count <= 50:
        raise QualityError(_("Regrade from 1 to 50 reviews."))
    latest = (
        Review.objects.filter(reviewer=reviewer, submitted_at__isnull=False, session__isnull=True)
        .order_by("-submitted_at", "-id")
        .first()
    )
    if latest is None:
        raise QualityError(_("This reviewer has submitted no review yet."))
    sources = list(
        Review.objects.filter(
            reviewer=reviewer,
            submitted_at__isnull=False,
            session__isnull=True,
            version=latest.version,
        ).order_by("-submitted_at", "-id")[:count]
    )
    session = CalibrationSession.objects.create(
        name=name, version=latest.version, benchmark=grader, graded=reviewer, created_by=actor
    )
    copies: list[Review] = []
    for source in sources:
        copies.append(
            Review(
                ticket_id=source.ticket_id,
                agent_id=source.agent_id,
                reviewer=reviewer,
                version=source.version,
                session=session,
                state=Review.State.SUBMITTED,
                values=source.values,
                category_scores=source.category_scores,
                score=source.score,
                passed=source.passed,
                auto_failed=source.auto_failed,
                submitted_at=source.submitted_at,
            )
        )
        copies.append(
            Review(
                ticket_id=source.ticket_id,
                agent_id=source.agent_id,
                reviewer=grader,
                version=source.version,
                session=session,
            )
        )
    Review.objects.bulk_create(copies)
    _audit(
        QualityEvent.Kind.CALIBRATION_STARTED,
        actor,
        after={
            "session": session.pk,
            "regrade": reviewer.pk,
            "grader": grader.pk,
            "reviews": len(sources),
        },
    )
    return session


_CREDIT_SQL = """
SELECT DISTINCT ON (t.id) t.id, m.author_id FROM tickets_ticket AS t
  JOIN tickets_message AS m ON m.ticket_id = t.id AND m.kind = 'public'
                           AND m.author_type = 'agent'
 WHERE t.id = ANY(%s)
 ORDER BY t.id, m.created_at DESC, m.id DESC
"""


def _credited_agents(ticket_ids: list[int]) -> dict[int, int]:
    with connection.cursor() as cursor:
        cursor.execute(_CREDIT_SQL, [ticket_ids])
        return dict(cursor.fetchall())


@dataclass
class CategoryAgreement:
    category: Category
    alpha: float | None
    # per ticket: the reviewers' values in the session's reviewer order
    rows: list[tuple[Any, list[int | None]]]


@dataclass
class Calibration:
    session: CalibrationSession
    reviewers: list[User]
    submitted: dict[int, int]  # reviewer id -> reviews submitted
    total: int  # reviews per reviewer
    categories: list[CategoryAgreement]
    alignment: dict[int, float | None]  # reviewer id -> alignment with the benchmark


def calibration_results(session: CalibrationSession) -> Calibration:
    """Who has submitted, and once all have: the scores side by side, alpha per
    category, and each reviewer's weighted alignment with the benchmark (the mean over
    the tickets)."""
    from quality.scoring import alignment, alpha

    reviews = list(
        Review.objects.filter(session=session)
        .select_related("reviewer", "ticket")
        .order_by("ticket_id", "reviewer_id")
    )
    reviewers = sorted(
        {r.reviewer_id: r.reviewer for r in reviews if r.reviewer}.values(),
        key=lambda person: person.pk,
    )
    submitted: dict[int, int] = defaultdict(int)
    by_ticket: dict[int, dict[int, Review]] = defaultdict(dict)
    for review in reviews:
        if review.reviewer_id is None:
            continue
        by_ticket[review.ticket_id][review.reviewer_id] = review
        if review.state != Review.State.ASSIGNED:
            submitted[review.reviewer_id] += 1
    categories = [Category.from_json(c) for c in session.version.categories]
    agreement: list[CategoryAgreement] = []
    aligned: dict[int, float | None] = {}
    if session.revealed_at is not None:
        for category in categories:
            rows = []
            for ticket_reviews in by_ticket.values():
                values = [
                    (ticket_reviews[p.pk].values.get(category.key) or {}).get("value")
                    if p.pk in ticket_reviews
                    else None
                    for p in reviewers
                ]
                ticket = next(iter(ticket_reviews.values())).ticket
                rows.append((ticket, values))
            agreement.append(
                CategoryAgreement(
                    category=category,
                    rows=rows,
                    alpha=alpha([values for _ticket, values in rows], values=category.values()),
                )
            )
        benchmark = session.benchmark_id
        for person in reviewers:
            found = []
            for ticket_reviews in by_ticket.values():
                mine, reference = ticket_reviews.get(person.pk), ticket_reviews.get(benchmark or 0)
                if mine is None or reference is None:
                    continue
                score = alignment(
                    categories,
                    {k: v.get("value") for k, v in mine.values.items()},
                    {k: v.get("value") for k, v in reference.values.items()},
                )
                if score is not None:
                    found.append(score)
            aligned[person.pk] = sum(found) / len(found) if found else None
    total = len(by_ticket)
    return Calibration(
        session=session,
        reviewers=reviewers,
        submitted=dict(submitted),
        total=total,
        categories=agreement,
        alignment=aligned,
    )


# ------------------------------------------------------------------ coaching


@transaction.atomic
def coaching_open(
    *, actor: User, review_id: int, category: str, note: str, due_on: Any, sop_version: Any = None
) -> CoachingTask:
    """After a failed category (its score below 100), the reviewer or a lead opens a
    coaching task for the agent, perhaps asking them to read an SOP version again."""
    review = _locked_review(review_id)
    if review.submitted_at is None or review.session_id is not None:
        raise QualityError(_("Coaching follows a submitted review."))
    if not (
        actor.pk == review.reviewer_id
        or may_decide(actor, review)
        or (actor.role == Role.LEAD and actor.pk != review.agent_id)
    ):
        raise QualityError(_("Only the reviewer or a lead opens coaching."))
    score = review.category_scores.get(category)
    if score is None or score >= 100:
        raise QualityError(_("Coaching follows a category that was not met."))
    note = note.strip()
    if not note or len(note) > 5000:
        raise QualityError(_("Say what to work on (at most 5000 characters)."))
    task = CoachingTask.objects.create(
        review=review,
        agent=review.agent,
        category=category,
        note=note,
        due_on=due_on,
        sop_version=sop_version,
        created_by=actor,
    )
    _audit(
        QualityEvent.Kind.COACHING_OPENED,
        actor,
        review=review,
        after={"task": task.pk, "category": category, "due_on": str(due_on)},
    )
    batch = outbox.Batch()
    _mail(batch, review.agent, review, "qa_coaching", [task.pk], "qa_coaching", task=task)
    batch.queue()
    return task


@transaction.atomic
def coaching_done(*, actor: User, task_id: int, note: str, read_sop: bool = False) -> CoachingTask:
    """The agent marks a coaching task done; one that names an SOP version needs them to
    say they have read it again."""
    task = CoachingTask.objects.select_for_update().filter(pk=task_id).first()
    if task is None or task.agent_id != actor.pk:
        raise QualityError(_("This coaching task is not yours."))
    if task.done_at is not None:
        raise SurveyClosed(_("This coaching task is already done."))
    if task.sop_version_id is not None and not read_sop:
        raise QualityError(_("Confirm that you have read the SOP again."))
    now = timezone.now()
    task.done_at, task.done_note = now, note.strip()[:5000]
    if task.sop_version_id is not None:
        task.sop_read_at = now
    task.save()
    _audit(
        QualityEvent.Kind.COACHING_DONE,
        actor,
        review=task.review,
        after={"task": task.pk, "sop_read": task.sop_read_at is not None},
    )
    return task
