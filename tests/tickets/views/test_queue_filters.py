"""The queue's filters and sorts on the page (issue 14, item 19): status is a set of
checkboxes, language and tag offer the values that exist, the sort is kept across pages."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.tickets import factories as tf
from tickets import services
from tickets.models import Status, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(desk, client):
    client.force_login(desk["people"]["north_agent"])
    return desk


def _page(client, **params) -> str:  # type: ignore[no-untyped-def]
    response = client.get("/tickets/", params)
    assert response.status_code == 200
    return response.content.decode()


def _checkboxes(body: str, name: str) -> dict[str, bool]:
    boxes = re.findall(rf'<input[^>]*type="checkbox"[^>]*name="{name}"[^>]*>', body)
    return {re.search(r'value="([^"]*)"', box).group(1): " checked" in box for box in boxes}


def _options(body: str, select_id: str) -> dict[str, bool]:
    select = re.search(rf'<select[^>]*id="{select_id}"[^>]*>(.*?)</select>', body, re.S)
    assert select, select_id
    return {value: bool(selected) for value, selected in
            re.findall(r'<option value="([^"]*)"( selected)?', select.group(1))}  # fmt: skip


@pytest.mark.parametrize(
    ("view", "statuses"),
    [("all", {"new", "open", "pending", "on_hold"}),
     ("mine", {"new", "open", "pending", "on_hold"}),
     ("unassigned", {"new", "open"}), ("solved", {"solved", "closed"})],
)  # fmt: skip
def test_status_is_a_set_of_checkboxes_offering_the_views_statuses(agent, client, view, statuses):
    body = _page(client, view=view)
    assert set(_checkboxes(body, "status")) == statuses
    assert re.search(r"<fieldset[^>]*>\s*<legend[^>]*>Status</legend>", body)


def test_several_statuses_are_filtered_at_once_and_stay_ticked(agent, client):
    queue = agent["queues"]["north"]
    pending, on_hold, open_ = (tf.ticket(queue) for _ in range(3))
    services.ticket_change_status(actor=None, ticket=pending, status=Status.PENDING)
    services.ticket_change_status(actor=None, ticket=on_hold, status=Status.ON_HOLD)
    services.ticket_change_status(actor=None, ticket=open_, status=Status.OPEN)
    body = _page(client, view="all", status=["pending", "on_hold"])
    refs = set(re.findall(r'data-reference="([^"]+)"', body))
    assert refs == {pending.reference, on_hold.reference}
    assert _checkboxes(body, "status") == {"new": False, "open": False, "pending": True,
                                           "on_hold": True}  # fmt: skip


def test_language_and_tag_filters_offer_the_values_that_exist(agent, client):
    north, atlas = agent["queues"]["north"], agent["queues"]["atlas"]
    tf.ticket(north, language="es", tags=["refund"])
    tf.ticket(north, language="en", tags=["login", "vip"])
    tf.ticket(atlas, language="ar", tags=["atlas-only"])
    body = _page(client, view="all")
    assert _options(body, "f-language") == {"": True, "en": False, "es": False}
    assert _options(body, "f-tag") == {"": True, "login": False, "refund": False, "vip": False}
    assert "Spanish" in body  # languages are named, not just coded
    # A value that no active ticket has any more (a saved view) stays chosen.
    body = _page(client, view="all", language="fr", tag="gone")
    assert _options(body, "f-language")["fr"] and _options(body, "f-tag")["gone"]


def test_the_sort_is_offered_applied_and_kept_by_the_next_page_link(agent, client):
    queue = agent["queues"]["north"]
    start = timezone.now() - timedelta(days=1)
    tickets = [tf.ticket(queue) for _ in range(55)]
    for n, ticket in enumerate(tickets):
        Ticket.objects.filter(pk=ticket.pk).update(created_at=start + timedelta(minutes=n))
    body = _page(client, view="all", sort="oldest")
    assert set(_options(body, "f-sort")) == {"urgency", "newest", "oldest", "updated"}
    assert _options(body, "f-sort")["oldest"]
    refs = re.findall(r'data-reference="([^"]+)"', body)
    assert refs == [t.reference for t in tickets[:50]]
    next_link = re.search(r'data-testid="next-page" href="\?([^"]+)"', body).group(1)
    assert "sort=oldest" in next_link
    rest = client.get(f"/tickets/?{next_link.replace('&amp;', '&')}").content.decode()
    assert re.findall(r'data-reference="([^"]+)"', rest) == [t.reference for t in tickets[50:]]
    assert _page(client, view="all", sort="sideways")  # an unknown sort: the default


@pytest.mark.parametrize("lead", ["north_lead", "inhouse_lead"])
def test_the_queue_page_makes_a_fixed_number_of_queries_for_a_lead_with_every_picker(
    desk, client, django_assert_max_num_queries, lead
):
    from escalations import services as esc

    client.force_login(desk["people"][lead])
    for n in range(30):
        queue = ["north", "north_t2", "inhouse"][n % 3]
        tf.ticket(desk["queues"][queue], tags=[f"tag{n % 7}"], language=["en", "es", "de"][n % 2])
    for n in range(3):
        esc.incident_open(actor=desk["people"]["admin"], title=f"Outage {n}", severity=3)
    client.get("/tickets/?view=all")
    # The session and the person, the configuration version, the rows; the lead's team
    # and the people they may assign to; whether the team is in-house, and the open
    # incidents (in-house leads and admins link tickets to them). Queues come from the
    # per-process cache, languages and tags from Redis: whatever the number of tickets.
    with django_assert_max_num_queries(8):
        response = client.get("/tickets/?view=all&sort=newest&status=new&status=open")
    assert response.status_code == 200
