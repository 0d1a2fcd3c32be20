"""Quality: satisfaction surveys (CSAT) and QA reviews.

Satisfaction surveys: their settings, each survey and the rating it got.

A survey is scheduled when a ticket is solved, sent by beat after a delay, and rated
through a signed link (email), the help center or the in-app API. Its audit is the
ticket's own timeline (``TicketEventKind``); the settings' changes and the leads'
follow-ups are kept in ``QualityEvent`` (append-only, migration 0002).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class TicketEventKind(models.TextChoices):
    """What surveys record on a ticket's timeline (registered with ``tickets.events``)."""

    CSAT_SENT = "csat_sent"
    CSAT_SKIPPED = "csat_skipped"
    CSAT_CANCELLED = "csat_cancelled"
    CSAT_RATED = "csat_rated"
    QA_REVIEWED = "qa_reviewed"
    QA_RESCORED = "qa_rescored"


class Scale(models.TextChoices):
    FIVE = "five", _("1 to 5")
    TWO = "two", _("Good or bad")


class NegativeAction(models.TextChoices):
    NONE = "none", _("Nothing")
    FOLLOW_UP = "follow_up", _("Open a follow-up for the lead")
    REOPEN = "reopen", _("Reopen the ticket")


# The reasons a requester may give for a bad rating, by key (admins choose which are
# offered, in order); their labels are translated into the requester's language.
REASONS = {
    "slow": pgettext_lazy("a bad rating's reason", "It took too long"),
    "unresolved": pgettext_lazy("a bad rating's reason", "My problem was not solved"),
    "unclear": pgettext_lazy("a bad rating's reason", "The answer was hard to understand"),
    "unfriendly": pgettext_lazy("a bad rating's reason", "The person was not friendly"),
    "outcome": pgettext_lazy("a bad rating's reason", "I disagree with the outcome"),
    "repeat": pgettext_lazy("a bad rating's reason", "I had to explain it more than once"),
    "other": pgettext_lazy("a bad rating's reason", "Something else"),
}
DEFAULT_REASONS = ["slow", "unresolved", "unclear", "unfriendly", "other"]


def _default_reasons() -> list[str]:
    return list(DEFAULT_REASONS)


