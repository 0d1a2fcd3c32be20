"""The push server for real: uvicorn serving the event streams from the test database and
Redis. A chat goes on across a kill of the push server with nothing missing or doubled,
and a stream opens only for who may read it."""

import json
import signal

import httpx
import pytest
from django.test import Client

from chat import services
from tests import processes

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def push_port():
    port = processes.free_port()
    server = processes.start_push(port)
    yield port, server
    processes.stop(server)


def _events(lines, count):  # type: ignore[no-untyped-def]
    """The next ``count`` events of a stream's lines (keepalive comments skipped), as
    (id, kind, data)."""
    found, event = [], {}
    for line in lines:
        if line.startswith(":") or line.startswith("retry:"):
            continue
        if not line:
            if event:
                found.append((event.get("id", ""), event.get("event", "message"),
                              json.loads(event.get("data", "{}"))))  # fmt: skip
                event = {}
                if len(found) == count:
                    return found
            continue
        field, _sep, value = line.partition(": ")
        event[field] = value
    return found


async def _read_kinds(stream, kinds):  # type: ignore[no-untyped-def]
    """Read a stream's chunks, noting the kind of each event in ``kinds``."""
    async for chunk in stream:
        kinds.extend(line[7:] for line in chunk.decode().splitlines()
                     if line.startswith("event: "))  # fmt: skip


async def _heard(kinds, kind, count):  # type: ignore[no-untyped-def]
    """Whether ``count`` events of ``kind`` came within 5 s."""
    import asyncio

    for _n in range(100):
        if kinds.count(kind) >= count:
            return True
        await asyncio.sleep(0.05)
    return False


def test_a_chat_goes_on_across_a_push_server_crash_with_nothing_missing(line, online, start,
                                                                       push_port):  # fmt: skip
    port, server = push_port
    ana = line["chatters"]["ana"]
    online(ana)
    chat, token = start()
    services.chat_accept(actor=ana, chat=chat)
    url = f"http://127.0.0.1:{port}/push/c/{token}/"
    with httpx.stream("GET", url, timeout=30) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = response.iter_lines()
        [(position, kind, _data)] = _events(lines, 1)
        assert kind == "ready"
        services.chat_agent_send(actor=ana, chat=chat, body="Hola María", client_id="a-1")
        [(position, kind, data)] = _events(lines, 1)
        assert (kind, data["body"]) == ("message", "Hola María")
    # The push server dies mid-chat; the conversation goes on meanwhile.
    processes.stop(server, signal.SIGKILL)
    services.chat_requester_send(chat=chat, body="¿Sigues ahí?", client_id="r-2")
    services.chat_agent_send(actor=ana, chat=chat, body="Sí, aquí estoy", client_id="a-2")
    services.chat_requester_send(chat=chat, body="¿Sigues ahí?", client_id="r-2")  # a retry
    restarted = processes.start_push(port)
    try:
        with httpx.stream("GET", url, headers={"Last-Event-ID": position},
                          timeout=30) as response:  # fmt: skip
            events = _events(response.iter_lines(), 3)
    finally:
        processes.stop(restarted)
    assert [kind for _id, kind, _d in events] == ["ready", "message", "message"]
    assert [d["body"] for _id, _k, d in events[1:]] == ["¿Sigues ahí?", "Sí, aquí estoy"]


def test_streams_open_only_for_who_may_read_them(line, online, start, push_port):
    port, _server = push_port
    chat, _token = start()
    base = f"http://127.0.0.1:{port}/push"
    assert httpx.get(f"{base}/c/not-a-token/", timeout=10).status_code == 404
    assert httpx.get(f"{base}/agent/", timeout=10).status_code == 403
    assert httpx.get(f"{base}/chat/{chat.pk}/", timeout=10).status_code == 403
    # Another vendor's agent: the chat's ticket is not theirs to see.
    outsider = Client()
    outsider.force_login(line["chatters"]["atlas"])
    cookies = {"sessionid": outsider.cookies["sessionid"].value}
    assert httpx.get(f"{base}/chat/{chat.pk}/", cookies=cookies, timeout=10).status_code == 404
    # A page of another site may not read an agent's stream with their cookies.
    evil = httpx.get(f"{base}/agent/", cookies=cookies, timeout=10,
                     headers={"Origin": "https://evil.example"})  # fmt: skip
    assert evil.status_code == 403
    # Their own stream opens (and says where it starts).
    with httpx.stream("GET", f"{base}/agent/", cookies=cookies, timeout=30) as response:
        assert response.status_code == 200
        assert _events(response.iter_lines(), 1)[0][1] == "ready"


