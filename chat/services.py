"""A chat's life: started by a requester, offered to agents in turn, accepted, talked
through, transferred, ended (its ticket solved), or turned into an email ticket.

Every change locks the chat's row, writes its audit event on the ticket's timeline in
the same transaction, and pushes to the chat's readers after commit (``core.push``). A
message is stored before anyone is told it was sent; a message sent twice with the same
client id (a retry after a dropped connection) is stored once.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import time
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import override
from redis.exceptions import RedisError

from accounts.models import User
from chat import agents
from chat.agents import ChatError
from chat.models import Chat, TicketEventKind, line_topic
from core import heartbeats, push
from core.errors import Conflict, NotFound
from tickets import attachments, events, hooks, outbox, selectors, services
from tickets.models import Channel, Message, Queue, Requester, Status, Ticket
from tickets.sla import services as sla

logger = logging.getLogger(__name__)


class ChatConflict(Conflict, ChatError):
    pass


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def chat_queue() -> Queue:
    queue = selectors.active_queue(slug=settings.CHAT_QUEUE)
    if queue is None:
        raise ChatError(_("Chat is not set up: its queue is missing."))
    return queue


def _locked(chat: Chat) -> Chat:
    return Chat.objects.select_for_update(of=("self",)).select_related("ticket").get(pk=chat.pk)


def _client_key(chat: Chat, who: str, client_id: str) -> str:
    client_id = (client_id or "").strip()[:64]
    return f"chat:{chat.pk}:{who}:{client_id}" if client_id else ""


def _existing(chat: Chat, key: str) -> Message | None:
    if not key:
        return None
    return Message.objects.filter(ticket_id=chat.ticket_id, channel_message_id=key).first()


def _state_event(chat: Chat, **extra: object) -> None:
    agent = chat.agent
    push.publish(chat.topic, "state", {
        "state": chat.state, "agent": (agent.full_name.split(" ")[0] if agent else ""),
        **extra,
    })  # fmt: skip


def _line_moved(queue_id: int) -> None:
    """Tell the requesters in this queue's line that their place may have changed: one
    nudge on the line's topic, which their streams read while they wait (not one event per
    chat in line: a long line would make that grow with its square)."""
    push.nudge([line_topic(queue_id)], "line")


# ------------------------------------------------------------------ requesters


_START_KEY = re.compile(r"[A-Za-z0-9_-]{22,64}")


def _start_token(start_key: str) -> str:
    """The requester's token for the start sent with ``start_key``: the same for every
    retry of that start, and not to be guessed without both the key (the client's own
    random secret, sent once) and the server's."""
    return salted_hmac("helpdesk.chat.start", start_key, algorithm="sha256").hexdigest()


def chat_start(
    *, name: str, email: str = "", external_id: str = "", language: str = "", body: str,
    client_id: str = "", origin: str = "", start_key: str = "",
) -> tuple[Chat, str]:  # fmt: skip
    """A new chat with the requester's first message; returns it and the requester's
    token (kept only in their browser or app).

    ``start_key`` (the client's random key for this start, 22–64 letters, digits, ``-``
    or ``_``) makes a retry safe: a start whose answer was lost and is sent again with the
    same key gets the chat the first one made, and its token, not a second chat."""
    body = (body or "").strip()
    if not body:
        raise ChatError(_("Write a message to start the chat."))
    if not (email or external_id):
        raise ChatError(_("Give your email address so we can answer if the chat is cut off."))
    if start_key and not _START_KEY.fullmatch(start_key):
        raise ChatError(_("The start key must be 22 to 64 letters, digits, - or _."))
    token = _start_token(start_key) if start_key else secrets.token_urlsafe(32)
    if start_key and (made := _chat_of(token)) is not None:
        return made, token
    try:
        return _start(token, name=name, email=email, external_id=external_id,
                      language=language, body=body, client_id=client_id, origin=origin)  # fmt: skip
    except IntegrityError:  # a retry raced the first try: that one made the chat
        if not start_key or (made := _chat_of(token)) is None:
            raise
        return made, token


def _chat_of(token: str) -> Chat | None:
    return Chat.objects.select_related("ticket").filter(token_hash=token_hash(token)).first()


