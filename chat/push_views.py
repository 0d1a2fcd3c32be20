"""The push server's event streams (server-sent events), served by uvicorn from
``helpdesk.asgi`` beside gunicorn (docs/architecture.md, "Live chat and push").

- ``/push/agent/``: a signed-in person's own topic (offers, status) and the topics of the
  chats they are in; with ``?queues=1`` (a page that reloads when they change: the
  queue's), also of the queues they see (``chat.live``: "this queue changed"). The open
  stream is their sign of life (``agents.touch``). With ``?ticket=<reference>``
  (the page is that ticket's), also the ticket's topic (who else is there, a new
  message), and the stream keeps the person's presence on the ticket while it is open.
- ``/push/chat/<pk>/``: a chat, for whoever may see its ticket.
- ``/push/c/<token>/``: a chat, for its requester (the token is the key; no cookies).

Streams opening at once queue at ``helpdesk.asgi``'s opening gate. Who may read a topic
is decided when the stream opens, by the same scoping as the pages;
a stream lives ``PUSH_STREAM_SECONDS`` and the browser reconnects (with
``Last-Event-ID``), so a change of scope takes effect within that time.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
import weakref
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections
from django.http import HttpRequest, JsonResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone, translation
from django.views.decorators.http import require_GET
from redis.exceptions import RedisError

from chat import agents, live, selectors, services
from chat.models import Chat
from chat.models import line_topic as live_line_topic
from core import heartbeats, push
from core.errors import DomainError
from tickets import presence, presenters
from tickets import selectors as ticket_selectors

T = TypeVar("T")
logger = logging.getLogger(__name__)
KEEPALIVE_SECONDS = 15
# A stream on a ticket refreshes its reader's presence at least this often (an entry is
# fresh for tickets.presence.FRESH_SECONDS).
PRESENCE_SECONDS = 5


def _not_here() -> JsonResponse:
    # Not on the web server: a stream would hold one of gunicorn's few workers for
    # minutes (and the lookups below close the request's database connections).
    return JsonResponse({"detail": "Event streams are served by the push server "
                                   "(PUSH_URL), not by this one."}, status=404)  # fmt: skip


# An agent's stream follows at most this many of their queues (their pages poll the rest).
MAX_QUEUES = 200


def _allowed_origin(request: HttpRequest, *, with_cookies: bool) -> str:
    origin = request.headers.get("Origin", "")
    if not origin:
        return ""
    if not with_cookies:
        return "*"
    allowed = {settings.SITE_URL.rstrip("/"), *settings.PUSH_ALLOWED_ORIGINS}
    return origin if origin in allowed else ""


def _stream(request: HttpRequest, topics: list[str], *, with_cookies: bool,
            touch_user: int | None = None, on_ticket: int | None = None,
            line: str | None = None, requester_chat: int | None = None,
            name: str = "", offers: list[dict[str, Any]] | None = None,
            ) -> HttpResponseBase:  # fmt: skip
    origin = _allowed_origin(request, with_cookies=with_cookies)
    if request.headers.get("Origin") and not origin:
        return JsonResponse({"detail": "This origin may not read this stream."}, status=403)
    positions = push.decode_position(request.headers.get("Last-Event-ID", "")
                                     or request.GET.get("since", ""), topics)  # fmt: skip
    language = getattr(request, "LANGUAGE_CODE", "") or settings.LANGUAGE_CODE
    events = _events(positions, touch_user, on_ticket, line, requester_chat, name=name,
                     language=language, offers=offers)  # fmt: skip
    response = StreamingHttpResponse(events, content_type="text/event-stream")
    response["Cache-Control"] = "no-store"
    response["X-Accel-Buffering"] = "no"
    if origin:
        response["Access-Control-Allow-Origin"] = origin
        if with_cookies:
            response["Access-Control-Allow-Credentials"] = "true"
        response["Vary"] = "Origin"
    return response


class _Keeper:
    """The signs of life and ticket presence of every open agent stream on this server,
    and the signs of life of requesters waiting in line with a stream open
    (``chat.services.sweep_abandoned``), written for all of them in one Redis pipeline
    every ``PRESENCE_SECONDS``: one round
    trip for the server instead of two trips to the thread pool per stream (at 750
    agents on tickets, 300 a second: most of the push server's CPU, bench/agents.py).
    The pipeline goes through the synchronous client, in a thread: the streams' asyncio
    pool can be full of blocked reads (``PUSH_MAX_STREAMS``)."""

    def __init__(self) -> None:
        self.streams: dict[object, tuple[int, int | None]] = {}  # token: (person, ticket)
        self.waiting: dict[object, int] = {}  # token: chat (its requester, in line)
        self.task: asyncio.Task | None = None

    def add(self, token: object, user_id: int, ticket_id: int | None) -> None:
        self.streams[token] = (user_id, ticket_id)
        self._start()

    def add_waiting(self, token: object, chat_id: int) -> None:
        self.waiting[token] = chat_id
        self._start()

    def _start(self) -> None:
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self._run())

    def remove(self, token: object) -> None:
        self.streams.pop(token, None)
        self.waiting.pop(token, None)

    async def _run(self) -> None:
        while self.streams or self.waiting:
            await asyncio.sleep(PRESENCE_SECONDS)
            try:
                # A stuck Redis must not hold the next rounds back.
                await asyncio.wait_for(self.keep_all(), timeout=PRESENCE_SECONDS)
            except (OSError, RedisError, TimeoutError):
                pass  # Redis restarting or slow: the next round writes them again
            except Exception:
                logger.exception("The push server's keeper failed a round")

    async def keep_all(self) -> None:
        entries, waiting = list(self.streams.values()), sorted(set(self.waiting.values()))
        await sync_to_async(_keep_all, thread_sensitive=False)(entries, waiting, time.time())


def _keep_all(entries: list[tuple[int, int | None]], waiting: list[int], now: float) -> None:
    pipe = heartbeats.client().pipeline(transaction=False)
    agents.queue_touch(pipe, sorted({user for user, _ticket in entries}), at=now)
    for user, ticket in entries:
        if ticket is not None:
            presence.queue_keep(pipe, ticket, user_id=user, at=now)
    services.queue_requester_seen(pipe, waiting, at=now)
    pipe.execute()


_keepers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Keeper] = (
    weakref.WeakKeyDictionary()
)


def _keeper() -> _Keeper:
    """This event loop's keeper (the push server has one loop)."""
    loop = asyncio.get_running_loop()
    keeper = _keepers.get(loop)
    if keeper is None:
        keeper = _keepers[loop] = _Keeper()
    return keeper


async def _events(positions: dict[str, str], touch_user: int | None,
                  on_ticket: int | None = None, line: str | None = None,
                  requester_chat: int | None = None, *, name: str = "",
                  language: str = "",
                  offers: list[dict[str, Any]] | None = None) -> AsyncIterator[bytes]:  # fmt: skip
    """The stream's events. ``touch_user``: the open stream is that agent's sign of life;
    ``on_ticket``: and their presence on that ticket (``name``: theirs, for the others),
    and its "ready" carries who else is there, in ``language``, so that the page need not
    ask (one request to the web server fewer per ticket page); ``line``: the topic of the
    chat waits in, read until the chat's state says it left the line; ``requester_chat``:
    the requester's chat, whose requester the open stream shows is still there while it
    waits in line (at the start, or again after a transfer to a queue); ``offers``: the
    chats offered to the agent now, which "ready" carries (an offer is pushed once, to the
    page open at that moment: the next page shows it from here)."""
    # Where this stream starts ("ready"), at once: a client that connects without an id (a
    # first connection) starts from here, and reads the database when it sees "ready".
    # The middleware has answered by now (sessions, sign-in checks, the access log): give
    # back the connections it took in this request's thread, before the first chunk
    # (helpdesk.asgi lets the next stream open on it).
    await _close_request_connections()
    yield b"retry: 2000\n"
    ends = time.monotonic() + settings.PUSH_STREAM_SECONDS
    try:
        await push.resolve(positions)
    except (OSError, RedisError):
        return  # the browser reconnects (after "retry") and tries again
    present = touch_user is not None and on_ticket is not None
    on = (on_ticket or 0, touch_user or 0)  # (ticket, person) when present
    lived = False
    token, keeper = object(), _keeper()
    ready: dict[str, Any] = {"offers": offers} if offers else {}
    arriving: asyncio.Future[dict[str, str]] | None = None
    # From here the stream has a place in the keeper (and its reader may be on the
    # ticket): whenever it is closed, even at its first "yield", it gives them back.
    try:
        if touch_user is not None:
            # In the keeper first: an older stream of theirs on this ticket, closing
            # meanwhile (a reload), sees this one and leaves their presence alone.
            keeper.add(token, touch_user, on_ticket if present else None)
            # The arrival at once (after the position: what changes meanwhile is read, not
            # missed), then every few seconds with every other open stream (_Keeper).
            # Shielded: a stream closed meanwhile waits for it below before it takes its
            # reader off the ticket (else the arrival, still running in its thread, would
            # put them back).
            arrive = sync_to_async(_arrive, thread_sensitive=False)
            arriving = asyncio.ensure_future(
                arrive(touch_user, on_ticket if present else None, name, language)
            )
            try:
                ready.update(await asyncio.shield(arriving))
            except (OSError, RedisError):
                pass  # the keeper writes them in a few seconds; the page asks who is there
        said = json.dumps(ready, cls=DjangoJSONEncoder)
        yield f"id: {push.encode_position(positions)}\nevent: ready\ndata: {said}\n\n".encode()
        if requester_chat is not None and line:
            keeper.add_waiting(token, requester_chat)  # (its start or its page touched it just now)
        # Queue nudges: one "changed" per batch, then none read for a while (chat.live).
        queues = {topic for topic in positions if live.is_queue_topic(topic)}
        quiet_until = 0.0
        while time.monotonic() < ends:
            block = min(KEEPALIVE_SECONDS, ends - time.monotonic())
            reading = positions
            if queues and time.monotonic() < quiet_until:
                reading = {t: xid for t, xid in positions.items() if t not in queues}
                block = min(block, quiet_until - time.monotonic())
            # Each event's id is the position just after it: a browser cut off in the
            # middle of a batch resumes at the first event it did not get.
            current = dict(positions)
            try:
                events = await push.read(reading, block_ms=int(max(0.05, block) * 1000))
            except (OSError, RedisError):
                # Redis restarting: wait, then read on from the same positions.
                await asyncio.sleep(1)
                continue
            positions.update(reading)
            changed: dict[str, str] = {}  # told once, after the batch
            for topic, xid, event in events:
                kind, data = event.get("kind", "message"), event.get("data", {})
                if topic in queues and kind == "changed":
                    changed[topic] = xid
                    continue
                current[topic] = xid
                if line and kind == "state" and data.get("state") not in Chat.IN_LINE:
                    # Out of the line: its nudges are no longer this reader's business.
                    positions.pop(line, None)
                    current.pop(line, None)
                    line = None
                if requester_chat is not None and kind == "state":
                    if data.get("state") in Chat.IN_LINE:
                        keeper.add_waiting(token, requester_chat)  # back in line
                        if line is None or data.get("transferred"):
                            # Back in a line (a transfer to a queue): follow its nudges,
                            # from now on.
                            line = await _follow_line(requester_chat, positions, current, line)
                    else:
                        keeper.waiting.pop(token, None)
                payload = json.dumps({"topic": topic, **data})
                yield (
                    f"id: {push.encode_position(current)}\nevent: {kind}\ndata: {payload}\n\n"
                ).encode()
            if changed:
                # Spread: the streams that pass on the same nudge must not all wake together
                # at the end of their quiet time (and their pages reload together).
                quiet = live.CHANGED_QUIET_SECONDS * random.uniform(0.8, 1.2)  # noqa: S311
                quiet_until = time.monotonic() + quiet
                position = push.encode_position({**current, **changed})
                yield f"id: {position}\nevent: changed\ndata: {{}}\n\n".encode()
            elif not events:
                yield b": keepalive\n\n"
        lived = True
    finally:
        keeper.remove(token)
        # Closed by the browser (the page left): they are no longer on the ticket. At the
        # end of its lifetime the browser reconnects at once, so they stay; and they stay
        # while another of their streams is on it (a second tab, or the reconnected
        # stream of a page whose old connection the server notices only now).
        if present and not lived:
            await _leave(arriving, keeper, on[0], on[1])


async def _leave(arriving: asyncio.Future[dict[str, str]] | None, keeper: _Keeper,
                 ticket_id: int, user_id: int) -> None:  # fmt: skip
    """Take a closed stream's reader off the ticket, after their arrival if it is still
    being written, unless another stream of theirs is on it by then (a second tab, or the
    page reloaded); off the event loop (it may be serving a thousand other streams).
    However long the arrival takes (the thread pool busy; Redis away, when each of its
    calls gives up only after the client's timeouts and retries, tens of seconds): a leave
    before it would be undone by it. Meanwhile the closed stream's task waits, holding
    nothing else."""
    try:
        if arriving is not None and not arriving.done():
            await asyncio.wait([arriving])
            if not arriving.cancelled():
                arriving.exception()  # seen (it is an OSError or RedisError, if any)
        if (user_id, ticket_id) in keeper.streams.values():
            return
        await sync_to_async(presence.leave, thread_sensitive=False)(ticket_id, user_id=user_id)
    except (OSError, RedisError, asyncio.CancelledError):
        pass  # their entry lapses in tickets.presence.FRESH_SECONDS


async def _follow_line(
    chat_id: int, positions: dict[str, str], current: dict[str, str], line: str | None
) -> str | None:
    """The topic of the line the requester's chat waits in now, read from the next read
    on ("$"), in place of the one the stream followed; the old one if it cannot be read."""
    try:
        queue_id = await _database(
            lambda: Chat.objects.filter(pk=chat_id).values_list("queue_id", flat=True).first()
        )
    except Exception:  # the database away: the page still asks for its place on "state"
        logger.warning("Could not read chat %s's queue for its line", chat_id, exc_info=True)
        return line
    if queue_id is None:
        return line
    new = live_line_topic(queue_id)
    if new != line:
        if line is not None:
            positions.pop(line, None)
            current.pop(line, None)
        positions[new] = push.LATEST
    return new


def _arrive(user_id: int, ticket_id: int | None, name: str, language: str) -> dict[str, str]:
    """The person's sign of life and, on a ticket, their presence there; the "ready"
    event's data: who else is there (the presence box's HTML) when on a ticket."""
    agents.touch([user_id])
    if ticket_id is None:
        return {}
    others = presence.arrive(ticket_id, user_id=user_id, name=name)
    with translation.override(language):
        return {"presence": presenters.presence_box(others)}


async def _close_request_connections() -> None:
    """Close what the middleware opened in this request's own thread (reading the
    session, the person's language): Django would keep it until the stream ends."""
    await sync_to_async(connections.close_all)()


def _then_close(fn: Callable[[], T]) -> T:
    try:
        return fn()
    finally:
        connections.close_all()


async def _database(fn: Callable[[], T]) -> T:
    """Run ``fn`` in the shared thread pool and close the connection it used there: a
    connection held by each open stream would exhaust PostgreSQL's (the chat bench found
    ~150 idle ones at a few hundred streams)."""
    return await sync_to_async(_then_close, thread_sensitive=False)(fn)


def _signed_in(request: HttpRequest) -> Any:
    user = request.user
    return user if user.is_authenticated else None


@require_GET
async def agent_stream(request: HttpRequest) -> HttpResponseBase:
    if not isinstance(request, ASGIRequest):
        return _not_here()
    return await _agent_stream(request)


async def _agent_stream(request: HttpRequest) -> HttpResponseBase:
    found = await _database(lambda: _agent_topics(request))
    if found is None:
        return JsonResponse({"detail": "Sign in first."}, status=403)
    user_id, topics, ticket_id, name, offers = found
    return _stream(request, topics, with_cookies=True, touch_user=user_id, on_ticket=ticket_id,
                   name=name, offers=offers)  # fmt: skip


def _agent_topics(
    request: HttpRequest,
) -> tuple[int, list[str], int | None, str, list[dict[str, Any]]] | None:
    """(who, their topics, the ticket they are on, their name, the chats offered to them
    now) in one trip to the thread pool: the person's own topic, their chats', their
    queues' if the page asks, and the page's ticket if they see it."""
    user = _signed_in(request)
    if user is None:
        return None
    chats = selectors.my_chats(user)
    topics = [agents.user_topic(user.pk), *[f"chat:{chat.pk}" for chat in chats]]
    now = timezone.now()
    offers = [{**services.offer_payload(chat),
               "seconds": int((chat.offer_expires_at - now).total_seconds())}
              for chat in chats if chat.state == Chat.State.OFFERED
              and chat.offer_expires_at is not None and chat.offer_expires_at > now]  # fmt: skip
    if request.GET.get("queues") == "1":
        # Only a page that reloads on them asks: every change in a queue wakes every
        # stream that follows it (at 1,000 agents most of them on tickets, whose pages
        # did nothing with the nudge: bench/agents.py).
        queue_ids = ticket_selectors.visible_queue_ids(user)
        topics += [live.queue_topic(pk) for pk in queue_ids[:MAX_QUEUES]]
    ticket_id = _ticket_seen_by(user, request.GET.get("ticket", ""))
    if ticket_id is not None:
        topics.append(presence.topic(ticket_id))
    return user.pk, topics, ticket_id, user.get_short_name(), offers


def _ticket_seen_by(user: Any, reference: str) -> int | None:
    """The ticket's id if this person may see it (the page asked for it); else none."""
    return ticket_selectors.visible_ticket_id(user, reference[:40]) if reference else None


@require_GET
async def chat_stream(request: HttpRequest, pk: int) -> HttpResponseBase:
    if not isinstance(request, ASGIRequest):
        return _not_here()
    return await _chat_stream(request, pk)


async def _chat_stream(request: HttpRequest, pk: int) -> HttpResponseBase:
    def chat_seen() -> Any:
        user = _signed_in(request)
        return None if user is None else selectors.get_chat_for(user, pk)

    try:
        chat = await _database(chat_seen)
    except DomainError as exc:
        return JsonResponse({"detail": str(exc)}, status=exc.status)
    if chat is None:
        return JsonResponse({"detail": "Sign in first."}, status=403)
    return _stream(request, [chat.topic], with_cookies=True)


@require_GET
async def requester_stream(request: HttpRequest, token: str) -> HttpResponseBase:
    if not isinstance(request, ASGIRequest):
        return _not_here()
    return await _requester_stream(request, token)


async def _requester_stream(request: HttpRequest, token: str) -> HttpResponseBase:
    try:
        chat = await _database(lambda: services.chat_for_token(token))
    except DomainError as exc:
        return JsonResponse({"detail": str(exc)}, status=exc.status)
    if chat.state in Chat.IN_LINE:
        # Waiting: also the line's nudges (their place moved), until the chat leaves it.
        return _stream(request, [chat.topic, chat.line_topic], with_cookies=False,
                       line=chat.line_topic, requester_chat=chat.pk)  # fmt: skip
    return _stream(request, [chat.topic], with_cookies=False, requester_chat=chat.pk)