def test_an_agents_stream_says_what_is_offered_to_them_when_it_opens(line, online, start,
                                                                     push_port):  # fmt: skip
    """An offer is pushed once, to the page open at that moment: the agent who opens
    another page during the offer's seconds must still see it, so every stream's "ready"
    carries the chats offered to its agent now (and none once taken)."""
    port, _server = push_port
    ana = line["chatters"]["ana"]
    online(ana)
    chat, _token = start()
    assert chat.state == chat.State.OFFERED and chat.offered_to_id == ana.pk
    client = Client()
    client.force_login(ana)
    cookies = {"sessionid": client.cookies["sessionid"].value}
    url = f"http://127.0.0.1:{port}/push/agent/"

    def ready() -> dict:
        with httpx.stream("GET", url, cookies=cookies, timeout=30) as response:
            [(_id, kind, data)] = _events(response.iter_lines(), 1)
        assert kind == "ready"
        return data

    [offer] = ready()["offers"]
    assert offer["chat"] == chat.pk
    assert offer["reference"] == chat.ticket.reference
    assert offer["requester"] == "María"
    assert 0 < offer["seconds"] <= 30
    services.chat_accept(actor=ana, chat=chat)
    assert "offers" not in ready()


def test_an_agents_stream_hears_of_changes_in_their_queues_only(line, start, push_port):
    """The push channels are scoped like the pages: Ana (who works the chat queue) hears
    that it changed; Ali at Atlas (who does not) hears nothing of it, only his own. (The
    queue page asks for its queues' nudges: ``?queues=1``.)"""
    port, _server = push_port
    base = f"http://127.0.0.1:{port}/push/agent/?queues=1"

    def stream_of(user):  # type: ignore[no-untyped-def]
        client = Client()
        client.force_login(user)
        return httpx.stream("GET", base, cookies={"sessionid": client.cookies["sessionid"].value},
                            timeout=30)  # fmt: skip

    ana, ali = line["chatters"]["ana"], line["chatters"]["atlas"]
    with stream_of(ana) as mine, stream_of(ali) as theirs:
        ana_lines, ali_lines = mine.iter_lines(), theirs.iter_lines()
        assert _events(ana_lines, 1)[0][1] == "ready"
        assert _events(ali_lines, 1)[0][1] == "ready"
        start()  # a new chat: a new ticket in the chat queue
        kinds = [kind for _id, kind, _data in _events(ana_lines, 1)]
        assert kinds == ["changed"]
        # Ali's own topic gets an event; the queue's change never reached him before it.
        from chat import agents
        from core import push

        push._append([(agents.user_topic(ali.pk), json.dumps({"kind": "status", "data": {}}))])
        assert [kind for _id, kind, _d in _events(ali_lines, 1)] == ["status"]