def _start(token: str, *, name: str, email: str, external_id: str, language: str, body: str,
           client_id: str, origin: str) -> tuple[Chat, str]:  # fmt: skip
    queue = chat_queue()
    now = timezone.now()
    with transaction.atomic():
        requester = services.requester_get_or_create(
            email=email, external_id=external_id, name=name, language=language
        )
        first_line = body.splitlines()[0][:80]
        ticket = services.ticket_create(
            actor=None, requester=requester, queue=queue, subject=first_line, body=body,
            channel=Channel.CHAT, language=language,
        )  # fmt: skip
        chat = Chat.objects.create(
            ticket=ticket, token_hash=token_hash(token), language=language or "",
            queue=queue, created_at=now, requester_active_at=now, origin=origin[:200],
        )  # fmt: skip
        Message.objects.filter(ticket=ticket).update(
            channel_message_id=_client_key(chat, "r", client_id)
        )
        offer_next(chat, now=now)
        transaction.on_commit(lambda: requester_seen([chat.pk]))
    return chat, token


def chat_for_token(token: str) -> Chat:
    chat = (Chat.objects.select_related("ticket", "agent", "ticket__requester")
            .filter(token_hash=token_hash(token or "")).first())  # fmt: skip
    if chat is None:
        raise NotFound(_("This chat does not exist."))
    return chat


@transaction.atomic
def chat_requester_send(*, chat: Chat, body: str, client_id: str = "",
                        files: Iterable[UploadedFile] = ()) -> Message:  # fmt: skip
    """The requester's line, with files if any: checked as every ticket attachment is
    (size, count, a type sniffed from the bytes); a file alone is sent under its name."""
    chat = _locked(chat)
    key = _client_key(chat, "r", client_id)
    existing = _existing(chat, key)
    if existing is not None:
        return existing
    if not chat.live:
        raise ChatConflict(_("This chat has ended."))
    files = list(files)
    body = (body or "").strip() or "\n".join(
        attachments.safe_filename(upload.name or "") for upload in files
    )
    if not body:
        raise ChatError(_("The message is empty."))
    message = services.ticket_requester_reply(
        ticket=chat.ticket, body=body, channel=Channel.CHAT, channel_message_id=key
    )
    if files:
        services.message_attach(message=message, files=files)
    chat.requester_active_at, chat.reminded_at = message.created_at, None
    if chat.state in Chat.IN_LINE:
        transaction.on_commit(lambda: requester_seen([chat.pk]))
    chat.save(update_fields=["requester_active_at", "reminded_at"])
    return message


def chat_typing(*, chat: Chat, who: str, name: str = "") -> None:
    """A typing indicator: pushed, never stored (a requester typing counts as active)."""
    if not chat.live:
        return
    if who == "requester":
        Chat.objects.filter(pk=chat.pk).update(requester_active_at=timezone.now(),
                                               reminded_at=None)  # fmt: skip
        if chat.state in Chat.IN_LINE:
            requester_seen([chat.pk])
    push.publish(chat.topic, "typing", {"who": who, "name": name.split(" ")[0]})


# ------------------------------------------------------------------ offers


def offer_next(chat: Chat, *, now: datetime | None = None) -> User | None:
    """Offer a chat in line to the best available agent (the chat's row locked by the
    caller): the language and the queue, free capacity, then whoever has waited longest
    since their last chat. Nobody: the chat waits, and is offered when someone is free."""
    now = now or timezone.now()
    if chat.state not in Chat.IN_LINE:
        return None
    reoffer = timedelta(seconds=settings.CHAT_REOFFER_SECONDS)
    if chat.passed_over and (chat.passed_at is None or now - chat.passed_at >= reoffer):
        # A new round: those who let it go may be offered it again (one agent online who
        # declined once would otherwise never see this chat, and it would wait for nobody).
        # A pass from before passes had a time counts as long ago.
        chat.passed_over = []
    candidates = agents.available_agents(chat.queue_id, chat.language,
                                         exclude=list(chat.passed_over))  # fmt: skip
    chosen, load, contended = _with_room(candidates)
    previous = chat.offered_to_id
    if chosen is None:
        chat.state, chat.offered_to, chat.offer_expires_at = Chat.State.WAITING, None, None
        chat.save(update_fields=["state", "offered_to", "offer_expires_at", "passed_over"])
        if contended:
            # Someone may have room once the others' routing commits: try again then,
            # not at the next sweep (seconds later).
            from chat import tasks

            transaction.on_commit(tasks.route_waiting.delay)
        if previous:
            agents.refresh_gate(previous)
            push.publish(agents.user_topic(previous), "offer_withdrawn", {"chat": chat.pk})
        return None
    chat.state, chat.offered_to = Chat.State.OFFERED, chosen.user
    chat.offer_expires_at = now + timedelta(seconds=settings.CHAT_OFFER_SECONDS)
    chat.save(update_fields=["state", "offered_to", "offer_expires_at", "passed_over"])
    events.record(chat.ticket_id, None, TicketEventKind.OFFERED,
                  after={"agent": chosen.user_id, "agent_name": chosen.user.full_name},
                  at=now)  # fmt: skip
    agents.refresh_gate(chosen.user_id, state=chosen, load=load + agents.weights()[Channel.CHAT])
    if previous and previous != chosen.user_id:
        agents.refresh_gate(previous)
        push.publish(agents.user_topic(previous), "offer_withdrawn", {"chat": chat.pk})
    push.publish(agents.user_topic(chosen.user_id), "offer", offer_payload(chat))
    from chat import tasks

    expires = chat.offer_expires_at
    transaction.on_commit(
        lambda: tasks.expire_offer.apply_async(
            (chat.pk, expires.isoformat()), countdown=settings.CHAT_OFFER_SECONDS + 0.5
        )
    )
    return chosen.user


