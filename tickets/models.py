"""Requesters, queues, tickets, their conversation, macros, the audit trail and the outbox."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Team, Vendor, validate_time_zone


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
        # The unique index is partial (non-empty emails of canonical records): say so,
        # or it is not used. Provisional identities (``provisional_of``) are not matched.
        return (
            self.alias(email_lower=Lower("email"))
            .filter(email_lower=email.strip().lower(), provisional_of__isnull=True)
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
    # An identity typed by a person who may not see the requester it matches: kept as
    # typed (never merged into the other record, whose details stay hidden from them)
    # and linked here for an admin to reconcile.
    provisional_of = models.ForeignKey(
        "self", verbose_name=_("may be the same person as"), on_delete=models.SET_NULL,
        null=True, blank=True, related_name="provisional_identities",
    )  # fmt: skip

    objects = RequesterQuerySet.as_manager()

    class Meta:
        verbose_name = _("requester")
        verbose_name_plural = _("requesters")
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                name="requester_email_ci_unique",
                condition=~Q(email="") & Q(provisional_of__isnull=True),
            ),
            models.UniqueConstraint(
                fields=["external_id"],
                name="requester_external_id_unique",
                condition=~Q(external_id="") & Q(provisional_of__isnull=True),
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
    default_sla_policy = models.ForeignKey(
        "SLAPolicy", verbose_name=_("default SLA policy"), on_delete=models.SET_NULL,
        null=True, blank=True, related_name="default_for_queues",
        help_text=_("Used when no SLA policy's conditions match a ticket."),
    )  # fmt: skip
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
    sla_warn_at = models.DateTimeField(_("SLA warning"), null=True, blank=True)
    sla_paused = models.BooleanField(_("SLA paused"), default=False)
    # A live target has passed (breached, or used up while paused): shown as a breach
    # whether the clock is running or paused.
    sla_breached = models.BooleanField(_("SLA breached"), default=False, db_default=False)
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
            # Pending tickets, most urgent first: their clocks are paused, so in the index
            # of every active ticket they sit after all the others.
            models.Index(
                urgency(),
                "priority", "created_at", "id",
                name="ticket_pending_urgency_idx",
                condition=Q(status=Status.PENDING),
            ),
            # Unassigned workable tickets ("next ticket", "unassigned in my queues").
            models.Index(
                urgency(),
                "priority", "created_at", "id",
                name="ticket_unassigned_urgency_idx",
                condition=Q(status__in=WORKABLE_STATUSES, assignee__isnull=True),
            ),
            # The queue's other sorts (newest or oldest first: one index read either way;
            # recently updated), for all active tickets, one queue's, and the unassigned
            # workable ones. "My open tickets" are few a person: ticket_assignee_urgency_idx
            # finds them and they are sorted in memory.
            models.Index(
                fields=["created_at", "id"], name="ticket_active_created_idx",
                condition=Q(status__in=ACTIVE_STATUSES),
            ),
            models.Index(
                fields=["queue", "created_at", "id"], name="ticket_queue_created_idx",
                condition=Q(status__in=ACTIVE_STATUSES),
            ),
            models.Index(
                fields=["created_at", "id"], name="ticket_unassigned_created_idx",
                condition=Q(status__in=WORKABLE_STATUSES, assignee__isnull=True),
            ),
            models.Index(
                fields=["updated_at", "id"], name="ticket_active_updated_idx",
                condition=Q(status__in=ACTIVE_STATUSES),
            ),
            models.Index(
                fields=["queue", "updated_at", "id"], name="ticket_queue_updated_idx",
                condition=Q(status__in=ACTIVE_STATUSES),
            ),
            models.Index(
                fields=["updated_at", "id"], name="ticket_unassigned_updated_idx",
                condition=Q(status__in=WORKABLE_STATUSES, assignee__isnull=True),
            ),
            # Recently solved.
            models.Index(
                F("solved_at").desc(), F("id").desc(),
                name="ticket_done_recent_idx",
                condition=Q(status__in=DONE_STATUSES),
            ),
            # The shared queue counts (beat, every few seconds) read only these two
            # small covering indexes: a scan of the whole table took both cores for a
            # quarter of a second at a million tickets.
            models.Index(
                fields=["queue"], include=["status", "assignee"], name="ticket_active_counts_idx",
                condition=Q(status__in=ACTIVE_STATUSES),
            ),
            models.Index(
                fields=["solved_at"], include=["queue"], name="ticket_done_counts_idx",
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
    # The requester this message was from or to, when that is not the ticket's own
    # requester (a merge moved it from another person's ticket). Null: the ticket's
    # requester. A requester's page and emails never show another person's messages.
    origin_requester = models.ForeignKey(
        Requester, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Not a column: set by selectors.ticket_conversation.
    files: list[Attachment]

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
    # A webhook's receiver; its URL and secret are read when it is delivered.
    vendor = models.ForeignKey(
        Vendor, on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    idempotency_key = models.CharField(max_length=64, unique=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    # When the row was last handed to the broker. The sweep hands a due row over again
    # only after NOTIFICATION_REENQUEUE_SECONDS (its task may still be waiting in the
    # queue); a failure or a reclaimed send clears it so the retry goes out on time.
    enqueued_at = models.DateTimeField(default=timezone.now, null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Email only: the From it goes out with (the queue's mailbox; blank = the default),
    # its HTML part, and the Message-ID it was sent with (so a reply to it threads).
    from_email = models.CharField(max_length=320, blank=True)
    body_html = models.TextField(blank=True)
    sent_message_id = models.CharField(max_length=255, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["next_attempt_at"], name="notification_due_idx",
                         condition=Q(state__in=["queued", "failed"])),
            # Per-sender throttling of automatic acknowledgements.
            models.Index(fields=["recipient", "created_at"], name="notification_ack_idx",
                         condition=Q(kind__in=["email_ack", "help_center_ack"])),
            models.Index(fields=["sent_message_id"], name="notification_sent_id_idx",
                         condition=~Q(sent_message_id="")),
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


# --------------------------------------------------------------------- SLA


class BusinessCalendar(models.Model):
    """When the SLA clock runs: always, or on business hours in the calendar's own time zone,
    less public holidays (from the ``holidays`` package) and custom closed dates."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC",
                                 validators=[validate_time_zone])  # fmt: skip
    always_open = models.BooleanField(
        _("open 24/7"), default=False,
        help_text=_("When set, business hours and holidays are ignored."),
    )  # fmt: skip
    holiday_country = models.CharField(
        _("public holidays of"), max_length=8, blank=True,
        help_text=_("ISO country code, e.g. US, DE, PH. Leave empty for none."),
    )  # fmt: skip
    holiday_subdivision = models.CharField(
        _("region"), max_length=16, blank=True,
        help_text=_("Optional subdivision code, e.g. CA for California."),
    )  # fmt: skip
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")

    def __str__(self) -> str:
        return self.name


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class BusinessHours(models.Model):
    """One open period on a weekday, in local time; ``closes`` at 00:00 means midnight."""

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="hours")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    class Meta:
        ordering = ["weekday", "opens"]
        verbose_name = _("business hours")
        verbose_name_plural = _("business hours")

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"


