"""Creating a ticket reveals nothing about a requester the caller cannot see.

Someone who posts a ticket with the email or external id of a requester they may not
see gets a provisional identity holding exactly what they sent (``provisional_of``
links it to the record it collided with, for an admin). The create response, the
ticket, its messages, the requester list and detail, search and the pages show only
what they sent, and look the same whether or not the person existed.
"""

import json

import pytest
from rest_framework.test import APIClient

from tests import factories
from tests.tickets import factories as tf
from tickets import services
from tickets.models import Requester, Ticket

pytestmark = pytest.mark.django_db

HIDDEN = {
    "email": "hidden.person@secret.example",
    "name": "Hidden Secretname",
    "external_id": "ext-SECRET-4471",
    "language": "xq-secretlang",
    "region": "QSECRET",
}
# What the caller sends for each way of naming the person, and what they may see back.
SENT = {
    "email": {"email": "Hidden.Person@Secret.example", "name": "Typed By Caller"},
    "external_id": {"external_id": "ext-SECRET-4471", "name": "Typed By Caller"},
    "both": {"email": "hidden.person@secret.example", "external_id": "ext-SECRET-4471"},
}
TICKET_KEYS = {
    "reference", "subject", "status", "priority", "channel", "language", "category", "tags",
    "queue", "requester", "assignee", "created_at", "updated_at", "first_reply_at",
    "solved_at", "closed_at", "sla_due_at", "metadata",
}  # fmt: skip


def _client(user) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {factories.api_key(user)}")
    return client


def _hidden_requester(desk) -> Requester:  # type: ignore[no-untyped-def]
    """A high-profile requester with a ticket only the in-house team can see."""
    requester = services.requester_get_or_create(**HIDDEN)
    Requester.objects.filter(pk=requester.pk).update(is_high_profile=True)
    tf.ticket(desk["queues"]["inhouse"], subject="Private matter", requester_=requester)
    return Requester.objects.get(pk=requester.pk)


def _payload(desk, sent: dict) -> dict:  # type: ignore[no-untyped-def]
    return {"subject": "Crash on upload", "body": "It crashes.", "language": "en",
            "queue": desk["queues"]["north"].pk, "requester": sent}  # fmt: skip


def _expected_requester(sent: dict) -> dict:
    return {
        "email": sent.get("email", "").lower(), "name": sent.get("name", ""),
        "external_id": sent.get("external_id", ""), "language": "", "region": "",
        "is_high_profile": False,
    }  # fmt: skip


def _secrets(sent: dict) -> list[str]:
    """The hidden requester's values the caller did not send themselves."""
    told = {value.lower() for value in sent.values()}
    return [value for value in HIDDEN.values() if value.lower() not in told]


def _requester_dicts(data):  # type: ignore[no-untyped-def]
    """Every object in a JSON answer that carries a high-profile flag (a requester)."""
    if isinstance(data, dict):
        if "is_high_profile" in data:
            yield data
        for value in data.values():
            yield from _requester_dicts(value)
    elif isinstance(data, list):
        for value in data:
            yield from _requester_dicts(value)