def _with_room(
    candidates: list[agents.Candidate],
) -> tuple[agents.AgentState | None, float, bool]:
    """The first candidate with room for a chat, their state row locked until commit, and
    their load before this chat: two chats starting at once cannot both take an agent's
    last place (each counts the load with the row locked, so the other's offer is
    committed and counted). A row another routing transaction holds is skipped, not
    waited for; the last value says whether one was (a chat nobody could take now is then
    routed again once those commit)."""
    if not candidates:
        return None, 0.0, False
    chat_weight = agents.weights()[Channel.CHAT]
    first = agents.loads([state.user_id for state in candidates])
    contended = False
    for state in candidates:
        if first[state.user_id] + chat_weight > state.chat_limit:
            continue
        locked = (agents.AgentState.objects.select_for_update(skip_locked=True, of=("self",))
                  .select_related("user", "status").filter(pk=state.user_id).first())  # fmt: skip
        if locked is None:
            contended = True
            continue
        load = agents.loads([state.user_id])[state.user_id]
        if load + chat_weight <= locked.chat_limit:
            return locked, load, contended
    return None, 0.0, contended


def offer_payload(chat: Chat) -> dict[str, object]:
    ticket = chat.ticket
    return {"chat": chat.pk, "reference": ticket.reference, "subject": ticket.subject,
            "language": chat.language, "expires_at": chat.offer_expires_at,
            "seconds": settings.CHAT_OFFER_SECONDS,
            "requester": ticket.requester.name or ticket.requester.email}  # fmt: skip


@transaction.atomic
def chat_decline(*, actor: User, chat: Chat) -> None:
    chat = _locked(chat)
    if chat.state != Chat.State.OFFERED or chat.offered_to_id != actor.pk:
        raise ChatConflict(_("This chat is no longer offered to you."))
    _pass_over(chat, reason="declined")


@transaction.atomic
def chat_offer_expired(*, chat_id: int, expires_at: datetime | None = None) -> bool:
    """The offer ran out unanswered: the chat goes to the next agent."""
    chat = (
        Chat.objects.select_for_update(of=("self",))
        .select_related("ticket")
        .filter(pk=chat_id)
        .first()
    )
    if chat is None or chat.state != Chat.State.OFFERED or chat.offer_expires_at is None:
        return False
    if chat.offer_expires_at > timezone.now():
        return False
    if expires_at is not None and chat.offer_expires_at != expires_at:
        return False
    _pass_over(chat, reason="timeout")
    return True


def _pass_over(chat: Chat, *, reason: str) -> None:
    agent = chat.offered_to
    if agent is not None:
        chat.passed_over, chat.passed_at = [*chat.passed_over, agent.pk], timezone.now()
        chat.save(update_fields=["passed_over", "passed_at"])
        events.record(chat.ticket_id, None, TicketEventKind.PASSED,
                      after={"agent": agent.pk, "agent_name": agent.full_name,
                             "reason": reason})  # fmt: skip
    offer_next(chat)


