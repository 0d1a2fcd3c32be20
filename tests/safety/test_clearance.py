"""Clearance: a child-safety ticket is 404 on every ticket route, and absent from every
list, for anyone not cleared (admins included), even when their team is granted its queue."""

import pytest
from django.urls import reverse

import tests.test_route_scoping as scoping
from safety import exposure
from safety.models import Clearance, SafetyEvent
from safety.taxonomy import ensure_defaults
from tests import factories
from tests.tickets import factories as tf
from tickets.models import Queue

ROUTES = [(n, m) for n, methods in scoping.TICKET_ROUTES.items() for m in methods]


@pytest.fixture
def child_ticket(desk):
    ensure_defaults()
    queue = Queue.objects.get(slug="child-safety")
    queue.teams.add(desk["teams"]["inhouse"])
    ticket = tf.ticket(queue, subject="Zebracorn exploitation report", body="secret body")
    return {**desk, "ticket": ticket, "queue": queue}


def _call(client, name, method, ticket, **extra):  # type: ignore[no-untyped-def]
    path = reverse(name, kwargs={"reference": ticket.reference})
    data = {"body": "x", "reference": ticket.reference, "status": "solved"}
    if name.startswith("api"):
        return getattr(client, method)(path, data=data, content_type="application/json", **extra)
    return getattr(client, method)(path, data)


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["inhouse_agent", "admin"])
@pytest.mark.parametrize(("name", "method"), ROUTES)
def test_uncleared_people_get_404_on_every_ticket_route(child_ticket, client, who, name, method):
    ticket = child_ticket["ticket"]
    person = child_ticket["people"][who]
    client.force_login(person)
    token = factories.api_key(person)
    response = _call(client, name, method, ticket, HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 404
    ticket.refresh_from_db()
    assert ticket.messages.count() == 1 and ticket.assignee is None


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["inhouse_agent", "admin"])
def test_a_cleared_person_opens_the_ticket(child_ticket, client, who):
    ticket, admin = child_ticket["ticket"], child_ticket["people"]["admin"]
    person = child_ticket["people"][who]
    client.force_login(person)
    assert client.get(reverse("tickets:detail", args=[ticket.reference])).status_code == 404
    if person == admin:
        Clearance.objects.create(user=admin, granted_by=admin)
    else:
        exposure.grant_clearance(admin=admin, user=person, note="Trained")
    assert client.get(reverse("tickets:detail", args=[ticket.reference])).status_code == 200
    search = client.get(reverse("tickets:search"), {"q": "Zebracorn"})
    assert ticket.reference in search.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["inhouse_agent", "admin"])
def test_lists_counts_search_and_the_api_never_show_it_uncleared(child_ticket, client, who):
    ticket = child_ticket["ticket"]
    person = child_ticket["people"][who]
    client.force_login(person)
    api = {"HTTP_AUTHORIZATION": f"Token {factories.api_key(person)}"}
    pages = [
        client.get(reverse("tickets:queue"), {"view": "all"}),
        client.get(reverse("tickets:queue"), {"view": "queue", "queue": ticket.queue_id}),
        client.get(reverse("tickets:counts")),
        client.get(reverse("tickets:search"), {"q": "Zebracorn"}),
        client.get(reverse("tickets:search"), {"q": ticket.requester.email}),
        client.get(reverse("api-tickets"), {"view": "all"}, **api),
        client.get(reverse("api-tickets"), {"q": "Zebracorn"}, **api),
    ]
    for page in pages:
        assert page.status_code == 200, page.request
        body = page.content.decode()
        assert ticket.reference not in body and "exploitation" not in body, page.request
    client.post(reverse("tickets:next"))
    ticket.refresh_from_db()
    assert ticket.assignee is None


@pytest.mark.django_db
def test_granting_and_revoking_clearance_is_audited_and_admin_only(child_ticket):
    admin, agent = child_ticket["people"]["admin"], child_ticket["people"]["inhouse_agent"]
    with pytest.raises(exposure.Forbidden):
        exposure.grant_clearance(admin=child_ticket["people"]["inhouse_lead"], user=agent)
    exposure.grant_clearance(admin=admin, user=agent, note="Trained")
    with pytest.raises(exposure.ExposureConflict):
        exposure.grant_clearance(admin=admin, user=agent)
    exposure.revoke_clearance(admin=admin, user=agent)
    with pytest.raises(exposure.ExposureConflict):
        exposure.revoke_clearance(admin=admin, user=agent)
    kinds = list(SafetyEvent.objects.filter(subject=agent).values_list("kind", flat=True))
    assert sorted(kinds) == ["clearance_granted", "clearance_revoked"]


