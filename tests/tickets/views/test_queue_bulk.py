"""Bulk actions on the queue: pickers offer only what the person may choose, and every
failure reads as a sentence naming the ticket (issue 14, item 15)."""

import re

import pytest

from escalations import services as esc
from tests import factories
from tests.tickets import factories as tf
from tickets.models import Priority, Status, Ticket

pytestmark = pytest.mark.django_db


def _select(body: str, name: str) -> dict[str, str]:
    """The options (value → label) of the bulk form's picker for one action."""
    match = re.search(rf'<select[^>]*id="bulk-{name}"[^>]*>(.*?)</select>', body, re.S)
    assert match, f"no bulk picker named {name}"
    options = re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', match.group(1))
    return {value: label for value, label in options if value}  # "" is the "Choose…" prompt


def _queue_page(client) -> str:  # type: ignore[no-untyped-def]
    response = client.get("/tickets/?view=all")
    assert response.status_code == 200
    return response.content.decode()


def test_bulk_pickers_offer_only_the_people_queues_statuses_and_priorities_one_may_choose(
    desk, client
):
    people = desk["people"]
    client.force_login(people["north_lead"])
    body = _queue_page(client)
    assignees = _select(body, "assignee")
    northwind = {people[k].pk for k in ("north_agent", "north2_agent", "north2_lead")}  # and "me"
    assert {k for k in assignees if k.isdigit()} == {str(pk) for pk in northwind}
    assert {"me", "none"} <= set(assignees)
    assert "Person" in assignees[str(people["north_agent"].pk)]  # a name, not an id
    assert set(_select(body, "queue").values()) == {"Northwind", "Northwind Tier 2"}
    assert set(_select(body, "status")) == {"open", "pending", "on_hold", "solved", "closed"}
    assert set(_select(body, "priority")) == {str(p) for p in Priority.values}
    # No free-text value box, no hints about ids or numbers.
    assert 'name="value"' not in body and "(id)" not in body and "(number)" not in body


def test_an_agent_may_assign_to_themselves_or_nobody_only(desk, client):
    client.force_login(desk["people"]["north_agent"])
    assert set(_select(_queue_page(client), "assignee")) == {"me", "none"}
    assert 'value="incident"' not in _queue_page(client)  # only leads link to incidents


def test_every_picker_works_as_a_plain_form_post(desk, client):
    people, queues = desk["people"], desk["queues"]
    client.force_login(people["north_lead"])
    tickets = [tf.ticket(queues["north"]) for _ in range(2)]
    refs = [t.reference for t in tickets]
    incident = esc.incident_open(actor=people["admin"], title="Outage", severity=3)

    def post(action: str, **fields):  # type: ignore[no-untyped-def]
        data = {"refs": refs, "action": action, "next": "/tickets/?view=all", **fields}
        response = client.post("/tickets/bulk/", data)
        assert response.status_code == 302 and response["Location"] == "/tickets/?view=all"

    post("assign", assignee=str(people["north2_agent"].pk))
    assert {t.assignee_id for t in Ticket.objects.filter(reference__in=refs)} == {
        people["north2_agent"].pk}  # fmt: skip
    post("priority", priority="1")
    post("status", status="pending")
    post("tag", tag="Refund")
    post("queue", queue=str(queues["north_t2"].pk))
    for ticket in Ticket.objects.filter(reference__in=refs):
        assert (ticket.priority, ticket.status, ticket.tags, ticket.queue_id) == (
            1, Status.PENDING, ["refund"], queues["north_t2"].pk)  # fmt: skip
    post("assign", assignee="none")
    assert not Ticket.objects.filter(reference__in=refs, assignee__isnull=False).exists()
    assert 'id="bulk-incident"' not in client.get("/tickets/").content.decode()  # vendor lead

    # In-house leads and admins manage incidents: they link tickets from an incident picker.
    client.force_login(people["inhouse_lead"])
    assert f'<option value="{incident.pk}">#{incident.pk} Outage</option>' in (
        client.get("/tickets/").content.decode())  # fmt: skip
    refs = [tf.ticket(queues["inhouse"]).reference for _ in range(2)]
    post("incident", incident=str(incident.pk))
    assert incident.tickets.count() == 2


