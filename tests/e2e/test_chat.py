"""Live chat in two browsers: a requester in the help center and an agent, with the real
push server (uvicorn) between them. An offer declined by one agent reaches the next; the
two talk in Spanish; the push server is killed mid-chat and the chat resumes with nothing
missing. In Arabic the widget reads right to left."""

import re
import signal
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from chat import services
from chat.models import Chat
from tests import factories, processes
from tests.e2e.conftest import sign_in
from tickets import services as ticket_services
from tickets.models import Message

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def push_server(live_server, settings):
    """The push server on its own port; pages of the live server read their streams there."""
    port = processes.free_port()
    env = {"PUSH_ALLOWED_ORIGINS": live_server.url}
    server = processes.start_push(port, env=env)
    settings.PUSH_URL = f"http://localhost:{port}"
    policy = {**settings.CONTENT_SECURITY_POLICY}
    policy["DIRECTIVES"] = {**policy["DIRECTIVES"],
                            "connect-src": ["'self'", settings.PUSH_URL]}  # fmt: skip
    settings.CONTENT_SECURITY_POLICY = policy
    holder = {"server": server, "port": port, "env": env}
    yield holder
    processes.stop(holder["server"])


def test_a_chat_in_spanish_offered_declined_accepted_and_resumed_after_a_push_crash(
        browser, live_server, line, online, push_server, console_errors):  # fmt: skip
    ana, ben = line["chatters"]["ana"], line["chatters"]["ben"]
    online(ben)  # Ben is first in line for offers (he has waited longest)

    agent = _agent(browser, live_server, console_errors, ana)
    # The page's script listens for the choice: chosen before it ran, it would go unsent
    # (two clean-clone runs saw the announcement never come).
    agent.wait_for_function("() => window.helpdeskPush === true")  # (a function: CSP forbids eval)
    agent.get_by_label("Your availability").select_option("online")
    expect(agent.locator("#chat-announce")).to_have_text("Online", timeout=15_000)

    requester, chat_box = _requester(
        browser, live_server, console_errors, "María", "maria@example.net",
        "No puedo entrar en mi cuenta",
    )  # fmt: skip

    # Ben declines; the offer comes to Ana, pushed to her page.
    chat = Chat.objects.get()
    assert chat.offered_to == ben and chat.language == "es"
    services.chat_decline(actor=ben, chat=chat)
    offer = agent.get_by_test_id("chat-offer")
    expect(offer).to_contain_text("No puedo entrar en mi cuenta")
    offer.get_by_role("button", name="Accept chat").click()
    expect(agent).to_have_url(re.compile(f"/tickets/{chat.ticket.reference}/"))
    panel = agent.get_by_test_id("chat-panel")
    expect(panel.locator(".chat-line")).to_have_count(1)
    expect(chat_box.locator(".hd-chat-status")).to_contain_text("Ana")
    # The page's "a new message came in" warning: hidden until someone else adds one (a
    # note, here; the chat's own lines show in the panel).
    news = agent.get_by_test_id("ticket-news")
    expect(news).to_be_hidden()
    agent.wait_for_function("() => window.helpdeskPush === true")  # (a function: CSP forbids eval)
    ticket_services.ticket_reply(actor=ben, ticket=chat.ticket, internal=True,
                                 body="Checked: the address is hers.")  # fmt: skip
    expect(news).to_be_visible()

    panel.get_by_label("Chat message").fill("Hola María, ¿qué correo usas para entrar?")
    panel.get_by_label("Chat message").press("Enter")
    log = chat_box.get_by_role("log")
    expect(log).to_contain_text("¿qué correo usas para entrar?")
    requester.get_by_label("Escribe un mensaje").fill("maria@example.net")
    requester.get_by_label("Escribe un mensaje").press("Enter")
    expect(panel.locator(".chat-log")).to_contain_text("maria@example.net")

    # The push server dies; both sides keep writing; it comes back on the same port.
    processes.stop(push_server["server"], signal.SIGKILL)
    requester.get_by_label("Escribe un mensaje").fill("¿Sigues ahí?")
    requester.get_by_label("Escribe un mensaje").press("Enter")
    panel.get_by_label("Chat message").fill("Sí, te he enviado un enlace.")
    panel.get_by_label("Chat message").press("Enter")
    push_server["server"] = processes.start_push(push_server["port"], env=push_server["env"])
    expect(panel.locator(".chat-log")).to_contain_text("¿Sigues ahí?", timeout=20_000)
    expect(log).to_contain_text("te he enviado un enlace", timeout=20_000)

    # Nothing missing, nothing twice: five messages on each side, as stored (and Ben's
    # note on neither).
    stored = list(Message.objects.filter(ticket=chat.ticket, kind=Message.Kind.PUBLIC)
                  .order_by("id")
                  .values_list("body", flat=True))  # fmt: skip
    assert len(stored) == 5
    expect(panel.locator(".chat-line")).to_have_count(5)
    expect(log.locator("li")).to_have_count(5)

    panel.get_by_role("button", name="End the chat").click()
    expect(chat_box.locator(".hd-chat-status")).to_contain_text("El chat ha terminado")
    agent.context.close()
    requester.context.close()
    # No script error on either side (the refused connections while the push server was
    # down are the browser's, not the page's).
    assert console_errors == []


