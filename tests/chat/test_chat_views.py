"""Chat over HTTP: the requester's JSON endpoints (clear 4xx answers, never a 500), the
agent's actions, and scoping (another vendor's chat is 404 on every route)."""

import json

import pytest
from django.urls import reverse

from chat import services
from chat.models import Chat
from tests.chat.routes import CHAT_ROUTES
from tickets.models import Message, Ticket

pytestmark = pytest.mark.django_db


def _post(client, url, data=None, **extra):  # type: ignore[no-untyped-def]
    return client.post(url, json.dumps(data or {}), content_type="application/json", **extra)


def test_a_requester_starts_a_chat_and_talks_through_its_token(line, online, client):
    online(line["chatters"]["ana"])
    answer = _post(client, reverse("chat_help:start"), {
        "name": "María", "email": "maria@example.net", "message": "Hola", "language": "es",
        "client_id": "c-1"})  # fmt: skip
    assert answer.status_code == 201, answer.content
    body = answer.json()
    token = body["token"]
    assert body["state"] == "offered" and body["place"] == 1 and body["wait_seconds"] > 0
    assert [m["body"] for m in body["messages"]] == ["Hola"]
    sent = _post(client, reverse("chat_help:send", args=[token]),
                 {"body": "¿Hay alguien?", "client_id": "c-2"})  # fmt: skip
    assert sent.status_code == 201 and sent.json()["client"] == "c-2"
    again = _post(client, reverse("chat_help:send", args=[token]),
                  {"body": "¿Hay alguien?", "client_id": "c-2"})  # fmt: skip
    assert again.json()["id"] == sent.json()["id"]
    state = client.get(
        reverse("chat_help:state", args=[token]), {"after": body["messages"][0]["id"]}
    )
    assert [m["body"] for m in state.json()["messages"]] == ["¿Hay alguien?"]


def test_a_start_sent_again_with_its_key_gets_the_same_chat_not_a_second(line, online, client):
    """The first answer was lost (a closed connection): the widget sends the start again
    with the same key and gets the chat the first one made, with the same token."""
    online(line["chatters"]["ana"])
    start = {"name": "María", "email": "maria@example.net", "message": "Hola",
             "language": "es", "start_key": "Qk9x-1f3c_8d2e4a6b7c9d0e"}  # fmt: skip
    first = _post(client, reverse("chat_help:start"), start)
    again = _post(client, reverse("chat_help:start"), {**start, "message": "Hola otra vez"})
    assert first.status_code == again.status_code == 201, again.content
    assert again.json()["token"] == first.json()["token"]
    assert [m["body"] for m in again.json()["messages"]] == ["Hola"]
    assert Chat.objects.count() == 1 and Ticket.objects.count() == 1
    other = _post(client, reverse("chat_help:start"), {**start, "start_key": "Z" * 22})
    assert other.json()["token"] != first.json()["token"] and Chat.objects.count() == 2
    without = _post(client, reverse("chat_help:start"), {**start, "start_key": ""})
    assert without.status_code == 201 and Chat.objects.count() == 3
    short = _post(client, reverse("chat_help:start"), {**start, "start_key": "abc"})
    assert short.status_code == 400 and "start key" in short.json()["detail"]
    assert Chat.objects.count() == 3


@pytest.mark.parametrize(("data", "status", "says"), [
    ({"email": "maria@example.net", "message": ""}, 400, "Write a message"),
    ({"email": "", "message": "Hola"}, 400, "email address"),
    ({"email": "not-an-address", "message": "Hola"}, 400, "valid email"),
    ({"email": "maria@example.net", "message": ["not", "text"]}, 400, "must be text"),
    ({"email": "maria@example.net", "message": "a\x00b"}, 400, "cannot store"),
])  # fmt: skip
def test_bad_starts_get_a_clear_4xx(line, client, data, status, says):
    answer = _post(client, reverse("chat_help:start"), data)
    assert answer.status_code == status and says in answer.json()["detail"]
    assert not Chat.objects.exists()


def test_bad_json_and_unknown_tokens_get_a_clear_4xx(line, client):
    answer = client.post(reverse("chat_help:start"), "{", content_type="application/json")
    assert answer.status_code == 400 and "JSON" in answer.json()["detail"]
    for name in ("chat_help:send", "chat_help:end", "chat_help:leave", "chat_help:typing"):
        missing = _post(client, reverse(name, args=["nope"]), {"body": "x"})
        assert missing.status_code == 404, name
    assert client.get(reverse("chat_help:state", args=["nope"])).status_code == 404


