"""CSAT services (the writes): scheduling a survey when a ticket is solved, cancelling
it when the ticket reopens, sending the due ones, recording a rating, following up a
bad one, and the settings.

Each change writes its audit in the same transaction (the ticket's timeline, or
``QualityEvent``); mail and the ``csat.submitted`` webhook leave through the outbox after
commit; analytics hears of sent surveys and ratings through ``quality.hooks``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core import signing
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core import config_cache
from core.errors import Conflict, Invalid
from core.urls import absolute_url
from core.webhook_targets import new_secret
from quality import hooks
from quality.models import (
    NegativeAction,
    QualityEvent,
    Scale,
    Survey,
    SurveySettings,
    TicketEventKind,
)
from tickets import events, outbox
from tickets.models import Status, Ticket
from tickets.services import ticket_change_status

if TYPE_CHECKING:
    from accounts.models import User

DONE = (Status.SOLVED, Status.CLOSED)
LINK_SALT = "quality.csat"
COMMENT_MAX = 2000


class QualityError(Invalid):
    """A rating or a setting that is not allowed; the message says why."""


class SurveyClosed(Conflict, QualityError):
    """The survey no longer takes ratings (HTTP 409)."""


# ------------------------------------------------------------------ settings


def _load_settings() -> SurveySettings:
    return SurveySettings.objects.filter(pk=1).first() or SurveySettings(pk=1)


def survey_settings() -> SurveySettings:
    """The settings (the defaults until an admin saves them), cached per process until
    they change. Callers must not modify the object."""
    return config_cache.cached("quality-survey-settings", _load_settings)


SETTING_FIELDS = (
    "enabled",
    "delay_hours",
    "per_requester_days",
    "sample_percent",
    "scale",
    "excluded_categories",
    "decision_categories",
    "reasons",
    "negative_action",
    "change_days",
    "webhook_url",
)


@transaction.atomic
def survey_settings_save(*, actor: User, values: dict[str, Any]) -> SurveySettings:
    """Save the settings (values already checked by the form); audited."""
    row = SurveySettings.objects.select_for_update().filter(pk=1).first()
    if row is None:
        row = SurveySettings(pk=1)
    before = {name: getattr(row, name) for name in SETTING_FIELDS}
    for name in SETTING_FIELDS:
        if name in values:
            setattr(row, name, values[name])
    if row.webhook_url and not row.webhook_secret:
        row.webhook_secret = new_secret()
    row.updated_at = timezone.now()
    row.save()
    after = {name: getattr(row, name) for name in SETTING_FIELDS}
    changed = [name for name in SETTING_FIELDS if before[name] != after[name]]
    if changed:
        QualityEvent.objects.create(
            kind=QualityEvent.Kind.SETTINGS_CHANGED,
            actor=actor,
            before={name: before[name] for name in changed},
            after={name: after[name] for name in changed},
        )
    return row


# ------------------------------------------------------------------ links


def survey_token(survey: Survey) -> str:
    return signing.Signer(salt=LINK_SALT).sign(str(survey.pk))


def survey_id_for_token(token: str) -> int | None:
    try:
        return int(signing.Signer(salt=LINK_SALT).unsign(token))
    except (signing.BadSignature, ValueError):
        return None


def rating_url(survey: Survey, score: int | None = None) -> str:
    url = absolute_url("quality:rate", survey_token(survey))
    return f"{url}?score={score}" if score is not None else url


# ------------------------------------------------------------------ scheduling

_SCHEDULE_SQL = """
INSERT INTO quality_survey (ticket_id, requester_id, agent_id, state, skip_reason, language,
                            scale, solved_at, due_at, created_at, reason, comment, channel,
                            revisions, follow_up, follow_up_note, kind)
SELECT %(ticket)s, %(requester)s,
       (SELECT m.author_id FROM tickets_message AS m
         WHERE m.ticket_id = %(ticket)s AND m.kind = 'public' AND m.author_type = 'agent'
           AND m.created_at <= %(now)s
         ORDER BY m.created_at DESC, m.id DESC LIMIT 1),
       'scheduled', '', %(language)s, coalesce(s.scale, 'five'), %(now)s,
       %(now)s + make_interval(hours => coalesce(s.delay_hours, 24)), %(now)s, '', '', '', 0,
       '', '',
       CASE WHEN %(category)s = ANY (coalesce(s.decision_categories, '{}')) THEN 'decision'
            ELSE 'support' END
  FROM (SELECT 1) AS one LEFT JOIN quality_surveysettings AS s ON s.id = 1
 WHERE coalesce(s.enabled, true)
   AND NOT (%(category)s = ANY (coalesce(s.excluded_categories, '{}')))