class CalendarHoliday(models.Model):
    """A custom closed date (a company holiday), on top of the country's public holidays."""

    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="custom_holidays"
    )
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=120, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("custom holiday")
        verbose_name_plural = _("custom holidays")
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="holiday_unique_date"),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class SLAAction(models.TextChoices):
    NOTIFY_ASSIGNEE = "notify_assignee", _("Notify the assignee")
    NOTIFY_LEAD = "notify_lead", _("Notify the team lead")
    NOTIFY_VENDOR = "notify_vendor", _("Notify the vendor partner")
    RAISE_PRIORITY = "raise_priority", _("Raise priority")
    ESCALATE = "escalate", _("Escalate")


class SLAPolicy(models.Model):
    """Targets per priority, applied to the tickets it matches. Policies are tried in
    ``position`` order and the first that matches wins; an empty condition matches all."""

    class HighProfile(models.TextChoices):
        ANY = "any", _("Any requester")
        YES = "yes", _("High-profile requesters only")
        NO = "no", _("Other requesters only")

    name = models.CharField(_("name"), max_length=120, unique=True)
    position = models.PositiveIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)
    calendar = models.ForeignKey(
        BusinessCalendar, verbose_name=_("calendar"), on_delete=models.PROTECT,
        related_name="policies",
    )  # fmt: skip
    queues = models.ManyToManyField(
        Queue, verbose_name=_("queues"), blank=True, related_name="sla_policies",
        help_text=_("Empty: any queue."),
    )  # fmt: skip
    priorities = ArrayField(
        models.PositiveSmallIntegerField(choices=Priority.choices), verbose_name=_("priorities"),
        default=list, blank=True, help_text=_("Empty: any priority."),
    )  # fmt: skip
    channels = ArrayField(
        models.CharField(max_length=16, choices=Channel.choices), verbose_name=_("channels"),
        default=list, blank=True, help_text=_("Empty: any channel."),
    )  # fmt: skip
    high_profile = models.CharField(
        _("requesters"), max_length=8, choices=HighProfile.choices, default=HighProfile.ANY
    )
    warn_at_percent = models.PositiveSmallIntegerField(
        # xgettext:no-python-format
        _("warn at (% of target)"), default=75,
        validators=[MinValueValidator(1), MaxValueValidator(99)],
    )  # fmt: skip
    warning_actions = ArrayField(
        models.CharField(max_length=32, choices=SLAAction.choices),
        verbose_name=_("on warning"), default=list, blank=True,
    )  # fmt: skip
    breach_actions = ArrayField(
        models.CharField(max_length=32, choices=SLAAction.choices),
        verbose_name=_("on breach"), default=list, blank=True,
    )  # fmt: skip

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")

    def __str__(self) -> str:
        return self.name