def test_a_queue_change_is_passed_on_once_then_queues_are_quiet(line, start, push_port):
    """A busy queue nudges many times a second; the page reloads at most every 10 s. The
    stream passes on one "changed", reads no queue for CHANGED_QUIET_SECONDS (its own
    events still come at once), then tells of what came meanwhile in one "changed"."""
    import time

    from chat import agents, live
    from core import push

    port, _server = push_port
    ana = line["chatters"]["ana"]
    client = Client()
    client.force_login(ana)
    cookies = {"sessionid": client.cookies["sessionid"].value}
    with httpx.stream("GET", f"http://127.0.0.1:{port}/push/agent/?queues=1", cookies=cookies,
                      timeout=30) as response:  # fmt: skip
        lines = response.iter_lines()
        assert _events(lines, 1)[0][1] == "ready"
        chat, _token = start()
        assert [kind for _id, kind, _d in _events(lines, 1)] == ["changed"]
        told = time.monotonic()
        nudge = json.dumps({"kind": "changed", "data": {}})
        push._append([(live.queue_topic(chat.queue_id), nudge)] * 3)
        push._append([(agents.user_topic(ana.pk), json.dumps({"kind": "status", "data": {}}))])
        [(_id, kind, _data)] = _events(lines, 1)
        assert kind == "status" and time.monotonic() - told < 3
        [(position, kind, _data)] = _events(lines, 1)
        assert kind == "changed" and time.monotonic() - told >= 4
        # All three in that one: its position is past them, and nothing else follows.
        topic = live.queue_topic(chat.queue_id)
        assert f"{topic}={push.latest_ids([topic])[topic]}" in position.split()
        push._append([(agents.user_topic(ana.pk), json.dumps({"kind": "status", "data": {}}))])
        assert [kind for _id, kind, _d in _events(lines, 1)] == ["status"]


def test_two_chats_starting_at_once_never_take_an_agents_last_place_twice(line, online):
    """Each start counts the agent's load with their row locked: with room for one chat,
    two started at the same moment give one offer, and the other chat waits."""
    import threading

    from django.db import connection

    from chat.models import Chat

    ana = line["chatters"]["ana"]
    online(ana, limit=1)
    barrier, problems = threading.Barrier(2), []

    def start_one(n: int) -> None:
        try:
            barrier.wait()
            services.chat_start(name=f"R{n}", email=f"r{n}@example.net", language="es",
                                body="Hola", client_id=f"c{n}")  # fmt: skip
        except Exception as exc:
            problems.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=start_one, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert problems == []
    states = sorted(Chat.objects.values_list("state", flat=True))
    assert states == ["offered", "waiting"]


def test_a_ticket_pages_stream_carries_presence_and_new_messages_to_who_may_see_it(
        line, start, push_port):  # fmt: skip
    """Ben has a ticket open: he hears Ana arrive and start replying, and that she added a
    note; Ali (another vendor) asking for that ticket's news gets none."""
    from chat import agents
    from core import push
    from tickets import presence
    from tickets.services import ticket_reply

    port, _server = push_port
    chat, _token = start()
    ticket = chat.ticket
    ana, ben, ali = (line["chatters"][name] for name in ("ana", "ben", "atlas"))

    def stream_of(user):  # type: ignore[no-untyped-def]
        client = Client()
        client.force_login(user)
        return httpx.stream("GET", f"http://127.0.0.1:{port}/push/agent/",
                            params={"ticket": ticket.reference},
                            cookies={"sessionid": client.cookies["sessionid"].value},
                            timeout=30)  # fmt: skip

    with stream_of(ben) as bens, stream_of(ali) as alis:
        ben_lines, ali_lines = bens.iter_lines(), alis.iter_lines()
        assert _events(ben_lines, 1)[0][1:] == ("ready", {"presence": ""})  # nobody else
        assert _events(ali_lines, 1)[0][1:] == ("ready", {})  # not on a ticket he may see
        # Ben's stream recorded him as there (his page did not ask), which it announced.
        assert [(k, d) for _i, k, d in _events(ben_lines, 1)] == [
            ("presence", {"topic": f"ticket:{ticket.pk}", "by": ben.pk})]  # fmt: skip
        presence.touch(ticket.pk, user_id=ana.pk, name="Ana", state=presence.VIEWING)
        presence.touch(ticket.pk, user_id=ana.pk, name="Ana", state=presence.VIEWING)
        presence.touch(ticket.pk, user_id=ana.pk, name="Ana", state=presence.REPLYING)
        # Two changes (arrived, replying); the same state again is no news.
        assert [(k, d) for _i, k, d in _events(ben_lines, 2)] == [
            ("presence", {"topic": f"ticket:{ticket.pk}", "by": ana.pk})] * 2  # fmt: skip
        # The chat's start nudged the queue a moment ago: the next nudge would wait out the
        # window (push.nudge), which this test need not.
        from chat import live

        queue_topic = live.queue_topic(ticket.queue_id)
        push.heartbeats.client().delete(f"{push.PREFIX}nudged:{queue_topic}")
        before = push.latest_ids([queue_topic])[queue_topic]
        ticket_reply(actor=ana, ticket=ticket, body="Nota interna", internal=True)
        # The ticket has a new message. Its queue changed too, but a ticket's page does not
        # reload on that: its stream does not follow the queues (no ``?queues=1``).
        kinds = {}
        while "ticket_message" not in kinds:
            [(_id, kind, data)] = _events(ben_lines, 1)
            kinds[kind] = data
        assert "changed" not in kinds
        assert push.latest_ids([queue_topic])[queue_topic] != before  # the nudge went out
        assert (kinds["ticket_message"]["by"], kinds["ticket_message"]["internal"]) == (
            ana.pk, True)  # fmt: skip
        # Ali's stream never carried the ticket: his next event is his own.
        push._append([(agents.user_topic(ali.pk), json.dumps({"kind": "status", "data": {}}))])
        assert [kind for _id, kind, _d in _events(ali_lines, 1)] == ["status"]