ON CONFLICT (ticket_id) WHERE state = 'scheduled' DO NOTHING
"""


def survey_schedule(*, ticket: Ticket, now: datetime | None = None) -> None:
    """A solved ticket's survey, due after the settings' delay, credited to the agent of
    the last public reply before the solve. One statement, which reads the settings
    itself: a solve pays for no configuration read. Called by the status hook."""
    with connection.cursor() as cursor:
        cursor.execute(
            _SCHEDULE_SQL,
            {
                "ticket": ticket.pk,
                "requester": ticket.requester_id,
                "now": now or timezone.now(),
                "language": (ticket.language or getattr(ticket.requester, "language", "") or "")[
                    :16
                ],
                "category": ticket.category or "",
            },
        )


def survey_cancel(*, ticket: Ticket, reason: str) -> int:
    """A reopened (or merged) ticket's waiting survey is not sent; how many were waiting."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE quality_survey SET state = 'cancelled', skip_reason = %s "
            "WHERE ticket_id = %s AND state = 'scheduled' RETURNING id",
            [reason, ticket.pk],
        )
        cancelled = [row[0] for row in cursor.fetchall()]
    for survey_id in cancelled:
        events.record(
            ticket,
            None,
            TicketEventKind.CSAT_CANCELLED,
            after={"survey": survey_id, "reason": reason},
        )
    return len(cancelled)


# ------------------------------------------------------------------ sending