class SLAMetric(models.TextChoices):
    FIRST_REPLY = "first_reply", _("First reply")
    NEXT_REPLY = "next_reply", _("Next reply")
    RESOLUTION = "resolution", _("Resolution")


# The targets that may be set in seconds (a chat's replies); resolution stays in minutes.
SECONDS_METRICS = (SLAMetric.FIRST_REPLY.value, SLAMetric.NEXT_REPLY.value)


class SLATarget(models.Model):
    """A policy's targets for one priority, in business minutes (empty: no target). The
    reply targets may be set in business seconds instead (a live chat's first reply in
    60 s): then the minutes stay empty."""

    policy = models.ForeignKey(SLAPolicy, on_delete=models.CASCADE, related_name="targets")
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices)
    first_reply_minutes = models.PositiveIntegerField(_("first reply (min)"), null=True,
                                                      blank=True)  # fmt: skip
    first_reply_seconds = models.PositiveIntegerField(
        _("first reply (s)"), null=True, blank=True, validators=[MinValueValidator(1)],
        help_text=_("Instead of minutes, for live chat."),
    )  # fmt: skip
    next_reply_minutes = models.PositiveIntegerField(_("next reply (min)"), null=True,
                                                     blank=True)  # fmt: skip
    next_reply_seconds = models.PositiveIntegerField(
        _("next reply (s)"), null=True, blank=True, validators=[MinValueValidator(1)],
        help_text=_("Instead of minutes, for live chat."),
    )  # fmt: skip
    resolution_minutes = models.PositiveIntegerField(_("resolution (min)"), null=True,
                                                     blank=True)  # fmt: skip

    class Meta:
        ordering = ["priority"]
        verbose_name = _("SLA target")
        verbose_name_plural = _("SLA targets")
        constraints = [
            models.UniqueConstraint(fields=["policy", "priority"], name="sla_target_unique"),
            *(
                models.CheckConstraint(
                    condition=Q(**{f"{metric}_seconds__isnull": True})
                    | Q(**{f"{metric}_minutes__isnull": True, f"{metric}_seconds__gt": 0}),
                    name=f"sla_target_{metric}_one_unit",
                )
                for metric in SECONDS_METRICS
            ),
        ]

    def __str__(self) -> str:
        return f"{self.policy} · {self.get_priority_display()}"

    def clean(self) -> None:
        errors = {
            f"{metric}_seconds": _("Set this target in minutes or in seconds, not both.")
            for metric in SECONDS_METRICS
            if getattr(self, f"{metric}_minutes") is not None
            and getattr(self, f"{metric}_seconds") is not None
        }
        if errors:
            raise ValidationError(errors)

    def seconds_for(self, metric: str) -> int | None:
        """The target in business seconds (None: no target); one set in seconds wins."""
        seconds = getattr(self, f"{metric}_seconds", None)
        if seconds is not None:
            return seconds
        minutes = getattr(self, f"{metric}_minutes")
        return None if minutes is None else minutes * 60


