"""The properties form (HTML page and API PATCH) saves through one service: in today's
order, in one transaction, so a failure anywhere leaves the ticket as it was."""

import pytest
from rest_framework.test import APIClient

from tests import factories
from tests.tickets import factories as tf
from tickets import services
from tickets.models import Event, Status


def snapshot(ticket):
    ticket.refresh_from_db()
    return (ticket.queue_id, ticket.assignee_id, ticket.priority, list(ticket.tags),
            ticket.status, Event.objects.filter(ticket=ticket).count())  # fmt: skip


@pytest.fixture
def lead(desk):
    """north_lead works both Northwind queues; in "Northwind Tier 2" only Tier 2 may be
    assigned, so north_agent cannot take a ticket there."""
    return desk["people"]["north_lead"]


@pytest.fixture
def solved(desk, lead):
    ticket = tf.ticket(desk["queues"]["north"])
    ticket = services.ticket_change_status(actor=lead, ticket=ticket, status=Status.SOLVED)
    return ticket


# Each property's valid change; a solved ticket cannot go back to "new", so adding that
# status as the last step makes the whole save fail after the change was made.
VALID_CHANGES = {
    "queue": lambda desk: desk["queues"]["north_t2"],
    "assignee": lambda desk: desk["people"]["north_lead"],
    "priority": lambda desk: 1,
    "tags": lambda desk: ["vip"],
}


@pytest.mark.parametrize("prop", sorted(VALID_CHANGES))
def test_a_failing_status_rolls_back_every_change_made_before_it(desk, lead, solved, prop):
    before = snapshot(solved)
    with pytest.raises(services.TicketConflict):
        services.ticket_update_properties(actor=lead, ticket=solved, status=Status.NEW,
                                          **{prop: VALID_CHANGES[prop](desk)})  # fmt: skip
    assert snapshot(solved) == before


def test_an_assignee_who_cannot_work_the_new_queue_rolls_back_the_move(desk, lead):
    ticket = tf.ticket(desk["queues"]["north"])
    before = snapshot(ticket)
    with pytest.raises(services.TicketError, match="cannot work this queue"):
        services.ticket_update_properties(
            actor=lead, ticket=ticket, queue=desk["queues"]["north_t2"], priority=1,
            assignee=desk["people"]["north_agent"],
        )  # fmt: skip
    assert snapshot(ticket) == before


def test_the_assignee_is_checked_against_the_queue_the_ticket_moves_to(desk, lead):
    ticket = tf.ticket(desk["queues"]["north"])
    tier2 = desk["people"]["north2_agent"]
    ticket = services.ticket_update_properties(
        actor=lead, ticket=ticket, queue=desk["queues"]["north_t2"], assignee=tier2,
        priority=1, tags=["vip"], status=Status.PENDING,
    )  # fmt: skip
    ticket.refresh_from_db()
    assert (ticket.queue, ticket.assignee, ticket.priority, ticket.tags, ticket.status) == (
        desk["queues"]["north_t2"], tier2, 1, ["vip"], Status.PENDING)  # fmt: skip


def test_someone_the_actor_cannot_see_cannot_be_assigned(desk):
    ticket = tf.ticket(desk["queues"]["north"])
    before = snapshot(ticket)
    with pytest.raises(services.TicketError):
        services.ticket_update_properties(actor=desk["people"]["north_agent"], ticket=ticket,
                                          priority=1, assignee=desk["people"]["admin"])  # fmt: skip
    assert snapshot(ticket) == before


def test_properties_left_out_are_not_touched(desk, lead):
    ticket = tf.ticket(desk["queues"]["north"])
    ticket = services.ticket_assign(actor=lead, ticket=ticket, assignee=lead)
    services.ticket_update_properties(actor=lead, ticket=ticket, priority=1)
    ticket.refresh_from_db()
    assert ticket.assignee == lead and ticket.priority == 1
    assert Event.objects.filter(ticket=ticket, kind="priority_changed").count() == 1
    assert not Event.objects.filter(ticket=ticket, kind__in=["tags_changed", "queue_changed"])


# ------------------------------------------------------------------ the page


def form(ticket, **fields):
    return {"status": ticket.status, "priority": ticket.priority, "queue": ticket.queue_id,
            "assignee": ticket.assignee.email if ticket.assignee else "",
            "tags": ", ".join(ticket.tags), **fields}  # fmt: skip


def test_the_page_leaves_nothing_changed_when_the_assignee_cannot_work_the_new_queue(
    desk, lead, client
):
    client.force_login(lead)
    ticket = tf.ticket(desk["queues"]["north"])
    before = snapshot(ticket)
    response = client.post(f"/tickets/{ticket.reference}/update/", form(
        ticket, queue=desk["queues"]["north_t2"].pk, priority=1,
        assignee=desk["people"]["north_agent"].email,
    ), follow=True)  # fmt: skip
    assert "That person cannot work this queue." in response.content.decode()
    assert snapshot(ticket) == before