def sampled(ticket_id: int, percent: int) -> bool:
    """Whether a ticket falls in the surveyed share: stable per ticket, spread evenly."""
    digest = hashlib.sha256(f"csat:{ticket_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % 100 < percent


def score_choices(scale: str) -> list[tuple[int, str]]:
    """The scores a survey offers, best first, with their words (in the active language)."""
    if scale == Scale.TWO:
        return [(5, _("Good, I'm satisfied")), (1, _("Bad, I'm not satisfied"))]
    return [
        (5, _("Very satisfied")),
        (4, _("Satisfied")),
        (3, _("Neither")),
        (2, _("Dissatisfied")),
        (1, _("Very dissatisfied")),
    ]


def is_positive(score: int) -> bool:
    return score >= 4


_DUE_SQL = """
SELECT id FROM quality_survey WHERE state = 'scheduled' AND due_at <= %s
 ORDER BY due_at, id LIMIT %s FOR UPDATE SKIP LOCKED
"""


def _skip_reason(survey: Survey, conf: SurveySettings, recent: set[int]) -> str:
    ticket = survey.ticket
    if not conf.enabled:
        return "disabled"
    if ticket.category and ticket.category in conf.excluded_categories:
        return "category"
    if not sampled(ticket.pk, conf.sample_percent):
        return "sample"
    if survey.requester_id in recent:
        return "recent"
    if not survey.requester.email and not survey.requester.external_id:
        return "no_address"
    return ""


@transaction.atomic
def surveys_send_due(*, now: datetime | None = None, limit: int = 500) -> dict[str, int]:
    """Send the surveys that are due (up to ``limit``, rows locked so two runs never take
    the same): each is sent, not sent with a reason, or cancelled because its ticket is
    open again. Returns how many of each."""
    now = now or timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(_DUE_SQL, [now, limit])
        ids = [row[0] for row in cursor.fetchall()]
    if not ids:
        return {}
    surveys = list(
        Survey.objects.filter(pk__in=ids)
        .select_related("ticket", "requester", "agent")
        .order_by("due_at", "id")
    )
    conf = survey_settings()
    window = now - timedelta(days=conf.per_requester_days)
    recent = set(
        Survey.objects.filter(
            requester_id__in={s.requester_id for s in surveys}, sent_at__gt=window
        ).values_list("requester_id", flat=True)
    )
    batch, audit, sent = outbox.Batch(), [], []
    counts: dict[str, int] = {}
    for survey in surveys:
        ticket = survey.ticket
        if ticket.status not in DONE:
            survey.state, survey.skip_reason = Survey.State.CANCELLED, "reopened"
            audit.append(
                events.build(
                    ticket,
                    None,
                    TicketEventKind.CSAT_CANCELLED,
                    at=now,
                    after={"survey": survey.pk, "reason": "reopened"},
                )
            )
        elif reason := _skip_reason(survey, conf, recent):
            survey.state, survey.skip_reason = Survey.State.SKIPPED, reason
            audit.append(
                events.build(
                    ticket,
                    None,
                    TicketEventKind.CSAT_SKIPPED,
                    at=now,
                    after={"survey": survey.pk, "reason": reason},
                )
            )
        else:
            survey.state, survey.sent_at = Survey.State.SENT, now
            recent.add(survey.requester_id)
            sent.append(survey)
            if survey.requester.email:
                _queue_mail(batch, survey, now)
            audit.append(
                events.build(
                    ticket,
                    None,
                    TicketEventKind.CSAT_SENT,
                    at=now,
                    after={
                        "survey": survey.pk,
                        "by_email": bool(survey.requester.email),
                        "agent": survey.agent_id,
                        "kind": survey.kind,
                    },
                )
            )
        counts[survey.state] = counts.get(survey.state, 0) + 1
    Survey.objects.bulk_update(surveys, ["state", "skip_reason", "sent_at"])
    events.record_many(audit)
    batch.queue()
    if sent:
        hooks.surveys_sent.send(hooks.SurveysSent(surveys=tuple(sent)))
    return counts


def _queue_mail(batch: outbox.Batch, survey: Survey, now: datetime) -> None:
    ticket = survey.ticket
    language = survey.language or settings.LANGUAGE_CODE
    with translation.override(language):
        choices = [
            (score, label, rating_url(survey, score))
            for score, label in score_choices(survey.scale)
        ]
    batch.email(
        kind="csat_survey",
        key=[survey.pk],
        to=survey.requester.email,
        template="csat_survey",
        language=language,
        automatic="auto-generated",
        ticket=ticket,
        now=now,
        context={
            "ticket": ticket,
            "requester_name": survey.requester.name,
            "choices": choices,
            "page_url": rating_url(survey),
            "two_point": survey.scale == Scale.TWO,
            "decision": survey.kind == Survey.Kind.DECISION,
        },
    )


# ------------------------------------------------------------------ rating


@dataclass(frozen=True)
class RatingWindow:
    open: bool
    until: datetime | None


def rating_window(survey: Survey, *, now: datetime | None = None) -> RatingWindow:
    """Whether the survey takes a rating now: sent, within the settings' days of being
    sent, and its ticket not closed."""
    if survey.state != Survey.State.SENT or survey.sent_at is None:
        return RatingWindow(open=False, until=None)
    until = survey.sent_at + timedelta(days=survey_settings().change_days)
    now = now or timezone.now()
    return RatingWindow(open=now < until and survey.ticket.status != Status.CLOSED, until=until)


def _clean_comment(comment: str) -> str:
    if "\x00" in comment:
        raise QualityError(_("The comment contains a NUL character."))
    comment = comment.strip()
    if len(comment) > COMMENT_MAX:
        raise QualityError(
            _("The comment is too long (at most %(max)d characters).") % {"max": COMMENT_MAX}
        )
    return comment


def _rating(survey: Survey) -> dict[str, Any]:
    return {
        "kind": survey.kind,
        "score": survey.score,
        "positive": survey.positive,
        "reason": survey.reason,
        "comment": survey.comment,
        "channel": survey.channel,
        "rated_at": survey.rated_at.isoformat() if survey.rated_at else None,
    }


@transaction.atomic
def csat_rate(
    *,
    survey_id: int,
    score: int,
    channel: str,
    reason: str = "",
    comment: str | None = None,
    now: datetime | None = None,
) -> Survey:
    """Record (or change) a survey's rating. ``comment`` None keeps the one given before
    (a one-click link carries none). A bad rating can open a follow-up for the lead or
    reopen the ticket, as the settings say; every rating sends ``csat.submitted``."""
    now = now or timezone.now()
    survey = (
        Survey.objects.select_for_update(of=("self",))
        .select_related("ticket", "requester")
        .filter(pk=survey_id)
        .first()
    )
    if survey is None:
        raise QualityError(_("This survey does not exist."))
    if not rating_window(survey, now=now).open:
        raise SurveyClosed(
            _("This survey is closed: its rating can no longer be given or changed.")
        )
    if score not in dict(score_choices(survey.scale)):
        raise QualityError(_("Choose one of the ratings offered."))
    conf = survey_settings()
    positive = is_positive(score)
    if positive:
        reason = ""
    elif reason and reason not in conf.reasons and reason != survey.reason:
        raise QualityError(_("Choose one of the reasons offered."))
    if channel not in Survey.Channel.values:
        raise QualityError(_("Unknown channel."))
    before = _rating(survey) if survey.rated_at else {}
    was_negative = survey.positive is False
    first = survey.rated_at is None
    survey.score, survey.positive, survey.channel = score, positive, channel
    survey.reason = reason if not positive else ""
    if comment is not None:
        survey.comment = _clean_comment(comment)
    survey.rated_at = survey.rated_at or now
    survey.changed_at = now
    survey.revisions += 1
    newly_negative = not positive and not was_negative
    if newly_negative and conf.negative_action == NegativeAction.FOLLOW_UP:
        survey.follow_up = Survey.FollowUp.OPEN
    elif positive and survey.follow_up == Survey.FollowUp.OPEN:
        survey.follow_up = Survey.FollowUp.NONE  # the requester took the bad rating back
    survey.save(
        update_fields=[
            "score",
            "positive",
            "channel",
            "reason",
            "comment",
            "rated_at",
            "changed_at",
            "revisions",
            "follow_up",
        ]
    )
    ticket = survey.ticket
    events.record(
        ticket,
        None,
        TicketEventKind.CSAT_RATED,
        before=before,
        after={
            "survey": survey.pk,
            "agent": survey.agent_id,
            "scale": survey.scale,
            **_rating(survey),
        },
        at=now,
    )
    hooks.rated.send(hooks.Rated(survey=survey, ticket=ticket, first=first))
    if conf.webhook_url:
        outbox.queue_webhook(
            kind="csat_submitted",
            key=[survey.pk, survey.revisions],
            url=conf.webhook_url,
            payload=_webhook_payload(survey),
            ticket=ticket,
            now=now,
        )
    if (
        newly_negative
        and conf.negative_action == NegativeAction.REOPEN
        and ticket.status == Status.SOLVED
    ):
        ticket_change_status(actor=None, ticket=ticket, status=Status.OPEN)
    return survey


def _webhook_payload(survey: Survey) -> dict[str, Any]:
    return {
        "survey_id": survey.pk,
        "ticket": survey.ticket.reference,
        "requester_external_id": survey.requester.external_id or None,
        "agent_id": survey.agent_id,
        "scale": survey.scale,
        "revision": survey.revisions,
        "changed_at": survey.changed_at.isoformat() if survey.changed_at else None,
        **_rating(survey),
    }


def webhook_endpoint(notification: Any) -> outbox.WebhookEndpoint | None:
    """Where ``csat.submitted`` goes: the settings' URL and secret when it is sent."""
    conf = _load_settings()
    if not conf.webhook_url:
        return None
    return outbox.WebhookEndpoint(conf.webhook_url, conf.webhook_secret)


# ------------------------------------------------------------------ follow-ups


@transaction.atomic
def csat_follow_up_done(*, actor: User, survey: Survey, note: str) -> Survey:
    """A lead has followed up a bad rating (the caller checked they may see it)."""
    survey = Survey.objects.select_for_update().get(pk=survey.pk)
    if survey.follow_up != Survey.FollowUp.OPEN:
        raise SurveyClosed(_("This rating has no follow-up open."))
    note = _clean_comment(note)
    if not note:
        raise QualityError(_("Say what was done."))
    now = timezone.now()
    survey.follow_up, survey.follow_up_note = Survey.FollowUp.DONE, note
    survey.follow_up_by, survey.follow_up_at = actor, now
    survey.save(update_fields=["follow_up", "follow_up_note", "follow_up_by", "follow_up_at"])
    QualityEvent.objects.create(
        kind=QualityEvent.Kind.FOLLOW_UP_DONE,
        actor=actor,
        survey_id=survey.pk,
        after={"note": note},
        created_at=now,
    )
    return survey