def route_waiting(*, limit: int = 50) -> int:
    """Offer the chats still waiting (oldest first), for when an agent comes free; each
    in its own transaction, skipping chats another worker holds."""
    offered = 0
    tried: set[int] = set()
    for _n in range(limit):
        with transaction.atomic():
            chat = (Chat.objects.select_for_update(of=("self",), skip_locked=True)
                    .select_related("ticket").filter(state=Chat.State.WAITING)
                    .exclude(pk__in=tried).order_by("created_at").first())  # fmt: skip
            if chat is None:
                break
            tried.add(chat.pk)
            if offer_next(chat) is not None:
                offered += 1
    return offered


def sweep_offers(*, now: datetime | None = None) -> int:
    """Offers past their time (the countdown task is the fast path; this is the net)."""
    now = now or timezone.now()
    due = Chat.objects.filter(state=Chat.State.OFFERED, offer_expires_at__lte=now).values_list(
        "pk", flat=True
    )[:200]
    return sum(chat_offer_expired(chat_id=pk) for pk in list(due))


# ------------------------------------------------------------------ agents


@transaction.atomic
def chat_accept(*, actor: User, chat: Chat) -> Chat:
    chat = _locked(chat)
    if chat.state == Chat.State.ACTIVE and chat.agent_id == actor.pk:
        return chat
    if chat.state not in Chat.IN_LINE:
        raise ChatConflict(_("This chat is no longer waiting."))
    if chat.state == Chat.State.OFFERED and chat.offered_to_id != actor.pk:
        raise ChatConflict(_("This chat was offered to someone else."))
    if not selectors.can_work_queue(actor, chat.queue_id):
        raise ChatConflict(_("You cannot take chats in this queue."))
    now = timezone.now()
    services.ticket_assign(actor=actor, ticket=chat.ticket, assignee=actor)
    if chat.ticket.status == Status.NEW:
        services.ticket_change_status(actor=actor, ticket=chat.ticket, status=Status.OPEN)
    chat.state, chat.agent, chat.accepted_at = Chat.State.ACTIVE, actor, now
    chat.offered_to, chat.offer_expires_at = None, None
    chat.requester_active_at = now
    chat.save(update_fields=["state", "agent", "accepted_at", "offered_to", "offer_expires_at",
                             "requester_active_at"])  # fmt: skip
    agents.AgentState.objects.filter(user=actor).update(last_chat_at=now)
    events.record(chat.ticket_id, actor, TicketEventKind.ACCEPTED, at=now)
    agents.refresh_gate(actor.pk)
    _state_event(chat)
    _line_moved(chat.queue_id)
    return chat


@transaction.atomic
def chat_agent_send(*, actor: User, chat: Chat, body: str, client_id: str = "") -> Message:
    chat = _locked(chat)
    key = _client_key(chat, f"a{actor.pk}", client_id)
    existing = _existing(chat, key)
    if existing is not None:
        return existing
    if chat.state != Chat.State.ACTIVE:
        raise ChatConflict(_("This chat is not active."))
    return services.ticket_reply(actor=actor, ticket=chat.ticket, body=body,
                                 channel_message_id=key)  # fmt: skip


@transaction.atomic
def chat_transfer(*, actor: User, chat: Chat, to_agent: User | None = None,
                  to_queue: Queue | None = None) -> Chat:  # fmt: skip
    """Hand the chat to another agent (it stays active, now theirs) or another queue (it
    goes back in line there). The ticket, its transcript, notes and SLA clocks go with it."""
    chat = _locked(chat)
    if chat.state != Chat.State.ACTIVE or chat.agent_id != actor.pk and not actor.is_lead:
        raise ChatConflict(_("Only the agent in this chat can transfer it."))
    if (to_agent is None) == (to_queue is None):
        raise ChatError(_("Transfer to an agent or to a queue."))
    before = {"agent": chat.agent_id, "queue": chat.queue_id}
    if to_agent is not None:
        if not selectors.can_work_queue(to_agent, chat.queue_id):
            raise ChatError(_("That agent cannot take chats in this queue."))
        services.ticket_assign(actor=actor, ticket=chat.ticket, assignee=to_agent)
        previous, chat.agent = chat.agent_id, to_agent
        chat.save(update_fields=["agent"])
        agents.refresh_gate(to_agent.pk)
        if previous:
            agents.refresh_gate(previous)
        push.publish(agents.user_topic(to_agent.pk), "transferred", offer_payload(chat))
    elif to_queue is not None:
        if not selectors.can_work_queue(actor, to_queue.pk):
            raise ChatError(_("You cannot move tickets to this queue."))
        previous = chat.agent_id
        services.ticket_move_queue(actor=actor, ticket=chat.ticket, queue=to_queue)
        services.ticket_assign(actor=actor, ticket=chat.ticket, assignee=None)
        chat.state, chat.agent, chat.queue = Chat.State.WAITING, None, to_queue
        chat.passed_over = []
        chat.save(update_fields=["state", "agent", "queue", "passed_over"])
        if previous:
            agents.refresh_gate(previous)
        offer_next(chat)
        # Back in line: the requester was there a moment ago (their last sign of life in
        # line dates from before the chat was taken).
        transaction.on_commit(lambda: requester_seen([chat.pk]))
    events.record(chat.ticket_id, actor, TicketEventKind.TRANSFERRED, before=before,
                  after={"agent": chat.agent_id, "queue": chat.queue_id,
                         "to": to_agent.full_name if to_agent else chat.queue.name})  # fmt: skip
    _state_event(chat, transferred=True)
    return chat


