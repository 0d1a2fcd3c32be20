"""Data-subject requests (erasure), legal holds and the privacy audit.

Nothing here holds the subject's personal data: a request names its requester by a
foreign key while it waits (null once the person is deleted) and is listed by its
reference and the case number the privacy team gives it."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TicketEventKind(models.TextChoices):
    """What privacy records on a ticket's timeline (registered with ``tickets.events``)."""

    PERSONAL_DATA_ERASED = "personal_data_erased"
    PROCESSING_RESTRICTED = "processing_restricted"
    MESSAGE_REDACTED = "message_redacted"
    ATTACHMENT_REPLACED = "attachment_replaced"


def new_reference() -> str:
    return "DSR-" + secrets.token_hex(4).upper()


class Mode(models.TextChoices):
    DELETE = "delete", _("Delete: the person's tickets, messages and files")
    ANONYMISE = "anonymise", _("Anonymise: keep the tickets for metrics, remove the person")
    RESTRICT = "restrict", _("Restrict: freeze the processing of their data")


class ErasureRequest(models.Model):
    """A request to erase (or restrict) a requester's data, run after its grace period."""

    class State(models.TextChoices):
        WAITING = "waiting", _("Waiting for its date")
        HELD = "held", _("Pending hold")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    reference = models.CharField(_("reference"), max_length=16, unique=True,
                                 default=new_reference)  # fmt: skip
    requester = models.ForeignKey("tickets.Requester", on_delete=models.SET_NULL, null=True,
                                  blank=True, related_name="+")  # fmt: skip
    mode = models.CharField(_("mode"), max_length=16, choices=Mode.choices)
    state = models.CharField(_("state"), max_length=16, choices=State.choices,
                             default=State.WAITING)  # fmt: skip
    # The privacy team's own case reference (a ticket in their tracker, a letter's date):
    # never the person's name.
    case_number = models.CharField(_("case number"), max_length=64, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     related_name="+")  # fmt: skip
    created_at = models.DateTimeField(_("asked"), default=timezone.now)
    run_after = models.DateTimeField(_("runs after"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    cancelled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                     null=True, blank=True, related_name="+")  # fmt: skip
    # How many rows and files each part of the run reached (counts only).
    counts = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("erasure request")
        verbose_name_plural = _("erasure requests")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The beat's work list: waiting requests falling due.
            models.Index(fields=["run_after"], name="privacy_erasure_due_idx",
                         condition=Q(state__in=["waiting", "held"])),
            models.Index(fields=["-created_at", "-id"], name="privacy_erasure_recent_idx"),
        ]  # fmt: skip
        permissions = [
            ("handle_erasurerequest", "Can handle data-subject requests and legal holds")
        ]

    def __str__(self) -> str:
        return f"{self.reference} ({self.mode}, {self.state})"

    @property
    def is_open(self) -> bool:
        return self.state in (self.State.WAITING, self.State.HELD)


class LegalHold(models.Model):
    """Data that must be kept whatever else is asked: on a requester, a ticket, a queue or
    the tickets a saved view finds. While it is active nothing it covers is erased."""

    class Scope(models.TextChoices):
        REQUESTER = "requester", _("A requester")
        TICKET = "ticket", _("A ticket")
        QUEUE = "queue", _("A queue")
        SAVED_VIEW = "saved_view", _("A saved search")

    scope = models.CharField(_("Covers"), max_length=16, choices=Scope.choices)
    requester = models.ForeignKey("tickets.Requester", on_delete=models.PROTECT, null=True,
                                  blank=True, related_name="+")  # fmt: skip
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.PROTECT, null=True,
                               blank=True, related_name="+")  # fmt: skip
    queue = models.ForeignKey("tickets.Queue", on_delete=models.PROTECT, null=True,
                              blank=True, related_name="+")  # fmt: skip
    saved_view = models.ForeignKey("tickets.SavedView", on_delete=models.PROTECT, null=True,
                                   blank=True, related_name="+")  # fmt: skip
    case_number = models.CharField(_("case number"), max_length=64)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"),
                              on_delete=models.PROTECT, related_name="+")  # fmt: skip
    reason = models.TextField(_("reason"), max_length=2000)
    review_on = models.DateField(_("review date"))
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")  # fmt: skip
    released_at = models.DateTimeField(_("released"), null=True, blank=True)
    released_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+")  # fmt: skip

    class Meta:
        verbose_name = _("legal hold")
        verbose_name_plural = _("legal holds")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["scope"], name="privacy_hold_active_idx",
                         condition=Q(released_at__isnull=True)),
        ]  # fmt: skip
        constraints = [
            models.CheckConstraint(
                name="privacy_hold_names_its_target",
                # A released hold may have lost its target to a later erasure.
                condition=(
                    Q(released_at__isnull=False)
                    | Q(scope="requester", requester__isnull=False)
                    | Q(scope="ticket", ticket__isnull=False)
                    | Q(scope="queue", queue__isnull=False)
                    | Q(scope="saved_view", saved_view__isnull=False)
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_number} ({self.scope})"

    @property
    def is_active(self) -> bool:
        return self.released_at is None


class PrivacyEvent(models.Model):
    """Append-only audit of the privacy team's actions (a database trigger refuses edits).
    It says that something was exported, erased or held, by whom and when, with counts;
    never what was erased."""

    class Kind(models.TextChoices):
        EXPORT_REQUESTED = "export_requested", _("Export asked")
        ERASURE_REQUESTED = "erasure_requested", _("Erasure asked")
        ERASURE_CANCELLED = "erasure_cancelled", _("Erasure cancelled")
        ERASURE_HELD = "erasure_held", _("Erasure waits for a hold")
        ERASURE_DONE = "erasure_done", _("Erasure done")
        HOLD_PLACED = "hold_placed", _("Legal hold placed")
        HOLD_RELEASED = "hold_released", _("Legal hold released")
        ACCESS_ALERT = "access_alert", _("Unusual reading")
        RETENTION_SAVED = "retention_saved", _("Retention policy saved")
        RETENTION_DRY_RUN = "retention_dry_run", _("Retention policy counted")
        RETENTION_SWITCHED = "retention_switched", _("Retention policy switched on or off")
        RETENTION_BATCH = "retention_batch", _("Retention batch run")

    kind = models.CharField(max_length=32, choices=Kind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="+")  # fmt: skip
    erasure = models.ForeignKey(ErasureRequest, on_delete=models.PROTECT, null=True,
                                blank=True, related_name="events")  # fmt: skip
    hold = models.ForeignKey(LegalHold, on_delete=models.PROTECT, null=True, blank=True,
                             related_name="events")  # fmt: skip
    policy = models.ForeignKey("RetentionPolicy", on_delete=models.PROTECT, null=True,
                               blank=True, related_name="events")  # fmt: skip
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["-created_at", "-id"], name="privacy_event_recent_idx")]

    def __str__(self) -> str:
        return f"{self.kind} at {self.created_at:%Y-%m-%d %H:%M}"


