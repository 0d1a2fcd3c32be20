"""Escalations (a ticket handed to a specialist team), incidents (many tickets, one
problem), on-call rotations and the pages that wake their people up."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Team, User, Vendor, validate_time_zone
from tickets.models import Ticket


class Severity(models.IntegerChoices):
    SEV1 = 1, _("SEV1 — critical")
    SEV2 = 2, _("SEV2 — high")
    SEV3 = 3, _("SEV3 — moderate")
    SEV4 = 4, _("SEV4 — low")


PAGING_SEVERITIES = (Severity.SEV1, Severity.SEV2)


class EscalationReason(models.Model):
    """Why a ticket is escalated, to which team, at which severity; some reasons also
    escalate by themselves (an SLA breach, a high-profile requester, a category)."""

    class Trigger(models.TextChoices):
        MANUAL = "manual", _("Chosen by an agent")
        SLA_BREACH = "sla_breach", _("SLA breach (policies with the escalate action)")
        HIGH_PROFILE = "high_profile", _("A ticket from a high-profile requester")
        CATEGORY = "category", _("A ticket in one of these categories or with these tags")

    name = models.CharField(_("name"), max_length=120, unique=True)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    trigger = models.CharField(_("escalates"), max_length=16, choices=Trigger.choices,
                               default=Trigger.MANUAL)  # fmt: skip
    target_team = models.ForeignKey(Team, verbose_name=_("to team"), on_delete=models.PROTECT,
                                    related_name="escalation_reasons")  # fmt: skip
    severity = models.PositiveSmallIntegerField(_("default severity"), choices=Severity.choices,
                                                default=Severity.SEV3)  # fmt: skip
    match_categories = ArrayField(models.CharField(max_length=64), default=list, blank=True,
                                  verbose_name=_("ticket categories"))  # fmt: skip
    match_tags = ArrayField(models.CharField(max_length=64), default=list, blank=True,
                            verbose_name=_("ticket tags"))  # fmt: skip
    position = models.PositiveSmallIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("escalation reason")
        verbose_name_plural = _("escalation reasons")

    def __str__(self) -> str:
        return self.name


class TicketEventKind(models.TextChoices):
    """What escalations, incidents and pages record on a ticket's timeline (registered
    with ``tickets.events`` from the app's ``ready()``)."""

    ESCALATION_RAISED = "escalation_raised"
    ESCALATION_REQUESTED = "escalation_requested"
    ESCALATION_ACCEPTED = "escalation_accepted"
    ESCALATION_IN_PROGRESS = "escalation_in_progress"
    ESCALATION_RESOLVED = "escalation_resolved"
    ESCALATION_RETURNED = "escalation_returned"
    ESCALATION_REJECTED = "escalation_rejected"
    ESCALATION_ASSIGNED = "escalation_assigned"
    ESCALATION_NOTE = "escalation_note"
    INCIDENT_LINKED = "incident_linked"
    INCIDENT_UNLINKED = "incident_unlinked"
    PAGE_ACKNOWLEDGED = "page_acknowledged"
    # An SLA policy asked to escalate a breach and no escalation reason handles breaches.
    SLA_ESCALATION_REQUESTED = "sla_escalation_requested"


