"""The queue's filters a dashboard's number needs (analytics drill-down): every status
("any"), a creation or solve range, category, and the assignee's team or vendor. They
stay on the page as hidden fields with a sentence each; a bad value drops that filter."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.http import QueryDict
from django.utils import timezone

from tests.tickets import factories as tf
from tickets import services
from tickets.forms import QueueFilterForm
from tickets.selectors import QueueFilters

pytestmark = pytest.mark.django_db


def refs(client, **params) -> set[str]:  # type: ignore[no-untyped-def]
    response = client.get("/tickets/", params)
    assert response.status_code == 200
    return set(re.findall(r'data-reference="([^"]+)"', response.content.decode()))


@pytest.fixture
def spread(desk, client):
    """Northwind tickets created 3 days, 2 days and 1 hour ago; the first solved a day
    ago by a Tier 1 agent, the second assigned to the Tier 2 lead."""
    queue, now = desk["queues"]["north"], timezone.now()
    with time_machine.travel(now - timedelta(days=3), tick=False):
        old = tf.ticket(queue, category="billing")
    with time_machine.travel(now - timedelta(days=2), tick=False):
        mid = tf.ticket(queue, category="login")
    with time_machine.travel(now - timedelta(days=1), tick=False):
        services.ticket_change_status(actor=desk["people"]["north_agent"], ticket=old,
                                      status="solved")  # fmt: skip
    services.ticket_assign(actor=desk["people"]["north2_lead"], ticket=mid,
                           assignee=desk["people"]["north2_lead"])  # fmt: skip
    new = tf.ticket(queue, category="billing")
    client.force_login(desk["people"]["north_lead"])
    return {**desk, "now": now, "old": old, "mid": mid, "new": new}


def test_any_lists_every_status_newest_first_and_narrows_by_creation(spread, client):
    now = spread["now"]
    everything = {spread[k].reference for k in ("old", "mid", "new")}
    assert refs(client, view="any") == everything
    window = {"created_from": (now - timedelta(days=4)).isoformat(),
              "created_to": (now - timedelta(days=1)).isoformat()}  # fmt: skip
    assert refs(client, view="any", **window) == {spread["old"].reference, spread["mid"].reference}
    body = client.get("/tickets/", {"view": "any", **window}).content.decode()
    assert '<input type="hidden" name="created_from"' in body  # kept when filters change
    assert "Created from" in body and "Show without these" in body
    # Every status is offered, and only the sorts an index serves for every status.
    assert 'value="solved" id="f-status-solved"' in body
    sorts = re.search(r'<select id="f-sort".*?</select>', body, re.S).group(0)
    assert 'value="updated"' not in sorts and 'value="urgency"' not in sorts


def test_solved_in_a_range_replaces_the_recent_week(spread, client):
    now = spread["now"]
    since = {"solved_from": (now - timedelta(days=2)).isoformat()}
    assert refs(client, view="solved", **since) == {spread["old"].reference}
    assert refs(client, view="solved", solved_from=(now - timedelta(hours=1)).isoformat()) == set()


def test_category_team_and_vendor(spread, client, desk):
    assert refs(client, view="any", category="billing") == {spread["old"].reference,
                                                             spread["new"].reference}  # fmt: skip
    assert refs(client, view="any", team=desk["teams"]["north2"].pk) == {spread["mid"].reference}
    assert refs(client, view="any", vendor=desk["vendors"]["north"].pk) == {spread["mid"].reference}
    body = client.get("/tickets/", {"view": "any", "team": desk["teams"]["north2"].pk}).content
    assert "Assigned to someone in Tier 2" in body.decode()


def test_an_assignee_id_is_offered_in_the_assignee_filter(spread, client, desk):
    lead = desk["people"]["north2_lead"]
    body = client.get("/tickets/", {"view": "any", "assignee": lead.pk}).content.decode()
    assert f'<option value="{lead.pk}" selected>{lead.get_full_name()}</option>' in body
    assert refs(client, view="any", assignee=lead.pk) == {spread["mid"].reference}


@pytest.mark.parametrize("bad", [{"created_from": "yesterday"}, {"team": "x"},
                                 {"vendor": "-3"}, {"solved_to": "2026-13-45T99:00"},
                                 {"team": "99999999999999999999"}])  # fmt: skip
def test_a_bad_value_drops_that_filter_not_the_page(spread, client, bad):
    assert len(refs(client, view="any", **bad)) == 3


def test_the_filters_round_trip_through_the_query_string():
    filters = QueueFilters(view="any", sort="oldest", category="billing", team=3, vendor=4,
                           created_from=timezone.now().replace(microsecond=0))  # fmt: skip
    again = QueueFilterForm(QueryDict(filters.as_query())).filters()
    assert again == filters