@pytest.mark.django_db
def test_a_ticket_created_in_a_cleared_category_goes_to_its_queue_wherever_it_was_sent(
    child_ticket, client
):
    # A routing rule, a form or the API names the category; the ticket was sent elsewhere.
    general = child_ticket["queues"]["inhouse"]
    ticket = tf.ticket(general, subject="Routed by a rule", category="child-safety")
    ticket.refresh_from_db()
    assert ticket.queue == child_ticket["queue"]
    client.force_login(child_ticket["people"]["inhouse_agent"])
    assert client.get(reverse("tickets:detail", args=[ticket.reference])).status_code == 404
    # Any other category stays where it was sent.
    other = tf.ticket(general, subject="Spam", category="spam-scams")
    other.refresh_from_db()
    assert other.queue == general


@pytest.mark.django_db
def test_a_cleared_ticket_leaves_its_queue_only_once_marked_with_another_category(child_ticket):
    from safety import viewing
    from safety.categories import by_key
    from safety.clearance import ClearanceConflict
    from tickets.services import ticket_move_queue

    admin, general = child_ticket["people"]["admin"], child_ticket["queues"]["inhouse"]
    exposure.grant_clearance(admin=admin, user=admin, note="Specialist")
    ticket = tf.ticket(general, subject="Found in a queue", category="child-safety")
    with pytest.raises(ClearanceConflict):
        ticket_move_queue(actor=admin, ticket=ticket, queue=general)
    ticket.refresh_from_db()
    assert ticket.queue == child_ticket["queue"]
    viewing.ticket_mark(actor=admin, ticket=ticket, category=by_key()["adult-nudity"])
    ticket_move_queue(actor=admin, ticket=ticket, queue=general)
    ticket.refresh_from_db()
    assert ticket.queue == general


@pytest.mark.django_db
def test_the_api_creates_a_cleared_ticket_it_may_not_show(child_ticket):
    from rest_framework.test import APIClient

    from tickets.models import Event, Ticket

    agent = child_ticket["people"]["north_agent"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {factories.api_key(agent)}")
    payload = {"subject": "Found abuse", "body": "Details", "language": "en",
               "queue": child_ticket["queues"]["north"].pk, "category": "child-safety",
               "requester": {"email": "maya@example.org"}}  # fmt: skip
    response = client.post("/api/v1/tickets/", payload, format="json")
    assert response.status_code == 201, response.json()
    assert set(response.json()) == {"reference", "detail"}
    ticket = Ticket.objects.get(reference=response.json()["reference"])
    assert ticket.queue == child_ticket["queue"]
    # It was never in the queue it was sent to: its first event names the cleared queue.
    created = Event.objects.get(ticket=ticket, kind="created")
    assert created.after["queue"] == "child-safety"
    assert not Event.objects.filter(ticket=ticket, kind="queue_changed").exists()


@pytest.mark.django_db
def test_moving_it_out_from_the_page_shows_why_and_a_merge_out_is_refused(child_ticket, client):
    from safety.clearance import ClearanceConflict
    from tickets.services import ticket_merge

    admin, general = child_ticket["people"]["admin"], child_ticket["queues"]["inhouse"]
    exposure.grant_clearance(admin=admin, user=admin, note="Specialist")
    ticket = tf.ticket(general, subject="Found in a queue", category="child-safety")
    client.force_login(admin)
    page = client.post(reverse("tickets:update", args=[ticket.reference]),
                       {"status": ticket.status, "priority": ticket.priority,
                        "queue": general.pk, "assignee": "", "tags": ""})  # fmt: skip
    assert page.status_code == 302  # back to the ticket with the reason, not a 500
    ticket.refresh_from_db()
    assert ticket.queue == child_ticket["queue"]
    other = tf.ticket(general, subject="Unrelated", requester_=ticket.requester)
    with pytest.raises(ClearanceConflict):
        ticket_merge(actor=admin, source=ticket, target=other)
    assert ticket.messages.count() == 1
