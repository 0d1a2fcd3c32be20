"""Every number on the dashboards opens the tickets it counts: the queue page, narrowed
by the number's period, slice and row (tickets.forms.QueueFilterForm)."""

from __future__ import annotations

import pytest

from tests.analytics.views.pages import cell_link, references, tile

pytestmark = pytest.mark.django_db


def listed(client, url: str) -> set[str]:  # type: ignore[no-untyped-def]
    response = client.get(url)
    assert response.status_code == 200
    return references(response.content.decode())


def refs(busy, *names: str) -> set[str]:  # type: ignore[no-untyped-def]
    return {busy["tickets"][name].reference for name in names}


def test_created_in_spanish_over_seven_days_opens_those_tickets(busy, client):
    client.force_login(busy["people"]["inhouse_lead"])
    body = client.get("/analytics/?slice=language:es&range=7").content.decode()
    number, url = tile(body, "created")
    assert number == "2"
    assert listed(client, url) == refs(busy, "billing", "spanish")
    page = client.get(url).content.decode()
    assert 'data-testid="queue-narrowed"' in page  # the list says what narrows it
    assert "Created from" in page and "Created before" in page


def test_solved_and_the_rates_over_solves_open_the_solved_tickets(busy, client):
    client.force_login(busy["people"]["inhouse_lead"])
    body = client.get("/analytics/").content.decode()
    for key in ("solved", "reopen_rate", "one_touch"):
        assert listed(client, tile(body, key)[1]) == refs(busy, "billing"), key


def test_the_backlog_and_its_age_buckets_open_the_active_tickets_of_that_age(busy, client):
    client.force_login(busy["people"]["inhouse_lead"])
    queue = busy["queues"]["inhouse"].pk
    body = client.get(f"/analytics/?slice=queue:{queue}").content.decode()
    number, url = tile(body, "backlog")
    assert number == "3"
    assert listed(client, url) == refs(busy, "spanish", "english", "due_soon")
    assert listed(client, cell_link(body, "backlog-table", ["1–3 d"], 0)) == refs(
        busy, "spanish", "english"
    )
    assert listed(client, cell_link(body, "backlog-table", ["< 1 h"], 0)) == refs(busy, "due_soon")
    assert listed(client, cell_link(body, "backlog-table", ["> 7 d"], 0)) == set()


def test_a_queue_and_language_cell_opens_that_queue_in_that_language(busy, client):
    client.force_login(busy["people"]["admin"])
    body = client.get("/analytics/").content.decode()
    url = cell_link(body, "queue-table", ["Northwind", "Spanish (es)"], 0)
    assert listed(client, url) == refs(busy, "north")
    url = cell_link(body, "queue-table", ["T&S", "Spanish (es)"], 1)  # solved
    assert listed(client, url) == refs(busy, "billing")


def test_a_vendor_row_opens_the_tickets_of_that_vendors_people(busy, client):
    client.force_login(busy["people"]["admin"])
    body = client.get("/analytics/").content.decode()
    assert listed(client, cell_link(body, "vendor-table", ["Northwind"], 1)) == refs(busy, "north")


def test_a_chart_tables_bucket_opens_the_tickets_of_that_day(busy, client):
    client.force_login(busy["people"]["inhouse_lead"])
    body = client.get("/analytics/").content.decode()
    url = cell_link(body, "chart-volume-table", ["28 Feb 2026"], 0)
    assert listed(client, url) == refs(busy, "billing", "spanish", "english")


def test_an_agents_solved_opens_what_they_solved(busy, client):
    client.force_login(busy["people"]["inhouse_lead"])
    body = client.get("/analytics/agents/").content.decode()
    agent = busy["people"]["inhouse_agent"]
    url = cell_link(body, "agent-table", [agent.get_full_name(), "Trust & Safety"], 0)
    assert listed(client, url) == refs(busy, "billing")


def test_a_vendors_column_opens_that_vendors_solved_tickets(busy, client):
    client.force_login(busy["people"]["admin"])
    body = client.get("/analytics/vendors/").content.decode()
    columns = [busy["vendors"]["atlas"].name, busy["vendors"]["north"].name]  # by name
    url = cell_link(body, "vendor-comparison", ["Solved"], columns.index("Northwind"))
    assert listed(client, url) == refs(busy, "north")


def test_a_vendors_lead_following_a_link_still_sees_only_their_tickets(busy, client):
    client.force_login(busy["people"]["north_lead"])
    body = client.get("/analytics/?range=30").content.decode()
    number, url = tile(body, "created")
    assert number == "3"
    assert listed(client, url) == refs(busy, "north", "north_fr", "north_due")