class SLAClock(models.Model):
    """One target on one ticket. While running, ``due_at``/``warn_at`` are set and
    ``next_check_at`` holds the next moment the sweep must act (warning, then breach);
    paused or stopped clocks have none. ``used_seconds`` counts business time spent
    before ``running_since``."""

    class State(models.TextChoices):
        RUNNING = "running", _("Running")
        PAUSED = "paused", _("Paused")
        MET = "met", _("Met")
        MISSED = "missed", _("Missed")
        CANCELLED = "cancelled", _("Cancelled")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="sla_clocks")
    policy = models.ForeignKey(SLAPolicy, on_delete=models.PROTECT, related_name="clocks")
    metric = models.CharField(max_length=16, choices=SLAMetric.choices)
    state = models.CharField(max_length=16, choices=State.choices, default=State.RUNNING)
    target_seconds = models.PositiveIntegerField()
    warn_seconds = models.PositiveIntegerField()
    started_at = models.DateTimeField(default=timezone.now)
    running_since = models.DateTimeField(null=True, blank=True)
    used_seconds = models.FloatField(default=0)
    due_at = models.DateTimeField(null=True, blank=True)
    warn_at = models.DateTimeField(null=True, blank=True)
    next_check_at = models.DateTimeField(null=True, blank=True)
    warned_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("SLA clock")
        verbose_name_plural = _("SLA clocks")
        indexes = [
            # The sweep's range scan: only clocks with something still to fire.
            models.Index(fields=["next_check_at"], name="sla_clock_next_check_idx",
                         condition=Q(next_check_at__isnull=False)),
            models.Index(fields=["ticket", "state"], name="sla_clock_ticket_idx"),
            # Recomputing after a calendar or policy change.
            models.Index(fields=["policy"], name="sla_clock_live_policy_idx",
                         condition=Q(state__in=["running", "paused"])),
        ]  # fmt: skip
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "metric"], name="sla_clock_one_live_per_metric",
                condition=Q(state__in=["running", "paused"]),
            ),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.metric} on {self.ticket_id} ({self.state})"


class ConfigEvent(models.Model):
    """Audit of admins' changes to ticket settings: calendars, SLA policies, queues."""

    action = models.CharField(max_length=40)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="+")  # fmt: skip
    target_type = models.CharField(max_length=40)
    target_id = models.BigIntegerField()
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.action} {self.target_type}#{self.target_id}"


class InboundEmail(models.Model):
    """Every email we receive, kept raw with what became of it. One that cannot be read
    waits in quarantine, with the reason, for an admin to retry or discard."""

    class Source(models.TextChoices):
        PIPE = "pipe", _("MTA pipe or file")
        IMAP = "imap", _("IMAP mailbox")
        WEBHOOK = "webhook", _("Webhook")

    class Outcome(models.TextChoices):
        NEW_TICKET = "new_ticket", _("New ticket")
        REPLY = "reply", _("Reply on a ticket")
        IGNORED = "ignored", _("Ignored (automatic mail or our own)")
        DUPLICATE = "duplicate", _("Duplicate")
        QUARANTINED = "quarantined", _("Quarantined")
        DISCARDED = "discarded", _("Discarded by an admin")

    raw = models.BinaryField()
    size = models.PositiveIntegerField(default=0)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.PIPE)
    message_id = models.CharField(max_length=255, blank=True)
    from_address = models.CharField(max_length=320, blank=True)
    subject = models.CharField(max_length=255, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    reason = models.TextField(blank=True)
    ticket = models.ForeignKey(Ticket, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="inbound_emails")  # fmt: skip
    # The conversation message it became (the first message of a new ticket, or a reply).
    created_message = models.ForeignKey(Message, on_delete=models.SET_NULL, null=True,
                                        blank=True, related_name="+")  # fmt: skip
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["message_id"], name="inbound_message_id_idx",
                         condition=~Q(message_id="")),
            models.Index(fields=["outcome", "-received_at"], name="inbound_outcome_idx"),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.from_address}: {self.subject} ({self.outcome})"


