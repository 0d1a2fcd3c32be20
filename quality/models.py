"""Satisfaction surveys (CSAT): their settings, each survey and the rating it got.

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
        _("hours after the solve"), default=24,
        help_text=_("Cancelled if the ticket is reopened first."))  # fmt: skip
    per_requester_days = models.PositiveIntegerField(
        _("at most one survey per requester every (days)"), default=7)  # fmt: skip
    sample_percent = models.PositiveSmallIntegerField(_("share of solved tickets surveyed (%)"),
                                                      default=100)  # fmt: skip
    scale = models.CharField(_("scale"), max_length=8, choices=Scale.choices,
                             default=Scale.FIVE)  # fmt: skip
    excluded_categories = ArrayField(
        models.CharField(max_length=64), default=list, blank=True,
        verbose_name=_("categories never surveyed"))  # fmt: skip
    reasons = ArrayField(models.CharField(max_length=32), default=_default_reasons,
                         verbose_name=_("reasons offered for a bad rating"))  # fmt: skip
    negative_action = models.CharField(
        _("after a bad rating"), max_length=16, choices=NegativeAction.choices,
        default=NegativeAction.FOLLOW_UP)  # fmt: skip
    change_days = models.PositiveIntegerField(
        _("a rating can be changed for (days)"), default=28,
        help_text=_("Or until the ticket is closed."))  # fmt: skip
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

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE,
                               related_name="surveys")  # fmt: skip
    requester = models.ForeignKey("tickets.Requester", on_delete=models.CASCADE,
                                  related_name="surveys")  # fmt: skip
    # Credit: the agent of the last public reply before the solve.
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="surveys")  # fmt: skip
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
    follow_up_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                     null=True, blank=True, related_name="+")  # fmt: skip
    follow_up_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        constraints = [
            # A ticket has at most one survey waiting to go out.
            models.UniqueConstraint(fields=["ticket"], condition=Q(state="scheduled"),
                                    name="quality_survey_one_scheduled"),
        ]  # fmt: skip
        indexes = [
            models.Index(fields=["due_at"], name="quality_survey_due_idx",
                         condition=Q(state="scheduled")),
            models.Index(fields=["requester", "-sent_at"], name="quality_survey_recent_idx",
                         condition=Q(sent_at__isnull=False)),
            models.Index(fields=["ticket", "-created_at"], name="quality_survey_ticket_idx"),
            # The ratings list, newest first (keyset pages).
            models.Index(fields=["-changed_at", "-id"], name="quality_survey_rated_idx",
                         condition=Q(rated_at__isnull=False)),
            models.Index(fields=["-changed_at", "-id"], name="quality_survey_follow_idx",
                         condition=Q(follow_up="open")),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"survey {self.pk} on ticket {self.ticket_id} ({self.state})"


class QualityEvent(models.Model):
    """Append-only audit of what is not on a ticket's timeline: the settings' changes and
    the leads' follow-ups of bad ratings."""

    class Kind(models.TextChoices):
        SETTINGS_CHANGED = "settings_changed", _("Settings changed")
        FOLLOW_UP_DONE = "follow_up_done", _("Followed up")

    kind = models.CharField(max_length=32, choices=Kind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="+")  # fmt: skip
    # A plain id: the audit outlives what it is about and slows no delete.
    survey_id = models.BigIntegerField(null=True, blank=True)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("quality event")
        verbose_name_plural = _("quality events")
        indexes = [models.Index(fields=["-created_at"], name="quality_event_time_idx")]

    def __str__(self) -> str:
        return f"{self.kind} at {self.created_at:%Y-%m-%d %H:%M}"
