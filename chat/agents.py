"""Agents' statuses, signs of life and capacity.

The database holds each agent's status (``AgentState``) and every change
(``StatusChange``); Redis holds what the hot paths read without a query:

- ``helpdesk:chat:seen`` (a sorted set: user id → time of the last sign of life). The
  push server touches it while the agent's event stream is open, and the page's
  heartbeat when push is unavailable; the sweep sets agents silent for
  ``CHAT_OFFLINE_AFTER_SECONDS`` (90) to offline.
- ``helpdesk:chat:gate`` (a hash: user id → "available load limit status"), which "next
  ticket" and the header's status menu read (``next_rule``): an agent in a status that is
  not available, or at their conversation limit, is refused with a sentence that says why.
  An agent who never set a status has no gate and takes tickets as before chat existed.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any, NamedTuple, cast

import redis
from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from chat.models import OFFLINE, AgentState, AgentStatus, Chat, StatusChange
from core import config_cache, heartbeats, push
from core.errors import Invalid
from tickets import next_rules
from tickets.models import Channel, Status, Ticket

SEEN_KEY = "helpdesk:chat:seen"
GATE_KEY = "helpdesk:chat:gate"
# The statuses in which tickets count toward an agent's load.
LOADED_STATUSES = (Status.NEW, Status.OPEN)


class ChatError(Invalid):
    pass


def statuses() -> list[AgentStatus]:
    """The active statuses in order (per-process cache, until the configuration moves)."""
    return config_cache.cached(
        "chat-statuses", lambda: list(AgentStatus.objects.filter(is_active=True))
    )


def status_named(key: str) -> AgentStatus:
    for status in statuses():
        if status.key == key:
            return status
    raise ChatError(_("Unknown status."))


def user_topic(user_id: int) -> str:
    return f"user:{user_id}"


def state_of(user: User) -> AgentState | None:
    return AgentState.objects.select_related("status").filter(user=user).first()


def weights() -> dict[str, float]:
    """How much of an agent's capacity a ticket of each channel in hand uses."""
    configured = getattr(settings, "CHAT_CAPACITY_WEIGHTS", {}) or {}
    return {channel: float(configured.get(channel, 1.0 if channel == Channel.CHAT else 0.0))
            for channel in Channel.values}  # fmt: skip


# ------------------------------------------------------------------ status


@transaction.atomic
def status_set(*, user: User, key: str, reason: str = StatusChange.Reason.SET,
               now: datetime | None = None) -> AgentState:  # fmt: skip
    """Put the agent in a status; the change is recorded with its time."""
    status = status_named(key)
    now = now or timezone.now()
    state = AgentState.objects.select_for_update().filter(user=user).first()
    previous_id = state.status_id if state else None
    if state is None:
        state = AgentState(user=user, status=status, since=now)
    elif state.status_id == status.pk:
        return state
    state.status, state.since = status, now
    if status.available:
        state.last_seen = now
    state.save()
    StatusChange.objects.create(user=user, status=status, previous_id=previous_id,
                                reason=reason, at=now)  # fmt: skip
    if status.available:
        touch([user.pk])
    refresh_gate(user.pk)
    push.publish(
        user_topic(user.pk),
        "status",
        {"key": status.key, "label": status.label, "available": status.available},
    )
    if status.available:
        # A chat may have been waiting for someone like them.
        from chat import tasks

        transaction.on_commit(tasks.route_waiting.delay)
    return state


def touch(user_ids: list[int], *, at: float | None = None) -> None:
    """A sign of life from these agents (an open event stream, or a heartbeat)."""
    if user_ids:
        at = at or time.time()
        heartbeats.client().zadd(SEEN_KEY, {str(pk): at for pk in user_ids})


def queue_touch(pipe: Any, user_ids: list[int], *, at: float) -> None:
    """``touch`` queued on a pipeline (sync or asyncio), for the push server's keeper."""
    if user_ids:
        pipe.zadd(SEEN_KEY, {str(pk): at for pk in user_ids})


def fresh_agent_ids(*, now: float | None = None) -> set[int]:
    """Agents seen within ``CHAT_OFFLINE_AFTER_SECONDS``."""
    now = now or time.time()
    since = now - settings.CHAT_OFFLINE_AFTER_SECONDS
    seen = cast("list[bytes]", heartbeats.client().zrangebyscore(SEEN_KEY, since, "+inf"))
    return {int(pk) for pk in seen}


def sweep_silent(*, now: datetime | None = None) -> int:
    """Set agents whose signs of life stopped to offline; returns how many."""
    now = now or timezone.now()
    fresh = fresh_agent_ids(now=now.timestamp())
    silent = (AgentState.objects.exclude(status__key=OFFLINE).exclude(user_id__in=fresh)
              .exclude(since__gt=now - timedelta(seconds=settings.CHAT_OFFLINE_AFTER_SECONDS))
              .select_related("user"))  # fmt: skip
    count = 0
    for state in silent:
        status_set(user=state.user, key=OFFLINE, reason=StatusChange.Reason.SILENT, now=now)
        count += 1
    return count


# ------------------------------------------------------------------ capacity