@transaction.atomic
def chat_end(*, chat: Chat, by: str, actor: User | None = None) -> Chat:
    """End the chat; its ticket is solved (a chat nobody answered is solved too: the
    requester left)."""
    chat = _locked(chat)
    if not chat.live:
        return chat
    if by == Chat.Ended.AGENT and (actor is None or chat.agent_id != actor.pk
                                   and not actor.is_lead):  # fmt: skip
        raise ChatConflict(_("Only the agent in this chat can end it."))
    now = timezone.now()
    was_in_line, offered = chat.state in Chat.IN_LINE, chat.offered_to_id
    chat.state, chat.ended_at, chat.ended_by = Chat.State.ENDED, now, by
    chat.offered_to, chat.offer_expires_at = None, None
    chat.save(update_fields=["state", "ended_at", "ended_by", "offered_to", "offer_expires_at"])
    events.record(chat.ticket_id, actor, TicketEventKind.ENDED, after={"by": by}, at=now)
    ticket = Ticket.objects.get(pk=chat.ticket_id)
    if ticket.status not in (Status.SOLVED, Status.CLOSED):
        services.ticket_change_status(actor=actor, ticket=ticket, status=Status.SOLVED)
    for agent_id in {chat.agent_id, offered} - {None}:
        agents.refresh_gate(agent_id)  # type: ignore[arg-type]
    if offered:
        push.publish(agents.user_topic(offered), "offer_withdrawn", {"chat": chat.pk})
    _state_event(chat, ended_by=by)
    if was_in_line:
        _line_moved(chat.queue_id)
    return chat


# ------------------------------------------------------------------ fallback


@transaction.atomic
def chat_leave_message(*, chat: Chat, body: str = "") -> Ticket:
    """The requester leaves a message instead of waiting: the chat becomes an email ticket
    holding the transcript so far, and they get it by email."""
    chat = _locked(chat)
    if chat.state not in Chat.IN_LINE:
        raise ChatConflict(_("This chat is no longer waiting."))
    ticket = chat.ticket
    if body.strip():
        services.ticket_requester_reply(ticket=ticket, body=body, channel=Channel.WEB)
    offered = chat.offered_to_id
    chat.state, chat.ended_at, chat.offered_to, chat.offer_expires_at = (
        Chat.State.LEFT_MESSAGE,
        timezone.now(),
        None,
        None,
    )
    chat.save(update_fields=["state", "ended_at", "offered_to", "offer_expires_at"])
    Ticket.objects.filter(pk=ticket.pk).update(channel=Channel.EMAIL)
    ticket.channel = Channel.EMAIL
    fallback = selectors.active_queue(slug=settings.CHAT_FALLBACK_QUEUE)
    if fallback is not None and fallback.pk != ticket.queue_id:
        ticket = services.ticket_move_queue(actor=None, ticket=ticket, queue=fallback)
    else:
        # No longer a chat: its clocks move to the email policy's targets (the chat
        # policy's 60 s first reply would breach a minute later), keeping the time used.
        sla.sla_retarget(ticket=ticket, actor=None, now=timezone.now(),
                         reason="left a message")  # fmt: skip
    events.record(ticket.pk, None, TicketEventKind.LEFT_MESSAGE)
    if offered:
        agents.refresh_gate(offered)
        push.publish(agents.user_topic(offered), "offer_withdrawn", {"chat": chat.pk})
    _queue_transcript(chat, ticket.requester, kind="chat_left_message")
    _state_event(chat)
    _line_moved(chat.queue_id)
    return ticket


