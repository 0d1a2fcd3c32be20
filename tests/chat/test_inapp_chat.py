"""Live chat from a native app (issue 21): the app starts its user's chat with its own key,
then talks through the chat's token on the help center's endpoints and the push stream."""

import json
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache
from django.urls import reverse

from chat import services
from chat.models import Chat
from tests import factories
from tests.tickets import factories as tf
from tickets.intake.inapp import app_client_create, inapp_request_create
from tickets.models import AppClient, BusinessCalendar, Requester, Ticket

pytestmark = pytest.mark.django_db
URL = "/api/v1/inapp/chats/"
SITE = "https://help.example"


@pytest.fixture
def app(line, settings):
    cache.clear()  # the app's rate is counted in the cache
    settings.SITE_URL = SITE
    settings.PUSH_URL = "https://push.help.example"
    client, key = app_client_create(name="Android app", queue=line["queue"])
    return {**line, "client": client, "key": key}


def _start(client, key, **data):  # type: ignore[no-untyped-def]
    body = {"user_id": "u-42", "name": "Sam Ortega", "email": "Sam@Example.net",
            "language": "es", "message": "Hola, no puedo subir un video", "client_id": "c-1",
            **data}  # fmt: skip
    return client.post(URL, json.dumps(body), content_type="application/json",
                       HTTP_AUTHORIZATION=f"AppKey {key}")  # fmt: skip


def _path(url: str) -> str:
    assert url.startswith(f"{SITE}/"), url
    return urlsplit(url).path


def _post(client, url, data=None):  # type: ignore[no-untyped-def]
    return client.post(_path(url), json.dumps(data or {}), content_type="application/json")


def test_an_app_starts_a_chat_for_its_user_and_talks_through_the_token(app, online, client):
    ana = app["chatters"]["ana"]
    online(ana)
    answer = _start(client, app["key"])
    assert answer.status_code == 201, answer.content
    body = answer.json()
    token, urls = body["token"], body["urls"]
    assert body["state"] == "offered" and body["place"] == 1 and body["fallback"] == ""
    assert [(m["body"], m["from"], m["client"]) for m in body["messages"]] == [
        ("Hola, no puedo subir un video", "requester", "c-1")]  # fmt: skip
    assert urls == {
        "state": f"{SITE}{reverse('chat_help:state', args=[token])}",
        "send": f"{SITE}{reverse('chat_help:send', args=[token])}",
        "send_file": f"{SITE}{reverse('chat_help:send_file', args=[token])}",
        "typing": f"{SITE}{reverse('chat_help:typing', args=[token])}",
        "end": f"{SITE}{reverse('chat_help:end', args=[token])}",
        "leave": f"{SITE}{reverse('chat_help:leave', args=[token])}",
        "transcript": f"{SITE}{reverse('chat_help:transcript', args=[token])}",
        "push": f"https://push.help.example/push/c/{token}/",
    }
    chat = Chat.objects.select_related("ticket__requester").get()
    assert chat.origin == "app:Android app" and chat.language == "es"
    assert chat.ticket.channel == "chat" and chat.ticket.reference == body["reference"]
    assert chat.ticket.requester.external_id == "u-42"
    assert chat.ticket.requester.email == "sam@example.net"
    assert services.chat_for_token(token) == chat

    # The agent answers; the app sends, reads what came after, types and ends the chat.
    services.chat_accept(actor=ana, chat=chat)
    reply = services.chat_agent_send(actor=ana, chat=chat, body="Hola Sam, ¿qué error ves?")
    sent = _post(client, urls["send"], {"body": "Dice «archivo demasiado grande»",
                                        "client_id": "c-2"})  # fmt: skip
    assert sent.status_code == 201 and sent.json()["client"] == "c-2"
    state = client.get(_path(urls["state"]), {"after": body["messages"][0]["id"]}).json()
    assert state["state"] == "active" and state["agent"] == "Ana"
    assert [m["body"] for m in state["messages"]] == [reply.body,
                                                     "Dice «archivo demasiado grande»"]  # fmt: skip
    assert _post(client, urls["typing"]).status_code == 204
    ended = _post(client, urls["end"])
    assert ended.status_code == 200 and ended.json() == {"state": "ended"}


def test_without_a_push_server_the_app_is_told_to_poll(app, client, settings):
    settings.PUSH_URL = ""
    answer = _start(client, app["key"])
    assert answer.status_code == 201 and answer.json()["urls"]["push"] == ""


def test_the_same_app_user_is_the_same_requester_as_for_in_app_requests(app, client):
    first = _start(client, app["key"]).json()
    second = _start(client, app["key"], name="Sam", email="", message="Otra vez").json()
    assert first["token"] != second["token"]
    requester = Requester.objects.get(external_id="u-42")
    theirs = Ticket.objects.filter(requester=requester).values_list("reference", flat=True)
    assert set(theirs) == {first["reference"], second["reference"]}
    # An in-app request for the same user lands on the same requester.
    ticket = inapp_request_create(client=app["client"], user_id="u-42", email="", name="Sam",
                                  language="es", subject="Crash", description="It crashes.",
                                  category="", app_version="", device="", extra={})  # fmt: skip
    assert ticket.requester == requester
    other = _start(client, app["key"], user_id="u-43", email="").json()
    assert Ticket.objects.get(reference=other["reference"]).requester != requester