def test_a_line_that_came_while_a_side_could_not_hear_still_shows_after_its_own_reply(
        browser, live_server, line, online, console_errors):  # fmt: skip
    """Without push both sides ask for what is new after the last line they have. The answer
    to a side's own send must not move that point past a line still on its way: it would
    never show (a clean-clone run lost one so while the push server was down)."""
    ana, agent, requester, chat_box, chat = _accepted_chat(browser, live_server, line, online,
                                                           console_errors)  # fmt: skip
    agent.goto(f"/tickets/{chat.ticket.reference}/")
    panel = agent.get_by_test_id("chat-panel")
    log = chat_box.get_by_role("log")
    expect(panel.locator(".chat-line")).to_have_count(1)
    expect(log.locator("li")).to_have_count(1)

    # Neither side hears anything for a while; meanwhile each other side writes (from
    # another tab), then each writes from the page.
    agent.route(re.compile(r"/chat/\d+/messages/"), lambda route: route.abort())
    requester.route(re.compile(r"/help/chat/s/[^/]+/\?after="), lambda route: route.abort())
    services.chat_requester_send(chat=chat, body="Desde el móvil: ¿hola?")
    services.chat_agent_send(actor=ana, chat=chat, body="From my other tab: hello")
    panel.get_by_label("Chat message").fill("Looking now.")
    panel.get_by_label("Chat message").press("Enter")
    requester.get_by_label("Escribe un mensaje").fill("Gracias")
    requester.get_by_label("Escribe un mensaje").press("Enter")
    expect(panel.locator(".chat-pending")).to_have_count(0)
    expect(log.locator(".hd-chat-pending")).to_have_count(0)

    agent.unroute(re.compile(r"/chat/\d+/messages/"))
    requester.unroute(re.compile(r"/help/chat/s/[^/]+/\?after="))
    for text in ("Desde el móvil", "From my other tab", "Looking now.", "Gracias"):
        expect(panel.locator(".chat-log")).to_contain_text(text)
        expect(log).to_contain_text(text)
    expect(panel.locator(".chat-line")).to_have_count(5)
    expect(log.locator("li")).to_have_count(5)
    agent.context.close()
    requester.context.close()
    assert console_errors == []


