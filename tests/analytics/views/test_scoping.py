"""Who may open which dashboard (tests/analytics/routes.py): leads and admins only, the
vendor comparison not for a vendor's lead, and no page shows another vendor's work."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.analytics.routes import DASHBOARD_ROUTES

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("name", "method"), [(n, m) for n, methods in DASHBOARD_ROUTES.items() for m in methods]
)
@pytest.mark.parametrize("who", ["inhouse_agent", "north_agent", "atlas_agent"])
def test_every_dashboard_route_is_404_for_agents(busy, client, name, method, who):
    client.force_login(busy["people"][who])
    assert getattr(client, method)(reverse(name)).status_code == 404


@pytest.mark.parametrize("who", ["north_lead", "atlas_lead"])
def test_the_vendor_comparison_is_404_for_a_vendors_lead(busy, client, who):
    client.force_login(busy["people"][who])
    assert client.get(reverse("analytics:vendors")).status_code == 404


@pytest.mark.parametrize("who", ["admin", "inhouse_lead"])
def test_admins_and_in_house_leads_compare_vendors(busy, client, who):
    client.force_login(busy["people"][who])
    body = client.get(reverse("analytics:vendors")).content.decode()
    assert "Northwind" in body and "Atlas" in body


@pytest.mark.parametrize("name", list(DASHBOARD_ROUTES))
def test_no_dashboard_shows_a_vendors_lead_another_vendors_work(busy, client, name):
    client.force_login(busy["people"]["atlas_lead"])
    response = client.get(reverse(name), {"range": "30"})
    if name == "analytics:vendors":
        assert response.status_code == 404
        return
    body = response.content.decode()
    assert response.status_code == 200
    for ticket in ("billing", "north", "north_due", "due_soon"):
        assert busy["tickets"][ticket].reference not in body
    assert "Northwind" not in body and "T&amp;S" not in body and "Trust &amp; Safety" not in body
    assert busy["people"]["north_agent"].get_full_name() not in body


def test_the_agent_table_lists_only_the_people_in_scope(busy, client):
    client.force_login(busy["people"]["north_lead"])
    body = client.get(reverse("analytics:agents"), {"range": "30"}).content.decode()
    assert busy["people"]["north_agent"].get_full_name() in body
    assert busy["people"]["inhouse_agent"].get_full_name() not in body
    assert busy["people"]["atlas_agent"].get_full_name() not in body
    client.force_login(busy["people"]["inhouse_lead"])
    body = client.get(reverse("analytics:agents"), {"range": "30"}).content.decode()
    assert busy["people"]["inhouse_agent"].get_full_name() in body
    assert busy["people"]["north_agent"].get_full_name() not in body
