"""Requesters, queues, tickets, their conversation, macros, the audit trail and the outbox."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Team, Vendor


class _Infinity(models.Func):
    """PostgreSQL's 'infinity' timestamp: later than every real due time."""

    template = "'infinity'::timestamptz"
    output_field = models.DateTimeField()

    def __init__(self) -> None:
        super().__init__()


def urgency() -> Coalesce:
    """The queue's first sort key: the next SLA target, tickets without one last."""
    return Coalesce("sla_due_at", _Infinity())


_REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I


def new_reference() -> str:
    """A public ticket reference: random (not sequential, not guessable), 10 symbols, ~50 bits."""
    return "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(10))


class Status(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("Open")
    PENDING = "pending", _("Pending")
    ON_HOLD = "on_hold", _("On hold")
    SOLVED = "solved", _("Solved")
    CLOSED = "closed", _("Closed")


ACTIVE_STATUSES = (Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD)
WORKABLE_STATUSES = (Status.NEW, Status.OPEN)
DONE_STATUSES = (Status.SOLVED, Status.CLOSED)


class Priority(models.IntegerChoices):
    # Lower sorts first: the queue shows the most urgent first.
    URGENT = 1, _("Urgent")
    HIGH = 2, _("High")
    NORMAL = 3, _("Normal")
    LOW = 4, _("Low")


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    WEB = "web", _("Help center")
    API = "api", _("In-app")
    CHAT = "chat", _("Chat")
    PHONE = "phone", _("Phone")


class RequesterQuerySet(models.QuerySet["Requester"]):
    def with_email(self, email: str) -> RequesterQuerySet:
        """Case-insensitive match through the lower(email) unique index (``iexact`` would
        compile to UPPER(), which no index serves)."""
        # The unique index is partial (non-empty emails): say so, or it is not used.
        return (
            self.alias(email_lower=Lower("email"))
            .filter(email_lower=email.strip().lower())
            .exclude(email="")
        )


class Requester(models.Model):
    """An end user who asks for help. Not a User: requesters never sign in here."""

    email = models.EmailField(_("email"), blank=True)
    name = models.CharField(_("name"), max_length=200, blank=True)
    external_id = models.CharField(_("external user id"), max_length=128, blank=True)
    language = models.CharField(_("language"), max_length=16, blank=True)
    region = models.CharField(_("region"), max_length=8, blank=True)
    is_high_profile = models.BooleanField(_("high profile"), default=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = RequesterQuerySet.as_manager()

    class Meta:
        verbose_name = _("requester")
        verbose_name_plural = _("requesters")
        constraints = [
            models.UniqueConstraint(
                Lower("email"), name="requester_email_ci_unique", condition=~Q(email="")
            ),
            models.UniqueConstraint(
                fields=["external_id"],
                name="requester_external_id_unique",
                condition=~Q(external_id=""),
            ),  # fmt: skip
            models.CheckConstraint(
                condition=~Q(email="") | ~Q(external_id=""), name="requester_has_an_identity"
            ),
        ]

    def __str__(self) -> str:
        return self.name or self.email or self.external_id


class Queue(models.Model):
    name = models.CharField(_("name"), max_length=120, unique=True)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    description = models.TextField(_("description"), blank=True)
    languages = ArrayField(
        models.CharField(max_length=16), verbose_name=_("languages"), default=list, blank=True
    )
    teams = models.ManyToManyField(
        Team, verbose_name=_("teams that may work it"), blank=True, related_name="queues"
    )
    vendors = models.ManyToManyField(
        Vendor, verbose_name=_("vendors that may work it"), blank=True, related_name="queues"
    )
    default_priority = models.PositiveSmallIntegerField(
        _("default priority"), choices=Priority.choices, default=Priority.NORMAL
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("queue")
        verbose_name_plural = _("queues")

    def __str__(self) -> str:
        return self.name


class Ticket(models.Model):
    reference = models.CharField(_("reference"), max_length=16, unique=True, default=new_reference)
    subject = models.CharField(_("subject"), max_length=250)
    requester = models.ForeignKey(
        Requester, verbose_name=_("requester"), on_delete=models.PROTECT, related_name="tickets"
    )
    queue = models.ForeignKey(
        Queue, verbose_name=_("queue"), on_delete=models.PROTECT, related_name="tickets"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.NEW
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.NORMAL
    )
    channel = models.CharField(
        _("channel"), max_length=16, choices=Channel.choices, default=Channel.WEB
    )
    language = models.CharField(_("language"), max_length=16, blank=True)
    category = models.CharField(_("category"), max_length=64, blank=True)
    tags = ArrayField(models.CharField(max_length=64), verbose_name=_("tags"), default=list,
                      blank=True)  # fmt: skip
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_tickets",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    first_reply_at = models.DateTimeField(_("first reply"), null=True, blank=True)
    solved_at = models.DateTimeField(_("solved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # The nearest SLA target; set by the SLA clocks. The queue sorts by it.
    sla_due_at = models.DateTimeField(_("next SLA target"), null=True, blank=True)
    merged_into = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="merged_tickets"
    )
    # Subject and every message body, maintained by the services.
    search_vector = SearchVectorField(null=True, editable=False)
    # Data sent by an in-app request (app version, device...), kept as given.
    metadata = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [
            # Active tickets in urgency order (queue views, filters, "next ticket").
            models.Index(
                urgency(),
                "priority", "created_at", "id",
                name="ticket_active_urgency_idx",
                condition=Q(status__in=ACTIVE_STATUSES),
            ),
            # One queue's active tickets, in urgency order.
            models.Index(
                "queue",
                urgency(),
                "priority", "created_at", "id",
                name="ticket_queue_urgency_idx",
                condition=Q(status__in=ACTIVE_STATUSES),
            ),
            # "My open tickets".
            models.Index(
                "assignee",
                urgency(),
                "priority", "created_at", "id",
                name="ticket_assignee_urgency_idx",
                condition=Q(status__in=ACTIVE_STATUSES, assignee__isnull=False),
            ),
            # Unassigned workable tickets ("next ticket", "unassigned in my queues").
            models.Index(
                urgency(),
                "priority", "created_at", "id",
                name="ticket_unassigned_urgency_idx",
                condition=Q(status__in=WORKABLE_STATUSES, assignee__isnull=True),
            ),
            # Recently solved.
            models.Index(
                F("solved_at").desc(), F("id").desc(),
                name="ticket_done_recent_idx",
                condition=Q(status__in=DONE_STATUSES),
            ),
            models.Index(fields=["requester", "-created_at"], name="ticket_requester_idx"),
            # Newest first: search results, and a walk that finds common words fast.
            models.Index(F("created_at").desc(), F("id").desc(), name="ticket_created_idx"),
            # Quiet solved tickets to auto-close.
            models.Index(fields=["solved_at"], name="ticket_solved_idx",
                         condition=Q(status=Status.SOLVED)),
            GinIndex(fields=["search_vector"], name="ticket_search_idx"),
            GinIndex(fields=["tags"], name="ticket_tags_idx"),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.reference} {self.subject}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class Message(models.Model):
    class Kind(models.TextChoices):
        PUBLIC = "public", _("Public reply")
        INTERNAL = "internal", _("Internal note")

    class Author(models.TextChoices):
        AGENT = "agent", _("Agent")
        REQUESTER = "requester", _("Requester")
        SYSTEM = "system", _("System")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.PUBLIC)
    author_type = models.CharField(max_length=16, choices=Author.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    # Plain text as typed or as extracted; rendered escaped, with line breaks.
    body = models.TextField()
    # Sanitised HTML (nh3) when the message came as HTML; never rendered unsanitised.
    body_html = models.TextField(blank=True)
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.WEB)
    # RFC 5322 Message-ID of an email we received or sent.
    channel_message_id = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["ticket", "created_at", "id"], name="message_ticket_idx"),
            models.Index(fields=["channel_message_id"], name="message_channel_id_idx",
                         condition=~Q(channel_message_id="")),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.ticket_id}"

    @property
    def is_internal(self) -> bool:
        return self.kind == self.Kind.INTERNAL


def attachment_path(instance: Attachment, filename: str) -> str:
    return f"attachments/{timezone.now():%Y/%m}/{secrets.token_hex(16)}"


class Attachment(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=255)
    filename = models.CharField(max_length=255)
    # Sniffed from the content, not taken from the sender.
    content_type = models.CharField(max_length=127)
    size = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.filename


class Macro(models.Model):
    """A canned reply with placeholders, per language, and actions to apply with it."""

    name = models.CharField(_("name"), max_length=120)
    language = models.CharField(_("language"), max_length=16, default="en")
    body = models.TextField(
        _("body"),
        help_text=_(
            "Placeholders: {requester_name}, {agent_name}, {ticket_reference}, {ticket_subject}."
        ),
    )
    set_status = models.CharField(
        _("set status"), max_length=16, choices=Status.choices, blank=True
    )
    set_priority = models.PositiveSmallIntegerField(
        _("set priority"), choices=Priority.choices, null=True, blank=True
    )
    add_tags = ArrayField(models.CharField(max_length=64), verbose_name=_("add tags"),
                          default=list, blank=True)  # fmt: skip
    set_queue = models.ForeignKey(
        Queue, verbose_name=_("move to queue"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    queues = models.ManyToManyField(
        Queue, verbose_name=_("available in queues"), blank=True, related_name="macros",
        help_text=_("Leave empty to offer it in every queue."),
    )  # fmt: skip
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name", "language"]
        constraints = [
            models.UniqueConstraint(fields=["name", "language"], name="macro_name_language_unique")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.language})"


class TicketLink(models.Model):
    """Two related tickets (e.g. the same problem reported twice by different people)."""

    from_ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links_out")
    to_ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links_in")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["from_ticket", "to_ticket"], name="ticket_link_unique"),
            models.CheckConstraint(condition=~Q(from_ticket=F("to_ticket")),
                                   name="ticket_link_not_self"),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.from_ticket_id} ~ {self.to_ticket_id}"


class Event(models.Model):
    """Append-only audit of every change to a ticket (a database trigger refuses edits)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    kind = models.CharField(max_length=40)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at", "id"], name="event_ticket_idx")]

    def __str__(self) -> str:
        return f"{self.kind} on {self.ticket_id}"


class Notification(models.Model):
    """The outbox: a side effect (email, webhook) written in the transaction that causes it
    and delivered after commit by a Celery task."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        WEBHOOK = "webhook", _("Webhook")

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed, will retry")
        DEAD = "dead", _("Dead")

    kind = models.CharField(max_length=40)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    recipient = models.CharField(max_length=512)
    subject = models.CharField(max_length=255, blank=True)
    body = models.TextField(blank=True)
    payload = models.JSONField(default=dict, blank=True)
    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    idempotency_key = models.CharField(max_length=64, unique=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["next_attempt_at"], name="notification_due_idx",
                         condition=Q(state__in=["queued", "failed"])),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.kind} to {self.recipient} ({self.state})"


class NotificationAttempt(models.Model):
    """The delivery log: one row per try to deliver a notification."""

    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="delivery_attempts"
    )
    attempted_at = models.DateTimeField(default=timezone.now)
    ok = models.BooleanField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["attempted_at", "id"]

    def __str__(self) -> str:
        return f"{'ok' if self.ok else 'failed'} {self.notification_id} at {self.attempted_at}"