def test_an_unanswered_ask_for_what_came_before_a_stream_began_is_asked_again(
        browser, live_server, line, online, push_server, console_errors):  # fmt: skip
    """Each side learns what came before its stream began from one ask, when the stream
    says "ready". Unanswered (the network, a busy server), it is asked again a few seconds
    later: before, a line sent at that moment waited for the stream's next "ready", five
    minutes on (bench/chat.py: agents and requesters who heard nothing more)."""
    ana, agent, requester, chat_box, chat = _accepted_chat(browser, live_server, line, online,
                                                           console_errors)  # fmt: skip

    def nth_fails(asks: list[str], n: int):  # type: ignore[no-untyped-def]
        def handle(route):  # type: ignore[no-untyped-def]
            asks.append(route.request.url)
            if len(asks) == n:
                route.abort()
            else:
                route.continue_()

        return handle

    def before_the_stream(send):  # type: ignore[no-untyped-def]
        sent: list[Message] = []

        def handle(route):  # type: ignore[no-untyped-def]
            if not sent:  # the line is stored before the stream starts reading
                sent.append(send())
            route.continue_()

        return handle

    # The agent's page: a line comes after the page was drawn, before its chat stream
    # began; the stream's first ask for it goes unanswered.
    agent_asks: list[str] = []
    agent.route(re.compile(r"/chat/\d+/messages/"), nth_fails(agent_asks, 1))
    agent.route(
        re.compile(r"/push/chat/\d+/"),
        before_the_stream(lambda: services.chat_requester_send(chat=chat, body="¿Hola? Sigo aquí")),
    )
    agent.goto(f"/tickets/{chat.ticket.reference}/")
    panel = agent.get_by_test_id("chat-panel")
    expect(panel.locator(".chat-log")).to_contain_text("Sigo aquí", timeout=10_000)
    assert len(agent_asks) == 2  # the first unanswered, then asked again once

    # The requester's page, reloaded (the widget keeps its chat): it asks, then opens its
    # stream; an answer comes before the stream began, and the ask on "ready" goes
    # unanswered.
    asks: list[str] = []
    requester.route(re.compile(r"/help/chat/s/[^/]+/\?after="), nth_fails(asks, 2))
    requester.route(
        re.compile(r"/push/c/[^/]+/"),
        before_the_stream(
            lambda: services.chat_agent_send(actor=ana, chat=chat, body="Te envío un enlace")
        ),
    )
    requester.reload()
    expect(chat_box.get_by_role("log")).to_contain_text("Te envío un enlace", timeout=10_000)
    assert len(asks) == 3  # on load, on "ready" (unanswered), and again
    agent.context.close()
    requester.context.close()
    assert console_errors == []


def test_the_chat_reads_right_to_left_in_arabic(browser, live_server, line):
    context = browser.new_context(base_url=live_server.url, locale="ar")
    page = context.new_page()
    page.goto("/help/chat/?lang=ar")
    widget = page.locator("section.hd-chat")
    expect(widget).to_have_attribute("dir", "rtl")
    expect(widget).to_have_attribute("lang", "ar")
    # Nobody is online: it offers to leave a message, in Arabic.
    expect(widget.get_by_role("button")).not_to_have_text("Leave a message")
    context.close()


def test_with_nobody_available_the_requester_leaves_a_message_that_becomes_an_email_ticket(
        browser, live_server, line, console_errors):  # fmt: skip
    from tickets.models import Notification, Ticket

    context = browser.new_context(base_url=live_server.url, locale="es-ES")
    page = context.new_page()
    page.on("pageerror", lambda exc: console_errors.append(str(exc)))
    page.goto("/help/chat/")
    box = page.get_by_test_id("help-chat")
    expect(box.locator(".hd-chat-notice")).to_be_visible()  # nobody speaks Spanish now
    box.get_by_label("Tu nombre").fill("María")
    box.get_by_label("Tu correo electrónico").fill("maria@example.net")
    box.get_by_label("¿En qué podemos ayudarte?").fill("Me cobraron dos veces")
    box.locator(".hd-chat-form button[type=submit]").click()
    expect(box.locator(".hd-chat-status")).to_contain_text(re.compile(r"[A-Z0-9]{10}"))
    ticket = Ticket.objects.get()
    expect(box.locator(".hd-chat-status")).to_contain_text(ticket.reference)
    assert ticket.channel == "email" and Chat.objects.get().state == Chat.State.LEFT_MESSAGE
    mail = Notification.objects.get(ticket=ticket, kind="chat_left_message")
    assert mail.recipient == "maria@example.net" and "Me cobraron dos veces" in mail.body
    context.close()
    assert console_errors == []