def test_a_ticket_pages_stream_says_who_else_is_there_in_the_readers_language(
        line, start, push_port):  # fmt: skip
    """The stream's "ready" carries the presence box, so the page need not ask: Ana (in
    Spanish) opens the ticket Ben is replying to; her stream records her as viewing, and
    when it reconnects her entry keeps the state her page set meanwhile."""
    from core import heartbeats
    from tickets import presence

    port, _server = push_port
    chat, _token = start()
    ticket = chat.ticket
    ana, ben = line["chatters"]["ana"], line["chatters"]["ben"]
    ana.ui_language = "es"
    ana.save(update_fields=["ui_language"])
    presence.touch(ticket.pk, user_id=ben.pk, name="Ben <b>", state=presence.REPLYING)
    client = Client()
    client.force_login(ana)
    key = f"helpdesk:presence:ticket:{ticket.pk}"

    def stream():  # type: ignore[no-untyped-def]
        return httpx.stream("GET", f"http://127.0.0.1:{port}/push/agent/",
                            params={"ticket": ticket.reference}, timeout=30,
                            cookies={"sessionid": client.cookies["sessionid"].value})  # fmt: skip

    def entry() -> dict:
        return json.loads(heartbeats.client().hget(key, str(ana.pk)))

    # Each stream's lines are kept while it is open: a dropped line iterator closes its
    # connection (httpcore), the browser gone, and the push server takes Ana off the ticket.
    with stream() as first:
        first_lines = first.iter_lines()
        [(_id, kind, data)] = _events(first_lines, 1)
        assert kind == "ready"
        # Escaped like the box's own answer, in her language.
        assert "Ben &lt;b&gt; está respondiendo" in data["presence"]
        assert (entry()["name"], entry()["state"]) == (ana.get_short_name(), presence.VIEWING)
        # Her page says she is replying; the stream reconnects and keeps that.
        presence.touch(ticket.pk, user_id=ana.pk, name="Ana", state=presence.REPLYING)
        with stream() as second:
            second_lines = second.iter_lines()
            [(_id, kind, data)] = _events(second_lines, 1)
            assert "Ben &lt;b&gt;" in data["presence"]
            assert entry()["state"] == presence.REPLYING


def test_a_stream_on_a_ticket_ends_its_readers_presence_when_closed(line, start):
    """Closed by the browser (the page left: Django cancels the stream), the reader is
    gone from the ticket at once, not 15 s later."""
    import asyncio
    import contextlib

    from chat.push_views import _events as stream_events
    from tickets import presence

    chat, _token = start()
    ticket = chat.ticket
    ana, ben = line["chatters"]["ana"], line["chatters"]["ben"]
    presence.touch(ticket.pk, user_id=ana.pk, name="Ana", state=presence.REPLYING)
    key = f"helpdesk:presence:ticket:{ticket.pk}"

    async def open_then_close() -> None:
        chunks: list[bytes] = []

        async def read() -> None:
            async for chunk in stream_events({presence.topic(ticket.pk): "$"}, ana.pk, ticket.pk):
                chunks.append(chunk)

        reader = asyncio.create_task(read())
        while not any(b"event: ready" in chunk for chunk in chunks):
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.2)  # the first refresh
        reader.cancel()  # as Django does when the browser goes away
        with contextlib.suppress(asyncio.CancelledError):
            await reader

    from core import heartbeats

    assert heartbeats.client().hget(key, str(ana.pk)) is not None
    asyncio.run(open_then_close())
    assert heartbeats.client().hget(key, str(ana.pk)) is None
    others = presence.touch(ticket.pk, user_id=ben.pk, name="Ben", state=presence.VIEWING)
    assert others == []