def new_app_key() -> str:
    return "hdk_" + secrets.token_urlsafe(32)


class AppClient(models.Model):
    """A mobile or web app that files in-app requests through the API with its own key.
    Only a hash of the key is stored; the key is shown once, when it is made."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    queue = models.ForeignKey(Queue, verbose_name=_("queue for its requests"),
                              on_delete=models.PROTECT, related_name="+")  # fmt: skip
    key_prefix = models.CharField(max_length=12, editable=False, db_index=True)
    key_hash = models.CharField(max_length=64, editable=False, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("in-app client")
        verbose_name_plural = _("in-app clients")

    def __str__(self) -> str:
        return self.name


class Mailbox(models.Model):
    """A support address of a queue. Mail to it opens tickets in that queue, mail to the
    queue's requesters goes out from it, and, when IMAP settings are given, a beat task
    polls the mailbox (a message is moved or flagged only once its ticket is committed)."""

    class Security(models.TextChoices):
        SSL = "ssl", _("TLS (IMAPS, usually port 993)")
        STARTTLS = "starttls", _("STARTTLS (usually port 143)")
        NONE = "none", _("None (local test servers only)")

    class AfterImport(models.TextChoices):
        MOVE = "move", _("Move to the processed folder")
        FLAG = "flag", _("Mark as read and leave in place")

    queue = models.ForeignKey(Queue, verbose_name=_("queue"), on_delete=models.PROTECT,
                              related_name="mailboxes")  # fmt: skip
    address = models.EmailField(_("address"), unique=True)
    from_name = models.CharField(
        _("sender name"), max_length=120, blank=True,
        help_text=_("Shown as the sender of mail from this queue; the queue's name if blank."),
    )  # fmt: skip
    send_acknowledgement = models.BooleanField(
        _("acknowledge new requests"), default=True,
        help_text=_("Email the requester a receipt for each new ticket (never for automatic "
                    "mail, and at most EMAIL_ACK_LIMIT per sender per EMAIL_ACK_WINDOW)."),
    )  # fmt: skip
    imap_host = models.CharField(
        _("IMAP host"), max_length=255, blank=True,
        help_text=_("Leave blank when mail arrives by MTA pipe or webhook instead."),
    )  # fmt: skip
    imap_port = models.PositiveIntegerField(_("IMAP port"), default=993)
    imap_security = models.CharField(_("IMAP security"), max_length=16,
                                     choices=Security.choices, default=Security.SSL)  # fmt: skip
    imap_username = models.CharField(_("IMAP user name"), max_length=255, blank=True)
    imap_password = models.CharField(_("IMAP password"), max_length=255, blank=True)
    imap_folder = models.CharField(_("folder to read"), max_length=255, default="INBOX")
    after_import = models.CharField(_("after import"), max_length=8,
                                    choices=AfterImport.choices,
                                    default=AfterImport.MOVE)  # fmt: skip
    processed_folder = models.CharField(_("processed folder"), max_length=255,
                                        default="Processed")  # fmt: skip
    is_active = models.BooleanField(_("active"), default=True)
    last_polled_at = models.DateTimeField(_("last polled"), null=True, blank=True,
                                          editable=False)  # fmt: skip
    last_error = models.TextField(_("last error"), blank=True, editable=False)

    class Meta:
        ordering = ["address"]
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")

    def __str__(self) -> str:
        return self.address

    @property
    def polls(self) -> bool:
        return bool(self.is_active and self.imap_host and self.imap_username)


class EmailRoute(models.Model):
    """A routing rule for new tickets from email, tried in order before the mailbox's own
    queue: the first rule whose text is found in the chosen field decides the queue."""

    class Field(models.TextChoices):
        FROM = "from", _("Sender address")
        TO = "to", _("Recipient addresses (To, Cc)")
        SUBJECT = "subject", _("Subject")
        BODY = "body", _("Text")

    position = models.PositiveIntegerField(_("order"), default=0)
    field = models.CharField(_("field"), max_length=8, choices=Field.choices)
    contains = models.CharField(
        _("contains"), max_length=200,
        help_text=_("Case-insensitive text to look for, e.g. @bank.example or 'chargeback'."),
    )  # fmt: skip
    queue = models.ForeignKey(Queue, verbose_name=_("queue"), on_delete=models.CASCADE,
                              related_name="email_routes")  # fmt: skip
    category = models.CharField(_("category"), max_length=60, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("email routing rule")
        verbose_name_plural = _("email routing rules")

    def __str__(self) -> str:
        return f"{self.get_field_display()} ∋ {self.contains} → {self.queue}"


class ConfigVersion(models.Model):
    """One row whose number database triggers advance (from a sequence, so a rolled-back
    change never reuses one) on any write to configuration that processes cache: SLA
    policies and their targets, calendars, escalation reasons, teams. A process keeps
    what it read with the number it read it at, and reloads when the number moves."""

    version = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"configuration version {self.version}"


class SavedView(models.Model):
    """A queue view someone saved: the filters and sort as a query string. A lead may
    share theirs with their team; everyone else's are their own."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"),
                              on_delete=models.CASCADE, related_name="saved_views")  # fmt: skip
    name = models.CharField(_("name"), max_length=80)
    query = models.CharField(_("filters"), max_length=1000, blank=True)
    shared_with_team = models.ForeignKey(
        Team, verbose_name=_("shared with team"), on_delete=models.SET_NULL, null=True,
        blank=True, related_name="shared_views",
    )  # fmt: skip
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="saved_view_owner_name_unique"),
        ]
        indexes = [
            models.Index(fields=["shared_with_team"], name="saved_view_team_idx",
                         condition=Q(shared_with_team__isnull=False)),
        ]  # fmt: skip

    def __str__(self) -> str:
        return self.name