def loads(user_ids: list[int]) -> dict[int, float]:
    """Each agent's load: their tickets in hand by channel weight, and the chats offered
    to them (two queries). A chat ticket whose chat is over (answered by email since, or
    from before chat existed) weighs as an email ticket: only a live chat takes a chat's
    place."""
    table = weights()
    totals = dict.fromkeys(user_ids, 0.0)
    rows = (Ticket.objects.filter(assignee_id__in=user_ids, status__in=LOADED_STATUSES)
            .values("assignee_id", "channel")
            .annotate(n=Count("id"), live=Count("id", filter=Q(chat__state=Chat.State.ACTIVE)))
            .order_by())  # fmt: skip
    for row in rows:
        if row["channel"] == Channel.CHAT:
            load = table[Channel.CHAT] * row["live"] + table[Channel.EMAIL] * (
                row["n"] - row["live"]
            )
        else:
            load = table.get(row["channel"], 0.0) * row["n"]
        totals[row["assignee_id"]] += load
    offered = (Chat.objects.filter(state=Chat.State.OFFERED, offered_to_id__in=user_ids)
               .values("offered_to_id").annotate(n=Count("id")).order_by())  # fmt: skip
    for row in offered:
        totals[row["offered_to_id"]] += table[Channel.CHAT] * row["n"]
    return totals


def refresh_gate(user_id: int, *, state: AgentState | None = None,
                 load: float | None = None) -> None:  # fmt: skip
    """Write the agent's gate for "next ticket" after the current transaction commits.
    Routing passes the state and load it has just read under lock (two queries fewer for
    every offer)."""
    if state is None:
        state = AgentState.objects.select_related("status").filter(user_id=user_id).first()
    if state is None:
        return
    if load is None:
        load = loads([user_id])[user_id]
    value = f"{int(state.status.available)} {load:.2f} {state.chat_limit} {state.status.key}"

    def write() -> None:
        try:
            heartbeats.client().hset(GATE_KEY, str(user_id), value)
        except redis.RedisError:
            pass  # the next change writes it again; "next ticket" then goes by status only

    transaction.on_commit(write)


def gate(user_id: int) -> tuple[str, str, str, str] | None:
    """(available, load, limit, status key) from Redis; None for an agent with no status."""
    try:
        raw = cast("bytes | None", heartbeats.client().hget(GATE_KEY, str(user_id)))
    except redis.RedisError:
        return None
    parts = raw.decode().split() if raw else []
    return (parts[0], parts[1], parts[2], parts[3]) if len(parts) == 4 else None


def current_status_key(user_id: int) -> str:
    found = gate(user_id)
    return found[3] if found else OFFLINE


def next_rule(agent: User) -> next_rules.NextRule:
    """Live chats are offered, never pulled; an agent who is not available, or is at their
    limit, is told so instead of being given a ticket."""
    found = gate(agent.pk)
    refuse = ""
    if found:
        available, load, limit, _key = found
        if available != "1":
            refuse = _("Your status is not available: set yourself Online to take the next "
                       "ticket.")  # fmt: skip
        elif float(load) >= int(limit):
            refuse = _("You are at your limit of %(limit)s conversations: finish one first.") % {
                "limit": limit}  # fmt: skip
    return next_rules.NextRule(skip_channels=frozenset({Channel.CHAT}), refuse=refuse)


def set_limit(*, actor: User, user: User, limit: int) -> AgentState:
    if not 1 <= limit <= 6:
        raise ChatError(_("The conversation limit is from 1 to 6."))
    state = AgentState.objects.filter(user=user).first()
    if state is None:
        state = status_set(user=user, key=OFFLINE, reason=StatusChange.Reason.ADMIN)
    state.chat_limit = limit
    state.save(update_fields=["chat_limit"])
    refresh_gate(user.pk)
    return state


def _available(queue_id: int, language: str, *, exclude: list[int]) -> QuerySet[AgentState]:
    """Agents who could take a chat in this queue and language now: in an available
    status, seen lately, granted the queue, speaking the language (or not limited to
    languages)."""
    fresh = fresh_agent_ids()
    if not fresh:
        return AgentState.objects.none()
    # The grant as a subquery of people, not joins of the states' rows (which would repeat
    # an agent once per team queue and need a DISTINCT).
    granted = User.objects.filter(
        Q(team__queues=queue_id) | Q(team__vendor__queues=queue_id) | Q(role="admin"),
        is_active=True, pk__in=fresh,
    )  # fmt: skip
    if language:
        granted = granted.filter(Q(languages__contains=[language]) | Q(languages=[]))
    states = AgentState.objects.filter(user_id__in=granted.values("pk"), status__available=True)
    return states.exclude(user_id__in=exclude)


class Candidate(NamedTuple):
    user_id: int
    chat_limit: int


def available_agents(queue_id: int, language: str, *, exclude: list[int]) -> list[Candidate]:
    """The agents of ``_available`` in routing order: whoever has waited longest since their
    last chat first (those with none yet first of all, by how long they have been in their
    status). Who and their limit only: routing reads the chosen one's row again, locked
    (while the chat bench's chats started, this was an eighth of the web's CPU, a third of
    that building a hundred agents with their users)."""
    rows = (_available(queue_id, language, exclude=exclude)
            .order_by(F("last_chat_at").asc(nulls_first=True), "since", "user_id")
            .values_list("user_id", "chat_limit"))  # fmt: skip
    return [Candidate(user_id, limit) for user_id, limit in rows]


def anyone_available(queue_id: int, language: str) -> bool:
    return _available(queue_id, language, exclude=[]).exists()
