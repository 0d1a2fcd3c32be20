"""Live chat: agents' statuses and capacity, and chats (each one a ticket)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

# The statuses every organisation has; admins add their own (training, meeting…).
ONLINE, AWAY, BREAK, WELLNESS, OFFLINE = "online", "away", "break", "wellness", "offline"
BUILTIN_LABELS = {
    ONLINE: _("Online"),
    AWAY: _("Away"),
    BREAK: _("On break"),
    WELLNESS: _("Wellness break"),
    OFFLINE: _("Offline"),
}


class AgentStatus(models.Model):
    """A status an agent can be in; ``available`` ones take chats and "next ticket"."""

    key = models.SlugField(_("key"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=60)
    available = models.BooleanField(
        _("available"), default=False,
        help_text=_("Agents in this status are offered chats and may take the next ticket."),
    )  # fmt: skip
    builtin = models.BooleanField(default=False, editable=False)
    position = models.PositiveSmallIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("agent status")
        verbose_name_plural = _("agent statuses")

    def __str__(self) -> str:
        return str(self.label)

    @property
    def label(self) -> str:
        """The built-in statuses in the reader's language; the others as the admin named them."""
        return str(BUILTIN_LABELS[self.key]) if self.builtin else self.name


class AgentState(models.Model):
    """Where an agent is now: status, last sign of life, chat limit, last chat."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                primary_key=True, related_name="chat_state")  # fmt: skip
    status = models.ForeignKey(AgentStatus, on_delete=models.PROTECT, related_name="+")
    since = models.DateTimeField()
    last_seen = models.DateTimeField(null=True, blank=True)
    chat_limit = models.PositiveSmallIntegerField(
        _("conversation limit"), default=3, validators=[MinValueValidator(1), MaxValueValidator(6)],
        help_text=_("How much work at once (a chat counts 1; other channels by their weight)."),
    )  # fmt: skip
    last_chat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("agent state")
        verbose_name_plural = _("agent states")
        indexes = [models.Index(fields=["status", "last_chat_at"], name="chat_state_status_idx")]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.status_id}"


class StatusChange(models.Model):
    """Every change of an agent's status, with its time (append-only: reports of handled
    time read it later)."""

    class Reason(models.TextChoices):
        SET = "set", _("Set by the agent")
        INACTIVE = "inactive", _("Inactive")
        SILENT = "silent", _("Connection lost")
        SIGNED_OUT = "signed_out", _("Signed out")
        ADMIN = "admin", _("Set by a lead")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    status = models.ForeignKey(AgentStatus, on_delete=models.PROTECT, related_name="+")
    previous = models.ForeignKey(AgentStatus, on_delete=models.PROTECT, related_name="+",
                                 null=True)  # fmt: skip
    reason = models.CharField(max_length=16, choices=Reason.choices)
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["user", "at"], name="chat_status_change_idx")]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.status_id} at {self.at:%Y-%m-%d %H:%M:%S}"


def line_topic(queue_id: int) -> str:
    """The push topic of a chat queue's line (``chat.services`` nudges it when it moves)."""
    return f"line:{queue_id}"


class Chat(models.Model):
    """A live conversation with a requester; its transcript is its ticket's messages."""

    class State(models.TextChoices):
        WAITING = "waiting", _("Waiting")
        OFFERED = "offered", _("Offered")
        ACTIVE = "active", _("Active")
        ENDED = "ended", _("Ended")
        LEFT_MESSAGE = "left_message", _("Left a message")

    class Ended(models.TextChoices):
        AGENT = "agent", _("By the agent")
        REQUESTER = "requester", _("By the requester")
        IDLE = "idle", _("Requester idle")

    LIVE = (State.WAITING, State.OFFERED, State.ACTIVE)
    IN_LINE = (State.WAITING, State.OFFERED)

    ticket = models.OneToOneField("tickets.Ticket", on_delete=models.CASCADE, related_name="chat")
    # sha256 of the requester's token: the token itself is only ever in their browser.
    token_hash = models.CharField(max_length=64, unique=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.WAITING)
    language = models.CharField(max_length=16, blank=True)
    queue = models.ForeignKey("tickets.Queue", on_delete=models.PROTECT, related_name="+")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")  # fmt: skip
    offered_to = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")  # fmt: skip
    offer_expires_at = models.DateTimeField(null=True, blank=True)
    # Agents who let this chat's offer go (declined or ran out), and when the last did:
    # they are skipped until CHAT_REOFFER_SECONDS after that, then a new round begins.
    passed_over = ArrayField(models.BigIntegerField(), default=list, blank=True)
    passed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.CharField(max_length=16, choices=Ended.choices, blank=True)
    requester_active_at = models.DateTimeField()
    reminded_at = models.DateTimeField(null=True, blank=True)
    origin = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("chat")
        verbose_name_plural = _("chats")
        indexes = [
            # The line: chats waiting or offered, oldest first.
            models.Index(fields=["queue", "created_at"], name="chat_line_idx",
                         condition=Q(state__in=["waiting", "offered"])),
            models.Index(fields=["offer_expires_at"], name="chat_offer_due_idx",
                         condition=Q(state="offered")),
            models.Index(fields=["agent", "state"], name="chat_agent_idx",
                         condition=Q(state="active")),
            models.Index(fields=["requester_active_at"], name="chat_idle_idx",
                         condition=Q(state="active")),
            models.Index(fields=["queue", "-accepted_at"], name="chat_accepted_idx",
                         condition=Q(accepted_at__isnull=False)),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"chat {self.pk} ({self.state})"

    @property
    def topic(self) -> str:
        return f"chat:{self.pk}"

    @property
    def line_topic(self) -> str:
        """Its queue's line: "someone ahead left it" (read while the chat is in line)."""
        return line_topic(self.queue_id)

    @property
    def live(self) -> bool:
        return self.state in self.LIVE


class TicketEventKind(models.TextChoices):
    """What chat records on a ticket's timeline (registered with ``tickets.events``)."""

    OFFERED = "chat_offered"
    PASSED = "chat_passed"
    ACCEPTED = "chat_accepted"
    TRANSFERRED = "chat_transferred"
    ENDED = "chat_ended"
    LEFT_MESSAGE = "chat_left_message"
    IDLE_REMINDER = "chat_idle_reminder"