def test_a_stream_closed_as_it_says_ready_gives_back_its_place_and_presence(line, start):
    """Django closes the stream's generator (``aclose``) when the browser goes away while
    a chunk is being sent: at "ready" too. Its place in the keeper and its reader's
    presence on the ticket go then; before, a stream closed there stayed in the keeper,
    which went on saying the agent was there (and on the ticket) until the push server
    restarted."""
    import asyncio

    from chat.push_views import _events as stream_events
    from chat.push_views import _keeper
    from core import heartbeats
    from tickets import presence

    chat, _token = start()
    ticket = chat.ticket
    ana = line["chatters"]["ana"]
    key = f"helpdesk:presence:ticket:{ticket.pk}"

    async def close_at_ready() -> None:
        stream = stream_events({presence.topic(ticket.pk): "$"}, ana.pk, ticket.pk, name="Ana")
        async for chunk in stream:
            if b"event: ready" in chunk:
                break
        assert list(_keeper().streams.values()) == [(ana.pk, ticket.pk)]
        assert heartbeats.client().hget(key, str(ana.pk)) is not None
        await stream.aclose()  # what Django's aclosing() does on a failed send
        assert _keeper().streams == {}

    asyncio.run(close_at_ready())
    assert heartbeats.client().hget(key, str(ana.pk)) is None


def test_a_reader_stays_on_the_ticket_while_another_of_their_streams_is_on_it(line, start):
    """Two tabs on one ticket (or a page whose old connection the server notices only
    after the browser has reconnected): the first stream to close must not take its reader
    off the ticket while the other is still open; the last one does."""
    import asyncio
    import contextlib

    from chat.push_views import _events as stream_events
    from core import heartbeats
    from tickets import presence

    chat, _token = start()
    ticket = chat.ticket
    ana = line["chatters"]["ana"]
    key = f"helpdesk:presence:ticket:{ticket.pk}"

    async def two_tabs() -> None:
        chunks: dict[int, list[bytes]] = {1: [], 2: []}

        async def read(tab: int) -> None:
            topics = {presence.topic(ticket.pk): "$"}
            async for chunk in stream_events(topics, ana.pk, ticket.pk, name="Ana"):
                chunks[tab].append(chunk)

        tabs = {tab: asyncio.create_task(read(tab)) for tab in chunks}
        while not all(any(b"event: ready" in c for c in got) for got in chunks.values()):
            await asyncio.sleep(0.02)
        for tab in (1, 2):
            tabs[tab].cancel()  # as Django does when that tab goes away
            with contextlib.suppress(asyncio.CancelledError):
                await tabs[tab]
            there = heartbeats.client().hget(key, str(ana.pk)) is not None
            assert there == (tab == 1), f"after tab {tab} closed"

    asyncio.run(two_tabs())


def test_a_position_keeps_every_topic_of_a_stream_that_follows_all_its_queues():
    """A queue page's stream follows up to MAX_QUEUES queues besides its person's and
    chats' topics: its Last-Event-ID must bring every one back (the person's own topic,
    which sorts after the queues, carries the offers)."""
    from chat.push_views import MAX_QUEUES
    from core import push

    topics = [f"queue:{n}" for n in range(MAX_QUEUES)] + ["chat:7", "user:7"]
    positions = {topic: f"{1700000000000 + n}-0" for n, topic in enumerate(topics)}
    assert push.decode_position(push.encode_position(positions), topics) == positions