class Escalation(models.Model):
    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        ACCEPTED = "accepted", _("Accepted")
        IN_PROGRESS = "in_progress", _("In progress")
        RESOLVED = "resolved", _("Resolved")
        RETURNED = "returned", _("Returned to agent")
        REJECTED = "rejected", _("Rejected")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="escalations")
    reason = models.ForeignKey(EscalationReason, on_delete=models.PROTECT, related_name="+")
    severity = models.PositiveSmallIntegerField(choices=Severity.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.REQUESTED)
    target_team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="escalations_in")
    # Who asked: a person (None when it escalated by itself), their team and vendor as
    # they were at the time (scoping reads these, not the person's current team).
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="escalations_raised",
    )  # fmt: skip
    raised_by_team = models.ForeignKey(Team, on_delete=models.SET_NULL, null=True, blank=True,
                                       related_name="escalations_out")  # fmt: skip
    raised_by_vendor = models.ForeignKey(Vendor, on_delete=models.SET_NULL, null=True,
                                         blank=True, related_name="escalations")  # fmt: skip
    automatic = models.BooleanField(default=False)
    summary = models.TextField(max_length=5000)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="escalations_owned")  # fmt: skip
    outcome = models.TextField(blank=True, max_length=5000)
    due_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    accepted_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Not columns: set on the board's cards by selectors.attach_assignable.
    can_act: bool
    assignable: list[User]

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            # One open escalation per ticket and team.
            models.UniqueConstraint(
                fields=["ticket", "target_team"], name="escalation_one_open_per_team",
                condition=Q(status__in=["requested", "accepted", "in_progress"]),
            ),
        ]  # fmt: skip
        indexes = [
            # The board: open ones by due time, per status.
            models.Index(fields=["status", "due_at", "id"], name="escalation_board_idx"),
            models.Index(fields=["target_team", "status", "due_at"], name="escalation_team_idx"),
            models.Index(fields=["raised_by_vendor", "status"], name="escalation_vendor_idx"),
            models.Index(fields=["raised_by", "status"], name="escalation_raiser_idx"),
            models.Index(fields=["ticket", "created_at"], name="escalation_ticket_idx"),
            # The board's "closed in the last 7 days" column, most recent first.
            models.Index(F("closed_at").desc(), F("id").desc(), name="escalation_closed_idx",
                         condition=Q(closed_at__isnull=False)),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.get_severity_display()} {self.ticket_id} → {self.target_team_id}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_ESCALATION


OPEN_ESCALATION = (
    Escalation.Status.REQUESTED, Escalation.Status.ACCEPTED, Escalation.Status.IN_PROGRESS,
)  # fmt: skip


class EscalationNote(models.Model):
    """The thread between the agent who escalated and the team working it."""

    escalation = models.ForeignKey(Escalation, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                               blank=True, related_name="+")  # fmt: skip
    body = models.TextField(max_length=10_000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["escalation", "created_at"], name="escalation_note_idx")]

    def __str__(self) -> str:
        return f"note on {self.escalation_id}"


class Incident(models.Model):
    class Status(models.TextChoices):
        INVESTIGATING = "investigating", _("Investigating")
        IDENTIFIED = "identified", _("Identified")
        MONITORING = "monitoring", _("Monitoring")
        RESOLVED = "resolved", _("Resolved")

    title = models.CharField(_("title"), max_length=200)
    severity = models.PositiveSmallIntegerField(_("severity"), choices=Severity.choices)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices,
                              default=Status.INVESTIGATING)  # fmt: skip
    commander = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("commander"),
                                  on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="incidents_commanded")  # fmt: skip
    team = models.ForeignKey(Team, verbose_name=_("on-call team"), on_delete=models.SET_NULL,
                             null=True, blank=True, related_name="incidents")  # fmt: skip
    tickets: models.ManyToManyField[Ticket, IncidentTicket] = models.ManyToManyField(
        Ticket, through="IncidentTicket", related_name="incidents"
    )
    tracker_key = models.CharField(_("bug tracker key"), max_length=64, blank=True)
    tracker_url = models.URLField(_("bug tracker link"), max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, related_name="+")  # fmt: skip
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "-created_at"], name="incident_status_idx")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status != self.Status.RESOLVED


class IncidentTicket(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="links")
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="incident_links")
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                 null=True, related_name="+")  # fmt: skip
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["incident", "ticket"], name="incident_ticket_unique")
        ]
        indexes = [models.Index(fields=["ticket"], name="incident_ticket_ticket_idx")]

    def __str__(self) -> str:
        return f"{self.ticket_id} in {self.incident_id}"