def chat_send_transcript(*, chat: Chat) -> None:
    """The transcript to the requester's email, on request (once per chat and state)."""
    requester = chat.ticket.requester
    if not requester.email:
        raise ChatError(_("We have no email address for this chat."))
    with transaction.atomic():
        _queue_transcript(chat, requester, kind="chat_transcript")


def _queue_transcript(chat: Chat, requester: Requester, *, kind: str) -> None:
    if not requester.email:
        return
    ticket = chat.ticket
    lines = list(Message.objects.filter(ticket=ticket, kind=Message.Kind.PUBLIC)
                 .select_related("author").order_by("created_at", "id"))  # fmt: skip
    language = chat.language or requester.language
    with override(language or None):
        transcript = [
            {"who": (m.author.full_name.split(" ")[0] if m.author else _("Agent"))
             if m.author_type == Message.Author.AGENT else (requester.name or _("You")),
             "at": m.created_at, "body": m.body}
            for m in lines
        ]  # fmt: skip
    outbox.queue_email(
        kind=kind, key=[chat.pk, len(lines)], to=requester.email, template="chat_transcript",
        context={"ticket": ticket, "transcript": transcript,
                 "left_message": kind == "chat_left_message"},
        language=language, from_email=selectors.queue_sender(ticket.queue_id), ticket=ticket,
    )  # fmt: skip


# ------------------------------------------------------------------ idle


def sweep_idle(*, now: datetime | None = None) -> tuple[int, int]:
    """Remind a requester silent for ``CHAT_IDLE_REMIND_SECONDS`` (3 min), and end the
    chat after ``CHAT_IDLE_CLOSE_SECONDS`` (6 min). Returns (reminded, closed)."""
    now = now or timezone.now()
    remind_before = now - timedelta(seconds=settings.CHAT_IDLE_REMIND_SECONDS)
    close_before = now - timedelta(seconds=settings.CHAT_IDLE_CLOSE_SECONDS)
    reminded = closed = 0
    for chat in Chat.objects.filter(state=Chat.State.ACTIVE,
                                    requester_active_at__lte=remind_before)[:200]:  # fmt: skip
        if chat.requester_active_at <= close_before:
            chat_end(chat=chat, by=Chat.Ended.IDLE)
            closed += 1
        elif chat.reminded_at is None:
            with transaction.atomic():
                locked = _locked(chat)
                if locked.reminded_at is not None or locked.requester_active_at > remind_before:
                    continue
                locked.reminded_at = now
                locked.save(update_fields=["reminded_at"])
                events.record(locked.ticket_id, None, TicketEventKind.IDLE_REMINDER, at=now)
                seconds = settings.CHAT_IDLE_CLOSE_SECONDS - settings.CHAT_IDLE_REMIND_SECONDS
                push.publish(locked.topic, "idle", {"closes_in": seconds})
            reminded += 1
    return reminded, closed


# ------------------------------------------------------------------ who left the line

# When each chat in line last heard from its requester (their open event stream, kept by
# the push server, or their page asking for the chat's state): chat id -> time.
LINE_SEEN_KEY = "helpdesk:chat:line-seen"
# When the sweep last read them; a longer gap than this and it trusts none of them.
LINE_SWEPT_KEY = "helpdesk:chat:line-swept"
SWEEP_GAP_SECONDS = 60


def requester_seen(chat_ids: list[int], *, at: float | None = None) -> None:
    """A sign of life from the requesters of these chats, waiting in line."""
    if chat_ids:
        try:
            heartbeats.client().zadd(LINE_SEEN_KEY, {str(pk): at or time.time() for pk in chat_ids})
        except RedisError:
            pass  # the sweep gives a chat it has no sign of full time again


def queue_requester_seen(pipe: Any, chat_ids: list[int], *, at: float) -> None:
    """``requester_seen`` queued on a pipeline, for the push server's keeper."""
    if chat_ids:
        pipe.zadd(LINE_SEEN_KEY, {str(pk): at for pk in chat_ids})