def test_the_page_leaves_nothing_changed_when_the_status_cannot_follow(desk, lead, solved, client):
    client.force_login(lead)
    before = snapshot(solved)
    response = client.post(f"/tickets/{solved.reference}/update/", form(
        solved, queue=desk["queues"]["north_t2"].pk, priority=1, tags="vip",
        assignee=desk["people"]["north2_agent"].email, status=Status.NEW,
    ), follow=True)  # fmt: skip
    assert "cannot become" in response.content.decode()
    assert snapshot(solved) == before


def test_the_page_saves_every_property_and_says_so(desk, lead, client):
    client.force_login(lead)
    ticket = tf.ticket(desk["queues"]["north"])
    response = client.post(f"/tickets/{ticket.reference}/update/", form(
        ticket, queue=desk["queues"]["north_t2"].pk, priority=1, tags="vip",
        assignee=desk["people"]["north2_agent"].email, status=Status.PENDING,
    ), follow=True)  # fmt: skip
    assert "Ticket updated." in response.content.decode()
    ticket.refresh_from_db()
    assert (ticket.queue_id, ticket.assignee, ticket.priority, ticket.tags, ticket.status) == (
        desk["queues"]["north_t2"].pk, desk["people"]["north2_agent"], 1, ["vip"],
        Status.PENDING)  # fmt: skip


def test_the_page_lets_a_lead_take_a_ticket_in_any_queue_they_work(desk, lead, client):
    # "me" is checked by who may work the queue, not by whom the lead may assign.
    client.force_login(lead)
    ticket = tf.ticket(desk["queues"]["north_t2"])
    client.post(f"/tickets/{ticket.reference}/update/", form(ticket, assignee="me"))
    ticket.refresh_from_db()
    assert ticket.assignee == lead


def test_the_page_assigns_a_new_ticket_with_the_status_left_as_filled_in(desk, lead, client):
    # Assigning opens a new ticket; the "New" still selected in the form is no change.
    client.force_login(lead)
    ticket = tf.ticket(desk["queues"]["north"])
    assert ticket.status == Status.NEW
    response = client.post(f"/tickets/{ticket.reference}/update/",
                           form(ticket, assignee="me", priority=1), follow=True)  # fmt: skip
    assert "Ticket updated." in response.content.decode()
    ticket.refresh_from_db()
    assert (ticket.assignee, ticket.status, ticket.priority) == (lead, Status.OPEN, 1)


def test_the_page_keeps_the_assignee_field_as_filled_in_when_moving_is_all_that_changed(
    desk, lead, client
):
    client.force_login(lead)
    ticket = tf.ticket(desk["queues"]["north"])
    ticket = services.ticket_assign(actor=lead, ticket=ticket,
                                    assignee=desk["people"]["north_agent"])  # fmt: skip
    moved = form(ticket, queue=desk["queues"]["north_t2"].pk)
    response = client.post(f"/tickets/{ticket.reference}/update/", moved, follow=True)
    assert "Ticket updated." in response.content.decode()
    ticket.refresh_from_db()
    # Moved; the agent, who cannot work Tier 2, is unassigned by the move.
    assert (ticket.queue_id, ticket.assignee) == (desk["queues"]["north_t2"].pk, None)


# ------------------------------------------------------------------- the API


@pytest.fixture
def api(lead):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {factories.api_key(lead)}")
    return client


def test_the_api_leaves_nothing_changed_when_the_assignee_cannot_work_the_new_queue(desk, api):
    ticket = tf.ticket(desk["queues"]["north"])
    before = snapshot(ticket)
    agent = desk["people"]["north_agent"]
    response = api.patch(f"/api/v1/tickets/{ticket.reference}/", {
        "queue": desk["queues"]["north_t2"].pk, "priority": 1, "assignee": agent.pk,
    }, format="json")  # fmt: skip
    assert response.status_code == 400
    assert response.json()["detail"] == f"user {agent.pk} cannot be assigned tickets in this queue."
    assert snapshot(ticket) == before


def test_the_api_leaves_nothing_changed_when_the_status_cannot_follow(desk, api, solved):
    before = snapshot(solved)
    response = api.patch(f"/api/v1/tickets/{solved.reference}/", {
        "queue": desk["queues"]["north_t2"].pk, "priority": 1, "tags": ["vip"],
        "assignee": desk["people"]["north2_agent"].pk, "status": Status.NEW,
    }, format="json")  # fmt: skip
    assert response.status_code == 409 and response.json()["code"] == "conflict"
    assert snapshot(solved) == before


def test_the_api_refuses_a_queue_the_caller_cannot_use(desk, api):
    ticket = tf.ticket(desk["queues"]["north"])
    atlas = desk["queues"]["atlas"]
    response = api.patch(f"/api/v1/tickets/{ticket.reference}/",
                         {"queue": atlas.pk, "priority": 1}, format="json")  # fmt: skip
    assert response.status_code == 400
    assert response.json()["detail"] == f"queue {atlas.pk} does not exist or is not yours to use."
    ticket.refresh_from_db()
    assert ticket.priority != 1