def test_a_start_whose_answer_was_lost_is_sent_again_and_makes_one_chat(
        browser, live_server, line, online, console_errors):  # fmt: skip
    """The first start reaches the server, which makes the chat, but its answer never
    reaches the page; the requester is told to try again, and sending again gets that
    same chat (the widget keeps its start key), not a second one in line."""
    online(line["chatters"]["ana"])
    context = browser.new_context(base_url=live_server.url, locale="es-ES")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.on("pageerror", lambda exc: console_errors.append(str(exc)))
    answered = []

    def lose_the_first_answer(route):  # type: ignore[no-untyped-def]
        if answered:
            route.continue_()
            return
        answered.append(route.fetch())  # the server's answer, which the page never gets
        route.abort()

    page.route(re.compile(r"/help/chat/start/$"), lose_the_first_answer)
    page.goto("/help/chat/")
    box = page.get_by_test_id("help-chat")
    box.get_by_label("Tu nombre").fill("María")
    box.get_by_label("Tu correo electrónico").fill("maria@example.net")
    box.get_by_label("¿En qué podemos ayudarte?").fill("Me cobraron dos veces")
    box.get_by_role("button", name="Iniciar el chat").click()
    expect(box.get_by_role("alert")).to_contain_text("Algo salió mal")
    assert answered[0].status == 201 and Chat.objects.count() == 1
    box.get_by_role("button", name="Iniciar el chat").click()
    expect(box.locator(".hd-chat-status")).to_contain_text("número 1")
    chat = Chat.objects.get()
    assert answered[0].json()["token"] and Message.objects.filter(ticket=chat.ticket).count() == 1
    context.close()
    assert console_errors == []


def test_an_offer_still_shows_after_the_agent_opens_another_page(
        browser, live_server, line, online, push_server, console_errors):  # fmt: skip
    """An offer is pushed once, to the page open at that moment. The agent who goes to
    another page during its seconds (the queue, "Send and next") still sees it there: the
    new page's stream says what is offered to them when it opens."""
    ana = line["chatters"]["ana"]
    online(ana)
    agent = _agent(browser, live_server, console_errors, ana)
    agent.wait_for_function("() => window.helpdeskPush === true")  # (a function: CSP forbids eval)
    _page, _box = _requester(browser, live_server, console_errors, "María",
                             "maria@example.net", "No puedo entrar en mi cuenta")  # fmt: skip
    chat = Chat.objects.get()
    assert chat.offered_to == ana
    expect(agent.get_by_test_id("chat-offer")).to_contain_text("No puedo entrar en mi cuenta")
    agent.goto("/tickets/")
    offer = agent.get_by_test_id("chat-offer")
    expect(offer).to_have_count(1)
    expect(offer).to_contain_text("María")
    offer.get_by_role("button", name="Accept chat").click()
    expect(agent).to_have_url(re.compile(f"/tickets/{chat.ticket.reference}/"))
    # Taken: the chat's own page offers it no more.
    agent.wait_for_function("() => window.helpdeskPush === true")
    expect(agent.get_by_test_id("chat-offer")).to_have_count(0)


def _agent(browser, live_server, console_errors, user):  # type: ignore[no-untyped-def]
    """An agent signed in, in English, on their home page, in a context of their own."""
    page = browser.new_context(base_url=live_server.url, locale="en-US").new_page()
    page.set_default_timeout(15_000)
    page.on("pageerror", lambda exc: console_errors.append(str(exc)))
    sign_in(page, user.email, factories.PASSWORD)
    return page


def _accepted_chat(browser, live_server, line, online, console_errors):  # type: ignore[no-untyped-def]
    """Ana online and signed in; María's chat, started from the help center and accepted
    by Ana. Returns Ana, her page, María's page, her chat box and the chat."""
    ana = line["chatters"]["ana"]
    online(ana)
    agent = _agent(browser, live_server, console_errors, ana)
    requester, chat_box = _requester(browser, live_server, console_errors, "María",
                                     "maria@example.net", "No puedo entrar")  # fmt: skip
    chat = Chat.objects.get()
    services.chat_accept(actor=ana, chat=chat)
    return ana, agent, requester, chat_box, chat


def _requester(browser, live_server, console_errors, name, email, body):  # type: ignore[no-untyped-def]
    """A Spanish requester who starts a chat from the help center; returns the page and
    the chat box."""
    context = browser.new_context(base_url=live_server.url, locale="es-ES")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.on("pageerror", lambda exc: console_errors.append(str(exc)))
    page.goto("/help/chat/")
    box = page.get_by_test_id("help-chat")
    box.get_by_label("Tu nombre").fill(name)
    box.get_by_label("Tu correo electrónico").fill(email)
    box.get_by_label("¿En qué podemos ayudarte?").fill(body)
    box.get_by_role("button", name="Iniciar el chat").click()
    expect(box.locator(".hd-chat-status")).to_contain_text("número 1")
    return page, box