class Redaction(models.Model):
    """A span of a message or a file removed by a person with the permission: who, when,
    why and how many characters, never the text (privacy.redaction)."""

    class Kind(models.TextChoices):
        SPAN = "span", _("Text")
        ATTACHMENT = "attachment", _("File")

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    message = models.ForeignKey("tickets.Message", on_delete=models.SET_NULL, null=True,
                                blank=True, related_name="+")  # fmt: skip
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                              related_name="+")  # fmt: skip
    kind = models.CharField(max_length=16, choices=Kind.choices)
    reason = models.CharField(_("reason"), max_length=500)
    characters = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("redaction")
        verbose_name_plural = _("redactions")
        indexes = [models.Index(fields=["ticket", "created_at"], name="privacy_redaction_idx")]

    def __str__(self) -> str:
        return f"{self.kind} on {self.ticket_id} at {self.created_at:%Y-%m-%d %H:%M}"


class AccessLog(models.Model):
    """One read (privacy.access): a table partitioned by month, made by migration 0004
    (Django does not manage it: it reads it)."""

    id = models.BigIntegerField(primary_key=True)
    at = models.DateTimeField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING,
                             db_constraint=False, related_name="+")  # fmt: skip
    vendor = models.ForeignKey("accounts.Vendor", on_delete=models.DO_NOTHING, null=True,
                               db_constraint=False, related_name="+")  # fmt: skip
    kind = models.CharField(max_length=24)
    reference = models.CharField(max_length=16, blank=True)
    object_id = models.BigIntegerField(null=True)
    route = models.CharField(max_length=80, blank=True)

    class Meta:
        managed = False
        db_table = "privacy_accesslog"
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} by {self.user_id} at {self.at:%Y-%m-%d %H:%M}"


class RetentionPolicy(models.Model):
    """Tickets closed more than ``days`` ago, of a queue, a category or a channel (each
    that is set must match), are deleted or anonymised by the daily run. A policy is
    switched on only after a dry run has counted what it would reach."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    queue = models.ForeignKey("tickets.Queue", verbose_name=_("queue"), on_delete=models.PROTECT,
                              null=True, blank=True, related_name="+")  # fmt: skip
    category = models.CharField(_("category"), max_length=64, blank=True)
    channel = models.CharField(_("channel"), max_length=16, blank=True)
    mode = models.CharField(_("what to do"), max_length=16, choices=[
        (Mode.DELETE, _("Delete the tickets")),
        (Mode.ANONYMISE, _("Anonymise the tickets"))])  # fmt: skip
    days = models.PositiveIntegerField(_("days after close"))
    is_active = models.BooleanField(_("on"), default=False)
    dry_run_count = models.PositiveIntegerField(null=True, blank=True)
    dry_run_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")  # fmt: skip
    created_at = models.DateTimeField(default=timezone.now)
    last_run_at = models.DateTimeField(null=True, blank=True)
    processed = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("retention policy")
        verbose_name_plural = _("retention policies")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                name="privacy_retention_names_what_it_covers",
                condition=Q(queue__isnull=False) | ~Q(category="") | ~Q(channel=""),
            ),
        ]

    def __str__(self) -> str:
        return self.name