class IncidentUpdate(models.Model):
    """The incident's timeline: status changes and posted updates."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="updates")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                               blank=True, related_name="+")  # fmt: skip
    status = models.CharField(max_length=16, choices=Incident.Status.choices)
    body = models.TextField(max_length=10_000)
    # How many linked requesters it was sent to as a public reply (0: internal only).
    sent_to = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"update on {self.incident_id}"


class Rotation(models.Model):
    """Who is on call for a team: members take turns, handing over at a set weekday and
    time in the rotation's time zone; overrides replace the turn for a while."""

    team = models.OneToOneField(Team, verbose_name=_("team"), on_delete=models.CASCADE,
                                related_name="rotation")  # fmt: skip
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC",
                                 validators=[validate_time_zone])  # fmt: skip
    handoff_weekday = models.PositiveSmallIntegerField(
        _("hand-off day"), default=0, choices=[(0, _("Monday")), (1, _("Tuesday")),
        (2, _("Wednesday")), (3, _("Thursday")), (4, _("Friday")), (5, _("Saturday")),
        (6, _("Sunday"))],
    )  # fmt: skip
    handoff_time = models.TimeField(_("hand-off time"), default="09:00")
    shift_days = models.PositiveSmallIntegerField(_("days per turn"), default=7)
    # The first hand-off: turns are counted from it.
    starts_on = models.DateField(_("first hand-off on"), default=timezone.localdate)
    repeat_minutes = models.PositiveSmallIntegerField(
        _("repeat an unacknowledged page after (minutes)"), default=5)  # fmt: skip
    repeats = models.PositiveSmallIntegerField(
        _("pages to one person before moving on"), default=3)  # fmt: skip
    webhook_url = models.URLField(_("webhook URL for pages"), max_length=500, blank=True)
    webhook_secret = models.CharField(max_length=128, blank=True, editable=False)

    class Meta:
        verbose_name = _("on-call rotation")
        verbose_name_plural = _("on-call rotations")

    def __str__(self) -> str:
        return str(self.team)


class RotationMember(models.Model):
    rotation = models.ForeignKey(Rotation, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="rotation_memberships")  # fmt: skip
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["rotation", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["rotation", "user"], name="rotation_member_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.rotation_id}"


class RotationOverride(models.Model):
    rotation = models.ForeignKey(Rotation, on_delete=models.CASCADE, related_name="overrides")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+")  # fmt: skip
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")),
                                   name="rotation_override_positive"),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.user_id} on call {self.starts_at:%Y-%m-%d %H:%M}"


def new_page_token() -> str:
    return secrets.token_urlsafe(24)


class Page(models.Model):
    """A call to the on-call person about a SEV1/SEV2 escalation or incident. Repeated
    until acknowledged, moving to the next person after ``rotation.repeats`` tries."""

    class Status(models.TextChoices):
        OPEN = "open", _("Waiting for acknowledgement")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        CANCELLED = "cancelled", _("Cancelled")

    rotation = models.ForeignKey(Rotation, on_delete=models.CASCADE, related_name="pages")
    escalation = models.ForeignKey(Escalation, on_delete=models.CASCADE, null=True,
                                   blank=True, related_name="pages")  # fmt: skip
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, null=True, blank=True,
                                 related_name="pages")  # fmt: skip
    severity = models.PositiveSmallIntegerField(choices=Severity.choices)
    summary = models.CharField(max_length=300)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    # The person being paged now, and how many times they have been.
    target = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                               related_name="pages")  # fmt: skip
    attempts = models.PositiveSmallIntegerField(default=0)
    # Members tried so far (the first is the one on call when it was opened).
    tried = ArrayField(models.PositiveIntegerField(), default=list, blank=True)
    next_action_at = models.DateTimeField(null=True, blank=True)
    token = models.CharField(max_length=64, unique=True, default=new_page_token)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                        null=True, blank=True, related_name="+")  # fmt: skip
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(escalation__isnull=False) | Q(incident__isnull=False),
                name="page_has_a_subject",
            ),
        ]
        indexes = [
            # The beat sweep: open pages whose next repeat is due.
            models.Index(fields=["next_action_at"], name="page_due_idx",
                         condition=Q(status="open")),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"page {self.pk} ({self.status})"