def test_one_keeper_keeps_every_open_streams_sign_of_life_and_presence(line, start):
    """The push server writes the signs of life and ticket presence of all its open agent
    streams in one pipeline every few seconds; a closed stream drops out of it."""
    import asyncio
    import contextlib
    import time

    from chat import agents, push_views
    from core import heartbeats
    from tickets import presence

    chat, _token = start()
    ticket = chat.ticket
    people = [line["chatters"]["ana"], line["chatters"]["ben"]]
    client = heartbeats.client()
    key = f"helpdesk:presence:ticket:{ticket.pk}"
    for person in people:
        presence.touch(ticket.pk, user_id=person.pk, name=person.full_name, state="viewing")

    async def scenario() -> None:
        chunks: dict[int, list[bytes]] = {person.pk: [] for person in people}

        async def read(person) -> None:  # type: ignore[no-untyped-def]
            topics = {presence.topic(ticket.pk): "$"}
            async for chunk in push_views._events(topics, person.pk, ticket.pk):
                chunks[person.pk].append(chunk)

        readers = [asyncio.create_task(read(person)) for person in people]
        keeper = push_views._keeper()

        # Each stream joins the keeper as it starts, and says "ready" once its first sign
        # of life is written in a thread (a loaded machine took longer than a first look).
        def ready() -> bool:
            return all(any(b"event: ready" in c for c in got) for got in chunks.values())

        deadline = time.monotonic() + 10
        while not (len(keeper.streams) == len(people) and ready()):
            if time.monotonic() > deadline:
                break
            await asyncio.sleep(0.02)
        assert all(any(b"event: ready" in c for c in got) for got in chunks.values())
        assert sorted(keeper.streams.values()) == sorted((p.pk, ticket.pk) for p in people)
        # Both gone stale, as 15 s without a keep would leave them: one round renews both.
        client.zrem(agents.SEEN_KEY, *[str(p.pk) for p in people])
        for person in people:
            entry = json.loads(client.hget(key, str(person.pk)))
            client.hset(key, str(person.pk), json.dumps({**entry, "at": 0}))
        await keeper.keep_all()
        for person in people:
            assert json.loads(client.hget(key, str(person.pk)))["at"] > time.time() - 5
            assert client.zscore(agents.SEEN_KEY, str(person.pk)) > time.time() - 5
        for reader in readers:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
        assert keeper.streams == {}

    asyncio.run(scenario())


def test_an_open_stream_keeps_its_requester_in_line_until_the_chat_leaves_it(line, online,
                                                                            start):  # fmt: skip
    """While a chat waits, its requester's open stream is their sign of life (the keeper
    writes it with the agents'); once the chat leaves the line it no longer is."""
    import asyncio
    import contextlib
    import time

    from django.db import connections

    from chat import push_views, services
    from core import heartbeats

    chat, _token = start()
    client = heartbeats.client()

    def in_thread(call, *args, **kwargs):  # type: ignore[no-untyped-def]
        """A service call in a worker thread, its connection closed after (the test
        database is dropped at the end)."""

        def run():  # type: ignore[no-untyped-def]
            try:
                return call(*args, **kwargs)
            finally:
                connections.close_all()

        return asyncio.to_thread(run)

    async def scenario() -> None:
        chunks: list[bytes] = []

        async def read() -> None:
            topics = {chat.topic: "$", chat.line_topic: "$"}
            async for chunk in push_views._events(topics, None, line=chat.line_topic,
                                                  requester_chat=chat.pk):  # fmt: skip
                chunks.append(chunk)

        reader = asyncio.create_task(read())
        while not any(b"event: ready" in c for c in chunks):
            await asyncio.sleep(0.02)
        keeper = push_views._keeper()
        assert list(keeper.waiting.values()) == [chat.pk]
        client.zadd(services.LINE_SEEN_KEY, {str(chat.pk): 1.0})
        await keeper.keep_all()
        assert client.zscore(services.LINE_SEEN_KEY, str(chat.pk)) > time.time() - 5
        # An agent takes it: the state event says it left the line.
        ana = line["chatters"]["ana"]
        await in_thread(online, ana)
        await in_thread(services.chat_accept, actor=ana, chat=chat)
        deadline = time.monotonic() + 10
        while keeper.waiting and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        assert keeper.waiting == {}
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader

    asyncio.run(scenario())


