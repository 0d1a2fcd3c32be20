"""Reads for chat: who sees which chat (one scoping function), the line, the transcript."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from statistics import median
from typing import NamedTuple

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from chat import agents
from chat.models import Chat
from core.errors import NotFound
from tickets import selectors as ticket_selectors
from tickets.models import Attachment, Message, Queue, SLAPolicy
from tickets.sla import services as sla

# With no history yet, a place in line is guessed at this many seconds.
DEFAULT_SECONDS_PER_PLACE = 60


def transfer_agents(user: User, chat: Chat) -> list[User]:
    """Whom this person may hand the chat to. A lead or an admin: anyone they may see who
    works the chat's queue. An agent sees only themselves among people (``visible_users``),
    so an agent is offered the colleagues who could take this chat now (available, granted
    its queue, speaking its language) on their own side: their vendor's people, or the
    in-house ones."""
    if user.is_admin or user.is_lead:
        people = ticket_selectors.assignable_agents(user, chat.queue).exclude(pk=user.pk)
        return list(people)
    ready = agents.available_agents(chat.queue_id, chat.language, exclude=[user.pk])
    vendor_id = user.team.vendor_id if user.team else None
    side = Q(team__vendor_id=vendor_id) if vendor_id else Q(team__vendor__isnull=True)
    people = User.objects.filter(side, pk__in=[c.user_id for c in ready], is_active=True)
    return list(people.order_by("full_name"))


def visible_chats(user: User) -> QuerySet[Chat]:
    """The chats this person may see: those whose tickets they may see (the tickets'
    scoping decides, so a chat moved to a queue they do not work leaves their view)."""
    return Chat.objects.filter(ticket__in=ticket_selectors.visible_tickets(user))


def get_chat_for(user: User, pk: int) -> Chat:
    """The chat if this person may see it. Only its ticket comes with it: every sent line
    and stream opening asks, and the services lock and read the chat again anyway
    (in the chat bench, building the query with four tables' columns took a seventh of
    the web server's CPU)."""
    chat = (visible_chats(user).select_related("ticket").defer("ticket__search_vector")
            .filter(pk=pk).first())  # fmt: skip
    if chat is None:
        raise NotFound("No such chat.")
    return chat


def place_in_line(chat: Chat) -> int:
    """1 for the next chat to be answered in its queue; 0 when not in line."""
    if chat.state not in Chat.IN_LINE:
        return 0
    ahead = Chat.objects.filter(queue_id=chat.queue_id, state__in=Chat.IN_LINE,
                                created_at__lt=chat.created_at).count()  # fmt: skip
    return ahead + 1


def seconds_per_place(queue_id: int) -> float:
    """The median wait of the queue's last 20 answered chats (the line's pace)."""
    recent = list(
        Chat.objects.filter(queue_id=queue_id, accepted_at__isnull=False)
        .order_by("-accepted_at")
        .values_list("created_at", "accepted_at")[:20]
    )
    if not recent:
        return DEFAULT_SECONDS_PER_PLACE
    return max(
        5.0,
        median(
            (accepted - created).total_seconds()
            for created, accepted in recent
            if accepted is not None
        ),
    )


def _policy_for(queue: Queue) -> SLAPolicy | None:
    for policy in sla.active_policies():
        queue_ids = {q.pk for q in policy.queues.all()}
        if (not queue_ids or queue.pk in queue_ids) and (
                not policy.channels or "chat" in policy.channels):  # fmt: skip
            return policy
    return queue.default_sla_policy


def is_open(queue: Queue, now: datetime | None = None) -> bool:
    """The chat queue is open now on its SLA policy's business calendar (always, without
    one)."""
    policy = _policy_for(queue)
    if policy is None or policy.calendar_id is None:
        return True
    now = now or timezone.now()
    schedule = sla.schedule_for(policy.calendar)
    return schedule.between(now, now + timedelta(seconds=1)) > 0


class LineView(NamedTuple):
    """What a requester in line is told: their place (0: not in line), the expected wait
    in seconds, and why they are offered to leave a message instead ("" when not)."""

    place: int
    wait_seconds: int
    fallback: str


def line_view(chat: Chat) -> LineView:
    """The chat's place, wait and fallback, each counted once (the widget asks for them on
    every move of the line)."""
    place = place_in_line(chat)
    if not place:
        return LineView(0, 0, "")
    wait = place * seconds_per_place(chat.queue_id)
    return LineView(place, int(wait), _fallback(chat.queue, chat.language, chat=chat,
                                                line=lambda: (place, wait)))  # fmt: skip


def fallback_reason(queue: Queue, language: str = "") -> str:
    """Why someone about to start a chat is offered to leave a message instead ("" when
    the chat can go on)."""

    def line() -> tuple[int, float]:
        place = Chat.objects.filter(queue_id=queue.pk, state__in=Chat.IN_LINE).count() + 1
        return place, place * seconds_per_place(queue.pk)

    return _fallback(queue, language, chat=None, line=line)


def _fallback(queue: Queue, language: str, *, chat: Chat | None,
              line: Callable[[], tuple[int, float]]) -> str:  # fmt: skip
    """Closed, nobody available with the language, the line too long, or the wait.
    ``line`` gives the place and wait, asked only when the queue is open with someone
    available."""
    if not is_open(queue):
        return "closed"
    # A chat offered to someone has someone available.
    offered = chat is not None and chat.state == Chat.State.OFFERED
    if not offered and not agents.anyone_available(queue.pk, language):
        return "nobody"
    place, wait = line()
    if place > settings.CHAT_MAX_LINE:
        return "line"
    if wait > settings.CHAT_MAX_WAIT_SECONDS:
        return "wait"
    return ""


def transcript(chat: Chat, *, after: int = 0, limit: int = 200) -> list[Message]:
    """The chat's public messages after message id ``after``, in order."""
    return list(Message.objects.filter(ticket_id=chat.ticket_id, kind=Message.Kind.PUBLIC,
                                       pk__gt=after)
                .select_related("author").prefetch_related("attachments")
                .order_by("id")[:limit])  # fmt: skip


def chat_file(chat: Chat, pk: int) -> Attachment:
    """A file of the chat's conversation (its public messages), for its requester."""
    try:
        return Attachment.objects.get(pk=pk, message__ticket_id=chat.ticket_id,
                                      message__kind=Message.Kind.PUBLIC)  # fmt: skip
    except Attachment.DoesNotExist:
        raise NotFound(_("No such file in this chat.")) from None


def _mine(user: User) -> Q:
    return Q(state=Chat.State.ACTIVE, agent=user) | Q(state=Chat.State.OFFERED, offered_to=user)


def my_chats(user: User) -> list[Chat]:
    """The agent's live chats, and what is offered to them. Every stream a page of theirs
    opens asks, and most of the time there are none: a query on the chats' own table (by
    its agent and offered_to indexes) says so first, cheaper than the scoped query with
    its joins (2-3 ms of the push server's CPU per stream opening, bench/stream_cpu.py)."""
    if not Chat.objects.filter(_mine(user)).exists():
        return []
    return list(
        visible_chats(user)
        .filter(_mine(user))
        .select_related("ticket", "ticket__requester")
        .order_by("created_at")
    )


def line(user: User, limit: int = 50) -> list[Chat]:
    """Chats in line in the queues this person sees, oldest first."""
    return list(visible_chats(user).filter(state__in=Chat.IN_LINE)
                .select_related("ticket", "ticket__requester", "offered_to", "queue")
                .order_by("created_at")[:limit])  # fmt: skip


def agent_states(user: User) -> list[agents.AgentState]:
    """The states of the agents this person may see (leads: their people)."""
    from accounts.selectors import visible_users

    return list(
        agents.AgentState.objects.filter(user__in=visible_users(user))
        .select_related("user", "status")
        .order_by("status__position", "user__full_name")
    )