class SurveySettings(models.Model):
    """The one row (id 1) of CSAT settings, edited by admins on the settings page and
    read through the per-process configuration cache."""

    enabled = models.BooleanField(_("send surveys"), default=True)
    delay_hours = models.PositiveIntegerField(
        _("hours after the solve"),
        default=24,
        help_text=_("Cancelled if the ticket is reopened first."),
    )
    per_requester_days = models.PositiveIntegerField(
        _("at most one survey per requester every (days)"), default=7
    )
    sample_percent = models.PositiveSmallIntegerField(
        _("share of solved tickets surveyed (%)"), default=100
    )
    scale = models.CharField(_("scale"), max_length=8, choices=Scale.choices, default=Scale.FIVE)
    excluded_categories = ArrayField(
        models.CharField(max_length=64),
        default=list,
        blank=True,
        verbose_name=_("categories never surveyed"),
    )
    # Tickets in these categories (enforcement outcomes, say) get a survey about the decision
    # instead: its ratings are kept apart and count toward no CSAT.
    decision_categories = ArrayField(
        models.CharField(max_length=64),
        default=list,
        blank=True,
        verbose_name=_("categories surveyed about the decision"),
    )
    reasons = ArrayField(
        models.CharField(max_length=32),
        default=_default_reasons,
        verbose_name=_("reasons offered for a bad rating"),
    )
    negative_action = models.CharField(
        _("after a bad rating"),
        max_length=16,
        choices=NegativeAction.choices,
        default=NegativeAction.FOLLOW_UP,
    )
    change_days = models.PositiveIntegerField(
        _("a rating can be changed for (days)"),
        default=28,
        help_text=_("Or until the ticket is closed."),
    )
    webhook_url = models.URLField(_("webhook URL"), blank=True, max_length=500)
    webhook_secret = models.CharField(max_length=128, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("survey settings")
        verbose_name_plural = _("survey settings")

    def __str__(self) -> str:
        return str(_("Survey settings"))


class Survey(models.Model):
    class State(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        SENT = "sent", _("Sent")
        CANCELLED = "cancelled", _("Cancelled")
        SKIPPED = "skipped", _("Not sent")

    class Channel(models.TextChoices):
        EMAIL = "email", _("Email link")
        HELP_CENTER = "help_center", _("Help center")
        INAPP = "inapp", _("In-app")

    class FollowUp(models.TextChoices):
        NONE = "", _("None")
        OPEN = "open", _("To follow up")
        DONE = "done", _("Followed up")

    class Kind(models.TextChoices):
        SUPPORT = "support", _("Support")
        DECISION = "decision", _("About a decision")

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="surveys")
    requester = models.ForeignKey(
        "tickets.Requester", on_delete=models.CASCADE, related_name="surveys"
    )
    # Credit: the agent of the last public reply before the solve.
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="surveys",
    )
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.SUPPORT)
    state = models.CharField(max_length=16, choices=State.choices, default=State.SCHEDULED)
    # Why it was not sent (recent, sample, category, no_address, disabled).
    skip_reason = models.CharField(max_length=16, blank=True)
    language = models.CharField(max_length=16, blank=True)
    scale = models.CharField(max_length=8, choices=Scale.choices, default=Scale.FIVE)
    solved_at = models.DateTimeField()
    due_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    # The rating (1–5; on the good-or-bad scale 1 is bad and 5 good).
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    positive = models.BooleanField(null=True, blank=True)
    reason = models.CharField(max_length=32, blank=True)
    comment = models.TextField(blank=True, max_length=2000)
    rated_at = models.DateTimeField(null=True, blank=True)  # the first rating
    changed_at = models.DateTimeField(null=True, blank=True)  # the latest
    channel = models.CharField(max_length=16, choices=Channel.choices, blank=True)
    revisions = models.PositiveIntegerField(default=0)
    follow_up = models.CharField(max_length=8, choices=FollowUp.choices, blank=True)
    follow_up_note = models.TextField(blank=True, max_length=2000)
    follow_up_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    follow_up_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        constraints = [
            # A ticket has at most one survey waiting to go out.
            models.UniqueConstraint(
                fields=["ticket"],
                condition=Q(state="scheduled"),
                name="quality_survey_one_scheduled",
            ),
        ]
        indexes = [
            models.Index(
                fields=["due_at"], name="quality_survey_due_idx", condition=Q(state="scheduled")
            ),
            models.Index(
                fields=["requester", "-sent_at"],
                name="quality_survey_recent_idx",
                condition=Q(sent_at__isnull=False),
            ),
            models.Index(fields=["ticket", "-created_at"], name="quality_survey_ticket_idx"),
            # The ratings list, newest first (keyset pages).
            models.Index(
                fields=["-changed_at", "-id"],
                name="quality_survey_rated_idx",
                condition=Q(rated_at__isnull=False),
            ),
            models.Index(
                fields=["-changed_at", "-id"],
                name="quality_survey_follow_idx",
                condition=Q(follow_up="open"),
            ),
        ]

    def __str__(self) -> str:
        return f"survey {self.pk} on ticket {self.ticket_id} ({self.state})"