def test_a_requesters_page_asking_for_the_state_keeps_them_in_line(line, online, start,
                                                                    client):  # fmt: skip
    from core import heartbeats

    chat, token = start()
    seen = heartbeats.client()
    seen.zadd(services.LINE_SEEN_KEY, {str(chat.pk): 1.0})
    assert client.get(reverse("chat_help:state", args=[token])).status_code == 200
    assert seen.zscore(services.LINE_SEEN_KEY, str(chat.pk)) > 1.0  # still there
    ana = line["chatters"]["ana"]
    online(ana)
    services.chat_accept(actor=ana, chat=Chat.objects.get(pk=chat.pk))
    seen.zadd(services.LINE_SEEN_KEY, {str(chat.pk): 1.0})
    client.get(reverse("chat_help:state", args=[token]))
    assert seen.zscore(services.LINE_SEEN_KEY, str(chat.pk)) == 1.0  # no longer in line


def test_the_widget_gets_its_words_in_the_requesters_language(line, client):
    answer = client.get(reverse("chat_help:config"), {"lang": "ar"}).json()
    assert answer["language"] == "ar" and answer["rtl"] is True
    assert answer["strings"]["start"] != "Start the chat"
    assert answer["fallback"] == "nobody"  # nobody is online


def test_the_embed_origin_list_decides_who_may_call_from_another_site(line, client, settings):
    settings.CHAT_EMBED_ORIGINS = ["https://app.example"]
    allowed = client.get(reverse("chat_help:config"), HTTP_ORIGIN="https://app.example")
    assert allowed["Access-Control-Allow-Origin"] == "https://app.example"
    other = client.get(reverse("chat_help:config"), HTTP_ORIGIN="https://evil.example")
    assert "Access-Control-Allow-Origin" not in other


def test_an_agent_accepts_replies_and_ends_a_chat(line, online, start, client):
    ana = line["chatters"]["ana"]
    online(ana)
    chat, _token = start()
    client.force_login(ana)
    accepted = _post(client, reverse("chat:accept", args=[chat.pk]))
    assert accepted.status_code == 200 and accepted.json()["url"].endswith(
        f"/tickets/{chat.ticket.reference}/"
    )
    page = client.get(accepted.json()["url"])
    assert page.status_code == 200 and b'data-testid="chat-panel"' in page.content
    sent = _post(client, reverse("chat:send", args=[chat.pk]), {"body": "Hola", "client_id": "x"})
    assert sent.status_code == 201
    assert Message.objects.get(pk=sent.json()["id"]).author == ana
    assert _post(client, reverse("chat:end", args=[chat.pk])).json()["state"] == "ended"
    assert _post(client, reverse("chat:send", args=[chat.pk]),
                 {"body": "late"}).status_code == 409  # fmt: skip


def test_an_agent_transfers_to_a_colleague_on_their_side_who_could_take_the_chat(
    line, online, start, client
):
    """An agent sees only themselves among people, so the panel offers the colleagues who
    could take this chat now (online, granted its queue, speaking its language) on the
    agent's side: in-house here. Nobody else is accepted, whatever the form sends."""
    from chat import agents, selectors

    people = line["chatters"]
    ana, ben, nora, eli = people["ana"], people["ben"], people["nora"], people["eli"]
    online(ana, limit=1)
    chat, _token = start()
    client.force_login(ana)
    _post(client, reverse("chat:accept", args=[chat.pk]))
    assert selectors.transfer_agents(ana, chat) == []  # nobody else online
    online(ben, nora, eli)  # Nora is Northwind's; Eli speaks no Spanish
    assert selectors.transfer_agents(ana, chat) == [ben]
    assert selectors.transfer_agents(nora, chat) == []  # Northwind's side: nobody else
    page = client.get(f"/tickets/{chat.ticket.reference}/").content.decode()
    assert f'value="agent:{ben.pk}"' in page and f'value="agent:{nora.pk}"' not in page
    for target in (nora, eli, people["atlas"]):
        refused = _post(client, reverse("chat:transfer", args=[chat.pk]),
                        {"to": f"agent:{target.pk}"})  # fmt: skip
        assert refused.status_code == 400 and "Choose an agent" in refused.json()["detail"]
    agents.status_set(user=ben, key="break")
    assert selectors.transfer_agents(ana, chat) == []  # on a break: not offered
    agents.status_set(user=ben, key="online")
    moved = _post(client, reverse("chat:transfer", args=[chat.pk]), {"to": f"agent:{ben.pk}"})
    assert moved.status_code == 200
    chat.refresh_from_db()
    assert chat.agent == ben
    # A lead picks among everyone they may see who works the queue, online or not.
    lead = people["lead"]
    assert set(selectors.transfer_agents(lead, chat)) >= {ana, ben, eli}