def test_an_unknown_disabled_or_missing_key_is_refused(app, client):
    assert _start(client, "hdk_not-a-key").status_code == 401
    assert client.post(URL, {}, content_type="application/json").status_code in (401, 403)
    token = factories.api_key(app["people"]["admin"])
    person = client.post(URL, {"user_id": "x"}, content_type="application/json",
                         HTTP_AUTHORIZATION=f"Token {token}")  # fmt: skip
    assert person.status_code in (401, 403)
    AppClient.objects.update(is_active=False)
    refused = _start(client, app["key"])
    assert refused.status_code == 401 and "detail" in refused.json()
    assert not Chat.objects.exists()


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"user_id": "", "name": "", "message": ""}, {"user_id", "name", "message"}),
        ({"user_id": None, "message": None}, {"user_id", "message"}),
        ({"message": "   "}, {"message"}),
        ({"message": ["not", "text"]}, {"message"}),
        ({"message": "x" * 20_001}, {"message"}),
        ({"user_id": "u" * 129}, {"user_id"}),
        ({"email": "not-an-address"}, {"email"}),
        ({"language": "x" * 17, "client_id": "c" * 65}, {"language", "client_id"}),
    ],
    ids=[
        "blank",
        "null",
        "whitespace",
        "list",
        "long message",
        "long user id",
        "email",
        "long language and client id",
    ],  # fmt: skip
)
def test_a_bad_body_is_a_400_naming_each_field(app, client, changes, fields):
    answer = _start(client, app["key"], **changes)
    assert answer.status_code == 400
    assert set(answer.json()) == fields
    assert not Chat.objects.exists()


def test_an_app_that_retries_a_start_with_its_key_gets_the_same_chat(app, client):
    first = _start(client, app["key"], start_key="4f1c2b9e-77aa-4c1e-9d3b-5e6f7a8b9c0d")
    again = _start(client, app["key"], start_key="4f1c2b9e-77aa-4c1e-9d3b-5e6f7a8b9c0d")
    assert first.status_code == again.status_code == 201, again.content
    assert again.json()["token"] == first.json()["token"] and Chat.objects.count() == 1
    bad = _start(client, app["key"], start_key="not a key")
    assert bad.status_code == 400 and set(bad.json()) == {"start_key"}
    assert Chat.objects.count() == 1


def test_a_body_that_is_not_json_or_has_no_fields_is_a_400(app, client):
    auth = {"HTTP_AUTHORIZATION": f"AppKey {app['key']}"}
    broken = client.post(URL, "{", content_type="application/json", **auth)
    assert broken.status_code == 400 and "detail" in broken.json()
    empty = client.post(URL, "{}", content_type="application/json", **auth)
    assert empty.status_code == 400
    assert set(empty.json()) == {"user_id", "name", "message"}
    nul = _start(client, app["key"], message="Hola\x00")
    assert nul.status_code == 400 and set(nul.json()) == {"message"}


def test_a_language_we_do_not_speak_is_our_default_as_in_the_help_center(app, client):
    assert _start(client, app["key"], language="es-MX").status_code == 201
    assert _start(client, app["key"], language="zz").status_code == 201
    assert list(Chat.objects.order_by("pk").values_list("language", flat=True)) == ["es", "en"]


def test_when_chat_is_closed_the_app_is_offered_to_leave_a_message(app, client):
    never_open = BusinessCalendar.objects.create(name="Closed", always_open=False)
    tf.sla_policy(calendar_=never_open, queues=[app["queue"]])
    answer = _start(client, app["key"])
    assert answer.status_code == 201
    body = answer.json()
    assert body["fallback"] == "closed" and body["state"] == "waiting"
    # The same answer, less the URLs, as the help center's start gives the widget.
    widget = client.post(reverse("chat_help:start"), json.dumps({
        "name": "María", "email": "maria@example.net", "message": "Hola", "language": "es"}),
        content_type="application/json").json()  # fmt: skip
    assert widget["fallback"] == "closed" and set(widget) == set(body) - {"urls"}
    left = _post(client, body["urls"]["leave"], {"body": "Llámenme mañana"})
    assert left.status_code == 200
    assert left.json() == {"state": "left_message", "reference": body["reference"]}
    assert Ticket.objects.get(reference=body["reference"]).channel == "email"


def test_without_a_chat_queue_the_start_is_refused_as_in_the_help_center(app, client, settings):
    settings.CHAT_QUEUE = "no-such-queue"
    answer = _start(client, app["key"])
    widget = client.post(reverse("chat_help:start"), json.dumps({
        "name": "María", "email": "maria@example.net", "message": "Hola"}),
        content_type="application/json")  # fmt: skip
    assert answer.status_code == widget.status_code == 400
    assert answer.json() == widget.json()
    assert "not set up" in answer.json()["detail"]
    assert not Chat.objects.exists()


def test_an_app_is_held_to_its_rate(app, client, settings):
    settings.INAPP_RATE_LIMIT = "1/minute"
    assert _start(client, app["key"]).status_code == 201
    assert _start(client, app["key"]).status_code == 429