def test_the_limit_holds_a_chat_in_line_a_transfer_frees_room_a_break_stops_offers_idle_closes(
        browser, live_server, line, online, committed, push_server, console_errors):  # fmt: skip
    from datetime import timedelta

    from django.utils import timezone

    from chat import agents

    ana, ben = line["chatters"]["ana"], line["chatters"]["ben"]
    online(ana, limit=1)  # one chat at a time
    agent = _agent(browser, live_server, console_errors, ana)
    expect(agent.get_by_label("Your availability")).to_have_value("online")
    agent.wait_for_function("() => window.helpdeskPush === true")  # (a function: CSP forbids eval)

    # María's chat comes to Ana, who takes it: she is at her limit.
    _page1, maria = _requester(browser, live_server, console_errors, "María",
                               "maria@example.net", "No puedo entrar en mi cuenta")  # fmt: skip
    first = Chat.objects.get()
    assert first.offered_to == ana
    offer = agent.get_by_test_id("chat-offer")
    offer.get_by_role("button", name="Accept chat").click()
    expect(agent).to_have_url(re.compile(f"/tickets/{first.ticket.reference}/"))
    agent.wait_for_function("() => window.helpdeskPush === true")
    expect(maria.locator(".hd-chat-status")).to_contain_text("Ana se ha unido al chat")
    panel = agent.get_by_test_id("chat-panel")
    panel.get_by_label("Chat message").fill("Hola María, ahora lo miro.")
    panel.get_by_label("Chat message").press("Enter")
    expect(maria.get_by_role("log")).to_contain_text("ahora lo miro")

    # Pablo's chat waits in line: nobody else is online and Ana is full.
    _page2, pablo = _requester(browser, live_server, console_errors, "Pablo",
                               "pablo@example.net", "Me cobraron dos veces")  # fmt: skip
    second = Chat.objects.exclude(pk=first.pk).get()
    assert services.route_waiting() == 0  # what beat does, every few seconds
    second.refresh_from_db()
    assert (second.state, second.offered_to) == (Chat.State.WAITING, None)
    expect(agent.get_by_test_id("chat-offer")).to_have_count(0)

    # Ben comes online (nothing routes Pablo to him before the sweep). Ana hands María to
    # him, transcript and all: an agent is offered the colleagues who could take the chat.
    online(ben)
    agent.reload()
    panel.get_by_label("Transfer to").select_option(label="Ben Ortiz")
    panel.get_by_role("button", name="Transfer", exact=True).click()
    expect(maria.locator(".hd-chat-status")).to_contain_text("Ben se ha unido al chat")
    agent.wait_for_function("() => window.helpdeskPush === true")  # the page reloaded
    first.refresh_from_db()
    assert (first.state, first.agent) == (Chat.State.ACTIVE, ben)
    assert first.ticket.assignee == ben
    assert Message.objects.filter(ticket=first.ticket, kind=Message.Kind.PUBLIC).count() == 2

    # Ana has room again, but she is on a break: Pablo still waits (Ben is too, on one).
    committed(agents.status_set, user=ben, key="break")
    agent.get_by_label("Your availability").select_option(label="On break")
    expect(agent.locator("#chat-announce")).to_have_text("On break", timeout=15_000)
    assert services.route_waiting() == 0
    second.refresh_from_db()
    assert (second.state, second.offered_to) == (Chat.State.WAITING, None)

    # Back online, Pablo's chat is offered to her, on her page.
    agent.get_by_label("Your availability").select_option(label="Online")
    expect(agent.locator("#chat-announce")).to_have_text("Online", timeout=15_000)
    assert services.route_waiting() == 1
    second.refresh_from_db()
    assert second.offered_to == ana
    offer = agent.get_by_test_id("chat-offer")
    expect(offer).to_contain_text("Me cobraron dos veces")
    offer.get_by_role("button", name="Accept chat").click()
    expect(agent).to_have_url(re.compile(f"/tickets/{second.ticket.reference}/"))
    expect(pablo.locator(".hd-chat-status")).to_contain_text("Ana se ha unido al chat")

    # Both requesters go quiet: reminded after three minutes, closed after six (the
    # sweep, as beat runs it, with the clock moved on).
    now = timezone.now()
    assert services.sweep_idle(now=now + timedelta(minutes=3, seconds=30)) == (2, 0)
    expect(pablo.locator(".hd-chat-status")).to_contain_text("¿Sigues ahí?")
    expect(maria.locator(".hd-chat-status")).to_contain_text("¿Sigues ahí?")
    assert services.sweep_idle(now=now + timedelta(minutes=6, seconds=30)) == (0, 2)
    expect(pablo.locator(".hd-chat-status")).to_contain_text("El chat ha terminado")
    for chat in (first, second):
        chat.refresh_from_db()
        assert (chat.state, chat.ended_by) == (Chat.State.ENDED, Chat.Ended.IDLE)
        assert chat.ticket.status == "solved"
    agent.context.close()
    assert console_errors == []