@pytest.mark.parametrize("existed", [True, False], ids=["existed", "new"])
@pytest.mark.parametrize("how", list(SENT))
def test_creating_a_ticket_reveals_nothing_about_a_requester_the_caller_cannot_see(
    desk, client, how, existed
):
    hidden = _hidden_requester(desk) if existed else None
    sent = SENT[how]
    caller = desk["people"]["north_agent"]
    api = _client(caller)
    created = api.post("/api/v1/tickets/", _payload(desk, sent), format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    # The same answer whether or not the person existed: exactly what was sent.
    assert set(body) == TICKET_KEYS
    assert {k: v for k, v in body["requester"].items() if k != "id"} == _expected_requester(sent)
    reference, requester_id = body["reference"], body["requester"]["id"]
    if hidden is not None:
        assert requester_id != hidden.pk

    # Everything the caller can read afterwards, through the API and the pages.
    answers = [created]
    answers += [api.get(f"/api/v1/tickets/{reference}/"),
                api.get(f"/api/v1/tickets/{reference}/messages/"),
                api.get("/api/v1/tickets/", {"view": "all"}),
                api.get("/api/v1/requesters/"),
                api.get(f"/api/v1/requesters/{requester_id}/")]  # fmt: skip
    for query in (HIDDEN["email"], f"user:{HIDDEN['external_id']}", "Crash", "Private"):
        answers.append(api.get("/api/v1/tickets/", {"q": query}))
    for params in ({"email": HIDDEN["email"]}, {"external_id": HIDDEN["external_id"]}):
        answers.append(api.get("/api/v1/requesters/", params))
    listed = [r["id"] for r in api.get("/api/v1/requesters/").json()["results"]]
    assert listed == [requester_id]
    answers += [api.get(f"/api/v1/requesters/{pk}/") for pk in listed]
    if hidden is not None:
        assert api.get(f"/api/v1/requesters/{hidden.pk}/").status_code == 404
    for answer in answers:
        assert answer.status_code in (200, 201), answer.request["PATH_INFO"]
        data = answer.json()
        text = json.dumps(data).lower()
        for secret in _secrets(sent):
            assert secret.lower() not in text, (answer.request["PATH_INFO"], secret)
        assert all(r["is_high_profile"] is False for r in _requester_dicts(data))

    client.force_login(caller)
    pages = [f"/tickets/{reference}/", "/tickets/?view=all",
             f"/tickets/search/?q={HIDDEN['email']}",
             f"/tickets/search/?q=user:{HIDDEN['external_id']}"]  # fmt: skip
    for path in pages:
        page = client.get(path, follow=True)  # one search result opens that ticket
        assert page.status_code == 200, path
        # The search page repeats what the person typed; only that may name the secret.
        typed = path.partition("?q=")[2].lower()
        text = page.content.decode().lower().replace(typed, "") if typed else (
            page.content.decode().lower())  # fmt: skip
        for secret in _secrets(sent):
            assert secret.lower() not in text, (path, secret)
        assert "high profile" not in text


def test_the_provisional_identity_points_at_the_record_it_collided_with(desk):
    hidden = _hidden_requester(desk)
    api = _client(desk["people"]["north_agent"])
    for how in ("email", "external_id"):
        ref = api.post("/api/v1/tickets/", _payload(desk, SENT[how]), format="json").json()
        requester = Ticket.objects.get(reference=ref["reference"]).requester
        assert requester.provisional_of == hidden
        assert requester.is_high_profile is False
    hidden.refresh_from_db()
    assert (hidden.name, hidden.email, hidden.is_high_profile) == (
        HIDDEN["name"], HIDDEN["email"], True)  # fmt: skip


def test_a_callers_next_ticket_for_the_same_person_reuses_the_identity_they_see(desk):
    _hidden_requester(desk)
    api = _client(desk["people"]["north_agent"])
    first = api.post("/api/v1/tickets/", _payload(desk, SENT["email"]), format="json").json()
    again = api.post("/api/v1/tickets/", _payload(desk, SENT["email"]), format="json").json()
    assert first["requester"] == again["requester"]
    assert Requester.objects.filter(provisional_of__isnull=False).count() == 1


def test_people_who_may_see_the_requester_and_the_system_get_the_canonical_record(desk):
    hidden = _hidden_requester(desk)
    for person in ("inhouse_agent", "admin"):
        api = _client(desk["people"][person])
        payload = _payload(desk, SENT["both"])
        payload["queue"] = desk["queues"]["inhouse"].pk
        body = api.post("/api/v1/tickets/", payload, format="json").json()
        assert body["requester"]["id"] == hidden.pk
        assert body["requester"]["name"] == HIDDEN["name"]
    for sent in SENT.values():
        assert services.requester_get_or_create(**sent) == hidden
        assert services.requester_get_or_create(**sent, actor=None) == hidden


def test_email_and_external_id_lookups_without_a_caller_never_match_a_provisional_identity(desk):
    hidden = _hidden_requester(desk)
    north_agent = desk["people"]["north_agent"]
    provisional = services.requester_get_or_create(**SENT["both"], actor=north_agent)
    assert provisional.provisional_of == hidden
    # Provisional records may come first in the table; lookups still find the real one.
    Requester.objects.filter(pk=hidden.pk).update(created_at=provisional.created_at)
    for sent in ({"external_id": HIDDEN["external_id"]}, {"email": HIDDEN["email"]}):
        assert services.requester_get_or_create(**sent) == hidden


def test_searching_an_email_finds_the_provisional_tickets_the_searcher_can_see(desk, client):
    _hidden_requester(desk)
    api = _client(desk["people"]["north_agent"])
    mine = api.post("/api/v1/tickets/", _payload(desk, SENT["email"]), format="json").json()
    for query in (HIDDEN["email"], HIDDEN["email"].upper()):
        found = api.get("/api/v1/tickets/", {"q": query}).json()["results"]
        assert [t["reference"] for t in found] == [mine["reference"]]
    by_email = api.get("/api/v1/requesters/", {"email": HIDDEN["email"]}).json()["results"]
    assert [r["id"] for r in by_email] == [mine["requester"]["id"]]
    # An admin sees both people's tickets under that address.
    admin = _client(desk["people"]["admin"])
    found = admin.get("/api/v1/tickets/", {"q": HIDDEN["email"]}).json()["results"]
    assert {t["subject"] for t in found} == {"Crash on upload", "Private matter"}


def test_the_admin_shows_provisional_identities_and_what_they_may_be(desk, client):
    hidden = _hidden_requester(desk)
    provisional = services.requester_get_or_create(**SENT["email"],
                                                   actor=desk["people"]["north_agent"])  # fmt: skip
    client.force_login(desk["people"]["admin"])
    listing = client.get("/admin/tickets/requester/", {"provisional_of__isempty": "0"})
    assert listing.status_code == 200
    rows = listing.content.decode()
    assert f"/admin/tickets/requester/{provisional.pk}/change/" in rows
    assert f"/admin/tickets/requester/{hidden.pk}/change/" not in rows
    assert "Typed By Caller" in rows and str(hidden) in rows  # what it may be, beside it
    page = client.get(f"/admin/tickets/requester/{provisional.pk}/change/").content.decode()
    assert 'name="provisional_of"' not in page  # shown, not editable
    assert str(hidden) in page