def sweep_abandoned(*, now: datetime | None = None) -> int:
    """Chats whose requester left the line (closed the page, lost the app) without a
    sign of life for ``CHAT_ABANDON_SECONDS``: each becomes an email ticket with its
    transcript, as if they had left a message, so their question is still answered by
    email and no agent is offered a chat nobody is on. Returns how many.

    Never on a record it cannot trust: a chat it has no sign of (Redis lost them) gets
    the full time from now, and after a gap in the sweeps themselves (Redis or the
    workers down: the signs could not be written either) every chat in line does. A
    requester with no email address (an app's user known by id) stays in line: there
    would be nowhere to answer."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.CHAT_ABANDON_SECONDS)
    try:
        client = heartbeats.client()
        last = client.getset(LINE_SWEPT_KEY, now.timestamp())
        client.zremrangebyscore(LINE_SEEN_KEY, "-inf", cutoff.timestamp() - 86400)  # long over
    except RedisError:
        return 0
    trusted = last is not None and now.timestamp() - float(last) <= SWEEP_GAP_SECONDS
    waiting = (Chat.objects.filter(state__in=Chat.IN_LINE, created_at__lte=cutoff)
               .exclude(ticket__requester__email="").order_by("pk"))  # fmt: skip
    gone: list[int] = []
    for chunk in _chunks(list(waiting.values_list("pk", flat=True)), 500):
        try:
            seen = client.zmscore(LINE_SEEN_KEY, [str(pk) for pk in chunk])
        except RedisError:
            return 0
        fresh = [pk for pk, at in zip(chunk, seen, strict=True) if at is None or not trusted]
        requester_seen(fresh, at=now.timestamp())
        if trusted:
            gone += [pk for pk, at in zip(chunk, seen, strict=True)
                     if at is not None and at < cutoff.timestamp()]  # fmt: skip
    left = 0
    for chat in Chat.objects.filter(pk__in=gone, state__in=Chat.IN_LINE):
        try:
            chat_leave_message(chat=chat)
        except ChatConflict:
            continue  # accepted meanwhile
        except Exception:
            # One chat that cannot be converted must not hold back the others (nor the
            # rest of beat's chat sweep): it is tried again at the next sweep.
            logger.exception("Could not turn abandoned chat %s into an email ticket", chat.pk)
            continue
        left += 1
    return left


def _chunks(items: list[int], size: int) -> Iterable[list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# ------------------------------------------------------------------ privacy


def forget_streams(ticket_ids: list[int]) -> None:
    """Delete the push streams of these tickets' chats after commit (an erasure or a
    redaction: the streams hold copies of messages for up to a day)."""
    topics = [f"chat:{pk}" for pk in Chat.objects.filter(ticket_id__in=ticket_ids)
              .values_list("pk", flat=True)]  # fmt: skip
    if topics:
        transaction.on_commit(lambda: push.forget(topics))


# ------------------------------------------------------------------ hooks


def live_channel(ticket: Ticket) -> str | None:
    """``tickets.delivery``: a public reply on a live chat goes into the chat."""
    if ticket.channel != Channel.CHAT:
        return None
    live = Chat.objects.filter(ticket_id=ticket.pk, state__in=Chat.LIVE).exists()
    return Channel.CHAT if live else None


def message_payload(message: Message) -> dict[str, object]:
    """A chat line as both sides read it; its files by id (each side fetches them
    through its own door: the requester by the chat's token, the agent by the ticket)."""
    author = message.author
    return {
        "id": message.pk, "from": message.author_type,
        "name": author.full_name.split(" ")[0] if author else "",
        "body": message.body, "at": message.created_at,
        "client": message.channel_message_id.rsplit(":", 1)[-1] if message.channel_message_id
        else "",
        "files": [{"id": item.pk, "name": item.filename, "size": item.size}
                  for item in message.attachments.all()],
    }  # fmt: skip


def on_message_added(event: hooks.MessageAdded) -> None:
    """Push a public message on a chat's ticket to the chat's readers, once committed
    (and so with the files attached after it in the same transaction)."""
    message, ticket = event.message, event.ticket
    if ticket.channel != Channel.CHAT or message.kind != Message.Kind.PUBLIC:
        return
    chat_id = Chat.objects.filter(ticket_id=ticket.pk).values_list("pk", flat=True).first()
    if chat_id is not None:
        transaction.on_commit(lambda: push.publish_now(
            f"chat:{chat_id}", "message", message_payload(message)))  # fmt: skip