def test_who_else_is_on_a_ticket_shows_and_goes_even_when_nobody_says_they_left(
        browser, live_server, line, start, push_server, console_errors):  # fmt: skip
    """With push the page is told who else is there by its stream when it opens (it does
    not ask, on load or after) and asks only when told of a change; a colleague whose page
    stops without saying so (it polled, or its push server died) goes stale after 15 s,
    and the page asks again then rather than showing them until its stream reconnects."""
    from tickets import presence

    ana, ben = line["chatters"]["ana"], line["chatters"]["ben"]
    chat, _token = start()
    context = browser.new_context(base_url=live_server.url, locale="en-US")
    agent = context.new_page()
    agent.set_default_timeout(15_000)
    agent.on("pageerror", lambda exc: console_errors.append(str(exc)))
    asked: list[str] = []
    agent.on("request", lambda request: asked.append(request.url)
             if request.url.endswith("/presence/") else None)  # fmt: skip
    sign_in(agent, ana.email, factories.PASSWORD)
    # Ben has the ticket open already.
    presence.touch(chat.ticket.pk, user_id=ben.pk, name="Ben", state=presence.VIEWING)
    agent.goto(f"/tickets/{chat.ticket.reference}/")
    agent.wait_for_function("() => window.helpdeskPush === true")
    box = agent.get_by_test_id("presence")
    expect(box).to_have_text("Ben is viewing")
    assert asked == []
    # Ben starts his reply (his page records it, and the change is pushed to Ana's).
    presence.touch(chat.ticket.pk, user_id=ben.pk, name="Ben", state=presence.REPLYING)
    expect(box).to_have_text("Ben is replying")
    # His page then stops without a word: nothing more is pushed, and he goes from Ana's
    # page once his entry is stale.
    expect(box).to_have_text("", timeout=30_000)
    assert console_errors == []


def test_the_queue_page_follows_its_queues_by_push_and_a_tickets_page_does_not(
        browser, live_server, line, start, push_server, console_errors):  # fmt: skip
    """The queue page's stream asks for its queues' nudges (``queues=1``): a new ticket in
    one of them shows in its list within seconds, with no polling. A ticket's page does
    nothing with a queue's change, so its stream does not ask for them (each change would
    wake every such stream for nothing)."""
    ana = line["chatters"]["ana"]
    context = browser.new_context(base_url=live_server.url, locale="en-US")
    agent = context.new_page()
    agent.set_default_timeout(15_000)
    agent.on("pageerror", lambda exc: console_errors.append(str(exc)))
    streams: list[tuple[str, str]] = []  # (the page's path, the stream's URL)
    agent.on("request", lambda request: streams.append(
        (urlsplit(request.frame.url).path, request.url.split("/push/agent/")[1]))
        if "/push/agent/" in request.url else None)  # fmt: skip
    sign_in(agent, ana.email, factories.PASSWORD)
    agent.goto("/tickets/?view=unassigned")
    agent.wait_for_function("() => window.helpdeskPush === true")
    assert ("/tickets/", "?queues=1") in streams
    table = agent.locator("#queue-table")
    expect(table).not_to_contain_text("No puedo pagar")
    chat, _token = start(body="No puedo pagar")
    # Pushed, then reloaded 1-4 s later (static/chat/agent.js); polling (every 15 s) is off
    # while push is live, and the page's own slow poll comes after 60 s.
    expect(table).to_contain_text(chat.ticket.subject, timeout=10_000)

    page = f"/tickets/{chat.ticket.reference}/"
    agent.goto(page)
    agent.wait_for_function("() => window.helpdeskPush === true")
    assert [query for path, query in streams if path == page] == [
        f"?ticket={chat.ticket.reference}"]  # fmt: skip
    assert console_errors == []