class QualityEvent(models.Model):
    """Append-only audit of what is not on a ticket's timeline: the settings' changes and
    the leads' follow-ups of bad ratings."""

    class Kind(models.TextChoices):
        SETTINGS_CHANGED = "settings_changed", _("Settings changed")
        FOLLOW_UP_DONE = "follow_up_done", _("Followed up")
        SCORECARD_SAVED = "scorecard_saved", _("Scorecard saved")
        # Written before the QA reviewer became a role (now audited by accounts).
        REVIEWERS_CHANGED = "reviewers_changed", _("QA reviewers changed")
        CYCLE_STARTED = "cycle_started", _("Sampling cycle started")
        REVIEW_SKIPPED = "review_skipped", _("Sampled ticket skipped")
        REVIEW_REPLACED = "review_replaced", _("Sampled ticket replaced")
        REVIEW_SUBMITTED = "review_submitted", _("Review submitted")
        REVIEW_ACKNOWLEDGED = "review_acknowledged", _("Review acknowledged")
        CALIBRATION_STARTED = "calibration_started", _("Calibration session started")
        COACHING_OPENED = "coaching_opened", _("Coaching task opened")
        COACHING_DONE = "coaching_done", _("Coaching task done")
        DISPUTE_OPENED = "dispute_opened", _("Dispute opened")
        DISPUTE_DECIDED = "dispute_decided", _("Dispute decided")

    kind = models.CharField(max_length=32, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Plain ids: the audit outlives what it is about and slows no delete.
    survey_id = models.BigIntegerField(null=True, blank=True)
    review_id = models.BigIntegerField(null=True, blank=True)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("quality event")
        verbose_name_plural = _("quality events")
        indexes = [models.Index(fields=["-created_at"], name="quality_event_time_idx")]

    def __str__(self) -> str:
        return f"{self.kind} at {self.created_at:%Y-%m-%d %H:%M}"


# ---------------------------------------------------------------------- QA reviews


class Scorecard(models.Model):
    """What QA reviews score, for the queues, languages and vendors it applies to (each
    empty: all). Its categories live in versions: a change is a new version, and every
    review records the version it used."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    description = models.TextField(_("description"), blank=True, max_length=2000)
    queues = models.ManyToManyField(
        "tickets.Queue", blank=True, related_name="+", verbose_name=_("queues")
    )
    languages = ArrayField(
        models.CharField(max_length=16), default=list, blank=True, verbose_name=_("languages")
    )
    vendors = models.ManyToManyField(
        "accounts.Vendor", blank=True, related_name="+", verbose_name=_("vendors")
    )
    pass_mark = models.PositiveSmallIntegerField(_("pass mark"), default=80)
    is_active = models.BooleanField(_("active"), default=True)
    current_version = models.ForeignKey(
        "ScorecardVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("scorecard")
        verbose_name_plural = _("scorecards")

    def __str__(self) -> str:
        return self.name


class ScorecardVersion(models.Model):
    """A scorecard's categories as they were: never changed once saved."""

    scorecard = models.ForeignKey(Scorecard, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    # [{"key", "name", "weight", "scale", "allow_na", "critical"}] (quality.scoring.Category)
    categories = models.JSONField(default=list)
    pass_mark = models.PositiveSmallIntegerField(default=80)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("scorecard version")
        verbose_name_plural = _("scorecard versions")
        constraints = [
            models.UniqueConstraint(
                fields=["scorecard", "number"], name="quality_scorecard_version_number"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scorecard_id} v{self.number}"


class Cycle(models.Model):
    """A sampling cycle: the tickets solved in [starts_at, ends_at), sampled when it is
    started (the sample is frozen: reviews are created then)."""

    name = models.CharField(_("name"), max_length=120)
    starts_at = models.DateTimeField(_("tickets solved from"))
    ends_at = models.DateTimeField(_("until"))
    quota = models.PositiveSmallIntegerField(_("reviews per agent"), default=5)
    vendor = models.ForeignKey(
        "accounts.Vendor",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("vendor"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("sampling cycle")
        verbose_name_plural = _("sampling cycles")
        indexes = [models.Index(fields=["-created_at"], name="quality_cycle_recent_idx")]

    def __str__(self) -> str:
        return self.name


class Review(models.Model):
    class State(models.TextChoices):
        ASSIGNED = "todo", _("To review")
        SUBMITTED = "submitted", _("Submitted")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        DISPUTED = "disputed", _("Disputed")
        DECIDED = "decided", _("Dispute decided")
        SKIPPED = "skipped", _("Skipped")

    class Pull(models.TextChoices):
        QUOTA = "quota", _("Quota")
        NEGATIVE_CSAT = "negative_csat", _("Bad satisfaction rating")
        REOPENED = "reopened", _("Reopened")
        ESCALATED = "escalated", _("Escalated")
        SLA_BREACHED = "sla_breached", _("SLA breached")
        SOP_UNFINISHED = "sop_unfinished", _("SOP checklist left unfinished")
        REPLACEMENT = "replacement", _("Replacement")

    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="qa_reviews"
    )
    # The agent reviewed: the last public reply before the solve.
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="qa_reviews"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="qa_reviews_given",
    )
    version = models.ForeignKey(ScorecardVersion, on_delete=models.PROTECT, related_name="+")
    cycle = models.ForeignKey(
        Cycle, on_delete=models.CASCADE, null=True, blank=True, related_name="reviews"
    )
    # A calibration review: scored blind by several reviewers, counted toward nothing.
    session = models.ForeignKey(
        "CalibrationSession",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="reviews",
    )
    pulled_by = models.CharField(max_length=16, choices=Pull.choices, default=Pull.QUOTA)
    state = models.CharField(max_length=16, choices=State.choices, default=State.ASSIGNED)
    # {category key: {"value": int or None (not applicable), "comment": str}}
    values = models.JSONField(default=dict, blank=True)
    category_scores = models.JSONField(default=dict, blank=True)
    score = models.FloatField(null=True, blank=True)
    passed = models.BooleanField(null=True, blank=True)
    auto_failed = models.BooleanField(default=False)
    comment = models.TextField(blank=True, max_length=5000)
    skip_reason = models.TextField(blank=True, max_length=1000)
    locked = models.BooleanField(default=False)  # a rejected dispute locks the scores
    submitted_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("QA review")
        verbose_name_plural = _("QA reviews")
        constraints = [
            models.UniqueConstraint(
                fields=["cycle", "ticket"],
                name="quality_review_once",
                condition=Q(cycle__isnull=False),
            ),
        ]
        indexes = [
            models.Index(fields=["reviewer", "state", "-id"], name="quality_review_todo_idx"),
            models.Index(fields=["agent", "-id"], name="quality_review_agent_idx"),
            models.Index(
                fields=["-id"],
                name="quality_review_recent_idx",
                condition=Q(submitted_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"review {self.pk} of ticket {self.ticket_id}"


class CalibrationSession(models.Model):
    """Tickets scored blind by three or more reviewers on one scorecard version; when all
    have submitted, the scores are shown side by side with Krippendorff's alpha per
    category and each reviewer's alignment with the benchmark reviewer."""

    name = models.CharField(_("name"), max_length=120)
    version = models.ForeignKey(ScorecardVersion, on_delete=models.PROTECT, related_name="+")
    benchmark = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("benchmark reviewer"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Grading the graders: the reviewer whose submitted reviews the session regrades (their
    # scores copied in, the benchmark scoring the same tickets blind); None for a session
    # every reviewer scores.
    graded = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewer graded"),
    )
    created_at = models.DateTimeField(default=timezone.now)
    revealed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("calibration session")
        verbose_name_plural = _("calibration sessions")

    def __str__(self) -> str:
        return self.name


class CoachingTask(models.Model):
    """Coaching after a failed category: for the agent, with a due date and notes, and
    perhaps an SOP version to read again."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="coaching")
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="coaching_tasks"
    )
    category = models.CharField(max_length=64)
    note = models.TextField(max_length=5000)
    due_on = models.DateField()
    sop_version = models.ForeignKey(
        "sops.SOPVersion", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)
    done_note = models.TextField(blank=True, max_length=5000)
    sop_read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("coaching task")
        verbose_name_plural = _("coaching tasks")
        indexes = [
            models.Index(fields=["agent", "done_at", "due_on"], name="quality_coaching_agent_idx")
        ]

    def __str__(self) -> str:
        return f"coaching on review {self.review_id}"


class Dispute(models.Model):
    class State(models.TextChoices):
        OPEN = "open", _("Waiting for the lead")
        ACCEPTED = "accepted", pgettext_lazy("a dispute's decision", "Accepted")
        PARTLY = "partly", pgettext_lazy("a dispute's decision", "Partly accepted")
        REJECTED = "rejected", pgettext_lazy("a dispute's decision", "Rejected")

    review = models.OneToOneField(Review, on_delete=models.CASCADE, related_name="dispute")
    comment = models.TextField(max_length=5000)
    proposed = models.JSONField(default=dict, blank=True)  # {category key: value or None}
    state = models.CharField(max_length=16, choices=State.choices, default=State.OPEN)
    due_at = models.DateTimeField()
    reminded_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True, max_length=5000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("dispute")
        verbose_name_plural = _("disputes")
        indexes = [
            models.Index(
                fields=["due_at"], name="quality_dispute_open_idx", condition=Q(state="open")
            )
        ]

    def __str__(self) -> str:
        return f"dispute of review {self.review_id}"