class QueueCounter(models.TextChoices):
    """What the queue sidebar counts per queue (tickets.counts)."""

    # Not shown to anyone: no translated labels.
    ACTIVE = "active"
    UNASSIGNED = "unassigned"  # new or open, nobody assigned
    PENDING = "pending"
    SOLVED = "solved"  # solved or closed, per hour of solved_at


class QueueCount(models.Model):
    """A queue's count of one kind, kept up to date from the ticket changes themselves
    (tickets.counts). "Solved" is kept per hour of ``solved_at`` (hours since the Unix
    epoch), so "recently solved" is a sum of the hours inside its window; the other
    counters have no hour."""

    # No foreign-key constraints: a count for a queue that is gone is harmless (nobody
    # reads it) and the periodic recount drops it; a constraint would cost every write.
    queue = models.ForeignKey(Queue, on_delete=models.DO_NOTHING, db_constraint=False,
                              db_index=False, related_name="+")  # fmt: skip
    counter = models.CharField(max_length=16, choices=QueueCounter.choices)
    hour = models.BigIntegerField(null=True, blank=True)
    n = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["queue", "counter", "hour"], nulls_distinct=False,
                                    name="queue_count_unique"),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.queue_id} {self.counter} {self.hour or ''}: {self.n}"


class QueueCountDelta(models.Model):
    """A signed change to a ``QueueCount``, written by database triggers on
    ``tickets_ticket`` in the transaction that changed the ticket (so no path, bulk
    UPDATEs and COPY included, can miss one), and folded into the counts by beat.
    Appending rather than updating the count row keeps concurrent writers of one queue
    from queueing on its row lock."""

    queue = models.ForeignKey(Queue, on_delete=models.DO_NOTHING, db_constraint=False,
                              db_index=False, related_name="+")  # fmt: skip
    counter = models.CharField(max_length=16, choices=QueueCounter.choices)
    hour = models.BigIntegerField(null=True, blank=True)
    n = models.BigIntegerField()

    def __str__(self) -> str:
        return f"{self.queue_id} {self.counter} {self.hour or ''}: {self.n:+d}"