def test_a_stream_ends_when_cancelled_at_any_moment_of_its_reads():
    """The browser leaves, the server cancels its stream: the stream ends then, at
    whatever instant it was in. redis-py's sends run under ``asyncio.wait_for``, which on
    Python 3.11 can drop a cancellation that arrives just as a send completes; a stream
    cancelled in its first milliseconds then went on blocking in ``XREAD`` until its
    lifetime ended (5 minutes, with its Redis connection and its reader's presence)."""
    import asyncio
    import contextlib

    from chat import push_views

    async def scenario() -> None:
        for attempt in range(40):
            started = asyncio.Event()

            async def read(started: asyncio.Event) -> None:
                topics = {"queue:991": "$", "queue:992": "$"}
                async for _chunk in push_views._events(topics, None):
                    started.set()

            reader = asyncio.create_task(read(started))
            await started.wait()
            # Instants spread over the stream's first reads (0 to 8 ms).
            await asyncio.sleep(attempt * 0.0002)
            reader.cancel()
            await asyncio.wait([reader], timeout=2)
            assert reader.done(), f"cancelled {attempt * 0.2:.1f} ms in, it read on"
            with contextlib.suppress(asyncio.CancelledError):
                await reader

    asyncio.run(scenario())


def test_nudges_to_a_topic_go_out_at_most_once_a_window():
    """A busy queue nudges its readers at most once a window: the pages ask again at least
    a second after a nudge, so the ones held back cost nothing they would have told."""
    import time

    from core import heartbeats, push

    client = heartbeats.client()
    for _n in range(5):
        push.nudge(["queue:1", "line:1"], "changed")  # outside a transaction: at once
    assert client.xlen(push.key("queue:1")) == 1
    assert client.xlen(push.key("line:1")) == 1
    time.sleep(push.NUDGE_WINDOW_MS / 1000 + 0.1)
    push.nudge(["queue:1"], "changed")
    assert client.xlen(push.key("queue:1")) == 2


def test_a_waiting_requester_hears_the_line_move_until_an_agent_takes_the_chat(line, online,
                                                                               start):  # fmt: skip
    """One nudge on the queue's line reaches every requester in it (not an event per chat);
    once their chat is taken, their stream stops reading the line."""
    import asyncio
    import contextlib

    from django.db import connections

    from chat.push_views import _events as stream_events
    from core import heartbeats, push

    ana = line["chatters"]["ana"]
    chat, _token = start()  # nobody online: it waits
    chat.refresh_from_db()
    assert chat.state == chat.State.WAITING
    kinds: list[str] = []

    def nudge_line() -> None:
        heartbeats.client().delete(f"{push.PREFIX}nudged:{chat.line_topic}")
        push.nudge([chat.line_topic], "line")

    def take() -> None:  # in a thread of its own, which gives its connection back
        try:
            services.chat_accept(actor=ana, chat=chat)
        finally:
            connections.close_all()

    online(ana)  # she comes online, and takes the chat below

    async def listen() -> None:
        positions = {chat.topic: "$", chat.line_topic: "$"}

        reader = asyncio.create_task(
            _read_kinds(stream_events(positions, None, None, chat.line_topic), kinds)
        )

        async def heard(kind: str, count: int) -> None:
            await _heard(kinds, kind, count)

        await heard("ready", 1)
        await asyncio.to_thread(nudge_line)
        await heard("line", 1)
        await asyncio.to_thread(take)
        await heard("state", 1)
        await asyncio.to_thread(nudge_line)
        await asyncio.sleep(0.5)
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader

    asyncio.run(listen())
    assert kinds.count("line") == 1
    assert "state" in kinds


