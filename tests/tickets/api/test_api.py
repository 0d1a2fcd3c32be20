import pytest
from rest_framework.test import APIClient

from tests import factories
from tests.tickets import factories as tf
from tickets.models import Event, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(desk):
    client = APIClient()
    token = factories.api_key(desk["people"]["north_agent"])
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def new_ticket_payload(desk, **overrides):
    payload = {
        "subject": "App crashes on upload",
        "body": "Every time I upload a video the app closes.",
        "queue": desk["queues"]["north"].pk,
        "requester": {"email": "maya@example.org", "name": "Maya", "external_id": "u-77"},
        "language": "en",
        "tags": ["crash"],
        "metadata": {"app_version": "5.2.1", "device": "iPhone 15"},
    }
    payload.update(overrides)
    return payload


def test_without_a_token_the_api_answers_401_with_json(desk):
    response = APIClient().get("/api/v1/tickets/")
    assert response.status_code == 401
    assert "detail" in response.json()


def test_create_then_read_a_ticket(api, desk):
    response = api.post("/api/v1/tickets/", new_ticket_payload(desk), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["requester"]["external_id"] == "u-77"
    assert body["metadata"] == {"app_version": "5.2.1", "device": "iPhone 15"}
    ref = body["reference"]
    assert api.get(f"/api/v1/tickets/{ref}/").json()["subject"] == "App crashes on upload"
    assert Event.objects.filter(ticket__reference=ref, kind="created").exists()


def test_validation_errors_name_the_field(api, desk):
    response = api.post("/api/v1/tickets/", new_ticket_payload(desk, subject=""), format="json")
    assert response.status_code == 400
    assert "subject" in response.json()


@pytest.mark.parametrize("field", ["subject", "body"])
def test_a_nul_byte_is_a_400_not_a_500(api, desk, field):
    response = api.post(
        "/api/v1/tickets/", new_ticket_payload(desk, **{field: "a\x00b"}), format="json"
    )
    assert response.status_code == 400
    assert field in response.json()


def test_an_oversize_field_is_a_400(api, desk):
    response = api.post(
        "/api/v1/tickets/", new_ticket_payload(desk, subject="x" * 300), format="json"
    )
    assert response.status_code == 400 and "subject" in response.json()


def test_a_queue_outside_scope_is_rejected(api, desk):
    response = api.post(
        "/api/v1/tickets/",
        new_ticket_payload(desk, queue=desk["queues"]["atlas"].pk),
        format="json",
    )
    assert response.status_code == 400
    assert "queue" in response.json()["detail"]
    assert not Ticket.objects.exists()


def test_list_filters_and_keyset_cursor(api, desk):
    for _ in range(55):
        tf.ticket(desk["queues"]["north"], language="es")
    tf.ticket(desk["queues"]["north"], language="en")
    first = api.get("/api/v1/tickets/", {"view": "all", "language": "es"}).json()
    assert len(first["results"]) == 50 and first["next_cursor"]
    second = api.get("/api/v1/tickets/", {"view": "all", "language": "es",
                                          "cursor": first["next_cursor"]}).json()  # fmt: skip
    assert len(second["results"]) == 5 and second["next_cursor"] is None
    refs = {t["reference"] for t in first["results"] + second["results"]}
    assert len(refs) == 55


def test_bad_filter_values_are_400(api):
    assert api.get("/api/v1/tickets/", {"status": "nonsense"}).status_code == 400
    assert api.get("/api/v1/tickets/", {"assignee": "drop table"}).status_code == 400


def test_patch_goes_through_the_services_and_an_impossible_move_is_409(api, desk):
    ticket = tf.ticket(desk["queues"]["north"])
    me = desk["people"]["north_agent"]
    response = api.patch(
        f"/api/v1/tickets/{ticket.reference}/",
        {"assignee": me.pk, "priority": 1, "tags": ["vip"]},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["assignee"]["id"] == me.pk
    api.patch(f"/api/v1/tickets/{ticket.reference}/", {"status": "solved"}, format="json")
    api.patch(f"/api/v1/tickets/{ticket.reference}/", {"status": "closed"}, format="json")
    conflict = api.patch(f"/api/v1/tickets/{ticket.reference}/", {"status": "open"}, format="json")
    assert conflict.status_code == 409
    assert conflict.json()["code"] == "conflict"


def test_assigning_someone_from_another_vendor_is_refused(api, desk):
    ticket = tf.ticket(desk["queues"]["north"])
    response = api.patch(
        f"/api/v1/tickets/{ticket.reference}/",
        {"assignee": desk["people"]["atlas_agent"].pk},
        format="json",
    )
    assert response.status_code == 400


def test_messages_can_be_listed_and_added(api, desk):
    ticket = tf.ticket(desk["queues"]["north"])
    created = api.post(
        f"/api/v1/tickets/{ticket.reference}/messages/",
        {"body": "Internal check", "internal": True},
        format="json",
    )
    assert created.status_code == 201 and created.json()["kind"] == "internal"
    kinds = [m["kind"] for m in api.get(f"/api/v1/tickets/{ticket.reference}/messages/").json()]
    assert kinds == ["public", "internal"]


def test_requesters_are_found_by_email_and_external_id(api, desk):
    ticket = tf.ticket(desk["queues"]["north"], requester_=tf.requester(external_id="u-9"))
    by_email = api.get("/api/v1/requesters/", {"email": ticket.requester.email}).json()
    by_ext = api.get("/api/v1/requesters/", {"external_id": "u-9"}).json()
    assert [r["id"] for r in by_email["results"]] == [r["id"] for r in by_ext["results"]] == [
        ticket.requester_id]  # fmt: skip


def test_queues_lists_only_mine(api, desk):
    names = [q["name"] for q in api.get("/api/v1/queues/").json()["results"]]
    assert names == ["Northwind"]


def test_openapi_schema_is_served(api):
    response = api.get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/v1/tickets/" in response.content


@pytest.mark.parametrize("count", [3, 60])
def test_the_ticket_list_makes_a_fixed_number_of_queries(
    api, desk, count, django_assert_max_num_queries
):
    for _ in range(count):
        tf.ticket(desk["queues"]["north"])
    with django_assert_max_num_queries(8):
        response = api.get("/api/v1/tickets/", {"view": "all"})
    assert len(response.json()["results"]) == min(count, 50)
    with django_assert_max_num_queries(8):
        api.get("/api/v1/tickets/", {"q": "login"})