def test_an_offer_is_for_the_one_it_was_offered_to(line, online, start, client):
    ana, ben = line["chatters"]["ana"], line["chatters"]["ben"]
    online(ana, ben)
    chat, _token = start()
    assert chat.offered_to == ana
    client.force_login(ben)
    refused = _post(client, reverse("chat:accept", args=[chat.pk]))
    assert refused.status_code == 409 and "someone else" in refused.json()["detail"]
    assert _post(client, reverse("chat:decline", args=[chat.pk])).status_code == 409


@pytest.mark.parametrize(("name", "method"), [
    (name, method) for name, methods in CHAT_ROUTES.items() for method in methods
    if not name.startswith("push:")])  # fmt: skip
def test_another_vendors_chat_is_404_on_every_route(line, start, client, name, method):
    chat, _token = start()
    client.force_login(line["chatters"]["atlas"])
    answer = getattr(client, method)(reverse(name, args=[chat.pk]), {"to": "queue:1"})
    assert answer.status_code == 404, (name, answer.content)


def test_status_menu_and_chats_page(line, online, start, client):
    lead = line["chatters"]["lead"]
    online(line["chatters"]["ana"])
    start()
    client.force_login(lead)
    page = client.get(reverse("chat:console"))
    assert page.status_code == 200
    assert b'data-testid="chat-line"' in page.content and b"Ana Ruiz" in page.content
    assert b'id="chat-status"' in page.content
    changed = _post(client, reverse("chat:status"), {"status": "wellness"})
    assert changed.json() == {"status": "wellness", "label": "Wellness break"}
    assert _post(client, reverse("chat:status"), {"status": "nope"}).status_code == 400


def test_files_in_a_chat_go_through_the_attachment_checks_and_back_by_token(
        line, online, start, client, settings):  # fmt: skip
    """A requester sends a file: stored on the ticket as an attachment, sniffed from its
    bytes, pushed with the line; read back by the chat's token only, always downloaded.
    Too large: a clear 4xx, nothing stored. Another chat's file: 404."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tickets.models import Attachment

    ana = line["chatters"]["ana"]
    online(ana)
    chat, token = start()
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    sent = client.post(reverse("chat_help:send_file", args=[token]), {
        "file": SimpleUploadedFile("../captura de pantalla.png", png, "text/html"),
        "client_id": "f-1"})  # fmt: skip
    assert sent.status_code == 201, sent.content
    line_ = sent.json()
    assert line_["body"] == "captura de pantalla.png" and line_["client"] == "f-1"
    [file] = line_["files"]
    item = Attachment.objects.get(pk=file["id"])
    assert (item.message.ticket_id, item.content_type) == (chat.ticket_id, "image/png")
    fetched = client.get(reverse("chat_help:file", args=[token, file["id"]]))
    assert fetched.status_code == 200
    assert fetched["Content-Type"] == "application/octet-stream"
    assert "attachment" in fetched["Content-Disposition"]
    assert b"".join(fetched.streaming_content) == png
    # The transcript the widget reloads carries the file too.
    state = client.get(reverse("chat_help:state", args=[token])).json()
    assert state["messages"][-1]["files"] == [file]
    settings.ATTACHMENT_MAX_BYTES = 10
    big = client.post(reverse("chat_help:send_file", args=[token]), {
        "file": SimpleUploadedFile("big.bin", b"x" * 11), "client_id": "f-2"})  # fmt: skip
    assert big.status_code == 400 and "too large" in big.json()["detail"]
    assert not Message.objects.filter(ticket=chat.ticket, body="big.bin").exists()
    empty = client.post(reverse("chat_help:send_file", args=[token]), {"client_id": "f-3"})
    assert empty.status_code == 400 and empty.json()["detail"]
    _other, other_token = start(email="otro@example.net")
    assert client.get(reverse("chat_help:file", args=[other_token, file["id"]])).status_code == 404