def test_a_stream_closed_while_its_reader_arrives_takes_them_off_the_ticket(
        line, start, monkeypatch):  # fmt: skip
    """The browser leaves while the stream is still writing its reader's arrival (in a
    thread): the stream waits for the arrival before it takes them off the ticket, and
    does so off the event loop, even when the arrival takes longer than PRESENCE_SECONDS.
    Before, the leave could run first and the arrival then put them back, "viewing" for
    FRESH_SECONDS after they had gone."""
    import asyncio
    import contextlib
    import threading

    from chat import push_views
    from core import heartbeats
    from tickets import presence

    chat, _token = start()
    ticket = chat.ticket
    ana = line["chatters"]["ana"]
    key = f"helpdesk:presence:ticket:{ticket.pk}"
    arrive, leave = push_views._arrive, presence.leave
    began = threading.Event()
    left_in: list[int] = []
    done: list[str] = []

    def slow_arrive(*args, **kwargs):  # type: ignore[no-untyped-def]
        began.set()
        threading.Event().wait(0.3)
        try:
            return arrive(*args, **kwargs)
        finally:
            done.append("arrived")

    def leave_here(*args, **kwargs):  # type: ignore[no-untyped-def]
        left_in.append(threading.get_ident())
        done.append("left")
        return leave(*args, **kwargs)

    monkeypatch.setattr(push_views, "_arrive", slow_arrive)
    monkeypatch.setattr(presence, "leave", leave_here)
    monkeypatch.setattr(push_views, "PRESENCE_SECONDS", 0.1)  # the arrival outlasts it

    async def close_while_arriving() -> int:
        stream = push_views._events({presence.topic(ticket.pk): "$"}, ana.pk, ticket.pk,
                                    name="Ana")  # fmt: skip
        reader = asyncio.create_task(_read_kinds(stream, []))
        while not began.is_set():
            await asyncio.sleep(0.01)
        reader.cancel()  # as Django does when the browser goes away
        with contextlib.suppress(asyncio.CancelledError):
            await reader
        return threading.get_ident()

    loop_thread = asyncio.run(close_while_arriving())
    assert done == ["arrived", "left"]
    assert heartbeats.client().hget(key, str(ana.pk)) is None
    assert left_in and loop_thread not in left_in


def test_a_requesters_stream_follows_the_line_their_chat_is_transferred_to(line, online,
                                                                           start):  # fmt: skip
    """Taken by an agent, the chat leaves the line and the stream stops reading it; moved
    to another queue, it waits in that queue's line, and the stream reads that line's
    nudges (the requester's place there), not the old one's."""
    import asyncio
    import contextlib

    from django.db import connections

    from chat.push_views import _events as stream_events
    from core import heartbeats, push
    from tickets import selectors as ticket_selectors

    ana = line["chatters"]["ana"]
    chat, _token = start()  # nobody online: it waits
    other = line["queue"].__class__.objects.create(name="Billing chat", slug="billing-chat")
    other.teams.set([line["teams"]["inhouse"]])
    kinds: list[str] = []

    def nudge(topic: str) -> None:
        heartbeats.client().delete(f"{push.PREFIX}nudged:{topic}")
        push.nudge([topic], "line")

    def in_thread(call):  # type: ignore[no-untyped-def]
        def run() -> None:
            try:
                call()
            finally:
                connections.close_all()

        return asyncio.to_thread(run)

    online(ana)

    def transfer() -> None:
        ticket_selectors.forget_visible_queues(ana)
        services.chat_transfer(actor=ana, chat=chat, to_queue=other)

    async def listen() -> None:
        positions = {chat.topic: "$", chat.line_topic: "$"}

        stream = stream_events(positions, None, None, chat.line_topic, requester_chat=chat.pk)
        reader = asyncio.create_task(_read_kinds(stream, kinds))

        async def heard(kind: str, count: int) -> None:
            assert await _heard(kinds, kind, count), f"no {count} {kind!r} in {kinds}"

        await heard("ready", 1)
        await in_thread(lambda: services.chat_accept(actor=ana, chat=chat))
        await heard("state", 1)
        await in_thread(transfer)
        await heard("state", 2)
        await asyncio.sleep(0.2)  # the stream reads the new line from here
        await asyncio.to_thread(nudge, chat.line_topic)  # the old line: not theirs now
        await asyncio.to_thread(nudge, f"line:{other.pk}")
        await heard("line", 1)
        await asyncio.sleep(0.3)
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader

    asyncio.run(listen())
    assert kinds.count("line") == 1