def test_a_bulk_failure_is_a_sentence_naming_the_ticket_and_the_person(desk, client):
    people, queues = desk["people"], desk["queues"]
    grace = factories.user(team=desk["teams"]["north"], full_name="Grace Hopper")
    tier2 = tf.ticket(queues["north_t2"])  # Tier 2 only: Grace (Tier 1) cannot work it
    tier1 = tf.ticket(queues["north"])
    client.force_login(people["north_lead"])
    response = client.post("/tickets/bulk/", {"refs": [tier2.reference, tier1.reference],
                                              "action": "assign", "assignee": str(grace.pk)},
                           follow=True)  # fmt: skip
    body = response.content.decode()
    assert f"{tier2.reference}: Grace Hopper cannot work tickets in Northwind Tier 2." in body
    assert "1 ticket(s) updated." in body
    assert Ticket.objects.get(pk=tier1.pk).assignee == grace


@pytest.mark.parametrize(
    ("action", "fields"),
    [
        ("priority", {"priority": "urgent"}), ("priority", {"priority": "9"}),
        ("queue", {"queue": "abc"}), ("queue", {"queue": "999999"}),
        ("status", {"status": "bogus"}), ("status", {"status": ""}),
        ("assign", {"assignee": "zz"}), ("assign", {"assignee": ""}),
        ("tag", {"tag": ""}), ("incident", {"incident": "x"}),
        ("priority", {"value": "abc"}), ("queue", {"value": "abc"}),
        ("explode", {}),
    ],
)  # fmt: skip
def test_bad_bulk_values_give_a_sentence_never_an_exceptions_text(desk, client, action, fields):
    client.force_login(desk["people"]["north_lead"])
    ticket = tf.ticket(desk["queues"]["north"])
    response = client.post("/tickets/bulk/", {"refs": [ticket.reference], "action": action,
                                              **fields}, follow=True)  # fmt: skip
    assert response.status_code == 200
    body = response.content.decode()
    alerts = re.findall(r'class="alert alert-danger"[^>]*>([^<]*)<', body)
    assert alerts, body
    for alert in alerts:
        assert "invalid literal" not in alert and "Traceback" not in alert and "int()" not in alert
        assert alert.rstrip().endswith("."), alert
    ticket.refresh_from_db()
    assert (ticket.priority, ticket.status, ticket.tags, ticket.assignee_id) == (
        Priority.NORMAL, Status.NEW, [], None)  # fmt: skip


def test_a_person_not_offered_cannot_be_assigned_by_a_crafted_post(desk, client):
    people = desk["people"]
    ticket = tf.ticket(desk["queues"]["north"])
    client.force_login(people["north_agent"])  # an agent sees only themselves
    response = client.post("/tickets/bulk/", {"refs": [ticket.reference], "action": "assign",
                                              "assignee": str(people["north_lead"].pk)},
                           follow=True)  # fmt: skip
    assert "You cannot assign tickets to that person." in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.assignee is None


def test_the_page_has_a_labelled_select_all_checkbox_for_its_rows(desk, client):
    client.force_login(desk["people"]["north_agent"])
    tf.ticket(desk["queues"]["north"])
    body = _queue_page(client)
    box = re.search(r'<input[^>]*id="bulk-select-all"[^>]*>', body)
    assert box and 'type="checkbox"' in box.group(0) and "name=" not in box.group(0)
    assert re.search(r'<label[^>]*for="bulk-select-all"[^>]*>Select every ticket on this page<',
                     body)  # fmt: skip


def test_many_failures_show_ten_sentences_and_how_many_more(desk, client):
    grace = factories.user(team=desk["teams"]["north"], full_name="Grace Hopper")
    refs = [tf.ticket(desk["queues"]["north_t2"]).reference for _ in range(12)]
    client.force_login(desk["people"]["north_lead"])
    response = client.post("/tickets/bulk/", {"refs": refs, "action": "assign",
                                              "assignee": str(grace.pk)}, follow=True)  # fmt: skip
    body = response.content.decode()
    assert body.count("Grace Hopper cannot work tickets in Northwind Tier 2.") == 10
    assert "2 more tickets were not changed." in body
