"""Every choice list on the escalation pages comes from the scoping functions: what is
offered names only vendors, queues and people the person may see, and an id that is not
offered is a form error (never a 500 or a silent accept)."""

import pytest

from escalations import selectors, services
from escalations.models import Incident, IncidentUpdate
from tests.escalations import factories as ef
from tests.test_route_scoping import _path
from tests.tickets import factories as tf

pytestmark = pytest.mark.django_db


def _options(body: str, select_id: str) -> str:
    start = body.index(f'id="{select_id}"')
    return body[start : body.index("</select>", start)]


@pytest.fixture
def reasons(desk):
    """Escalations go to the in-house team and to Northwind's Tier 2."""
    ef.reason(desk["teams"]["inhouse"], name="Legal")
    ef.reason(desk["teams"]["north2"], name="Northwind tier 2 help")
    return desk


def test_vendors_visible_rule(desk):
    from accounts.selectors import visible_vendors

    people, vendors = desk["people"], desk["vendors"]
    every = {vendors["north"], vendors["atlas"]}
    for key in ("admin", "inhouse_lead", "inhouse_agent"):
        assert set(visible_vendors(people[key])) == every, key
    for key in ("north_agent", "north_lead", "north2_agent"):
        assert set(visible_vendors(people[key])) == {vendors["north"]}, key
    for key in ("atlas_agent", "atlas_lead"):
        assert set(visible_vendors(people[key])) == {vendors["atlas"]}, key


@pytest.mark.parametrize(("key", "vendors", "teams"), [
    ("admin", {"Northwind", "Atlas"}, {"Trust & Safety", "Tier 2"}),
    ("inhouse_lead", {"Northwind", "Atlas"}, {"Trust & Safety", "Tier 2"}),
    ("north_lead", {"Northwind"}, {"Trust & Safety", "Tier 2"}),
    ("atlas_lead", {"Atlas"}, {"Trust & Safety"}),
    ("atlas_agent", {"Atlas"}, {"Trust & Safety"}),
])  # fmt: skip
def test_the_boards_vendor_and_team_filters_offer_only_what_the_person_may_see(
    reasons, client, key, vendors, teams
):  # fmt: skip
    client.force_login(reasons["people"][key])
    body = client.get(_path("escalations:board")).content.decode()
    offered_vendors = _options(body, "b-vendor")
    assert {v for v in ("Northwind", "Atlas") if v in offered_vendors} == vendors
    offered_teams = _options(body, "b-team")
    assert {t for t in ("Trust &amp; Safety", "Tier 2") if t in offered_teams} == {
        t.replace("&", "&amp;") for t in teams}  # fmt: skip


def test_a_board_filter_naming_a_vendor_or_team_not_offered_is_a_field_error(reasons, client):
    client.force_login(reasons["people"]["atlas_lead"])
    north, tier2 = reasons["vendors"]["north"], reasons["teams"]["north2"]
    for params in ({"vendor": north.pk}, {"team": tier2.pk}, {"vendor": 999999},
                   {"vendor": "x"}):  # fmt: skip
        response = client.get(_path("escalations:board"), params)
        assert response.status_code == 200
        body = response.content.decode()
        assert "is-invalid" in body and "Northwind" not in body, params


def test_the_incident_commander_list_offers_only_leads_the_person_may_see(desk, client):
    people = desk["people"]
    client.force_login(people["inhouse_lead"])
    body = client.get(_path("escalations:incident_new")).content.decode()
    offered = _options(body, "id_commander")
    assert people["inhouse_lead"].get_full_name() in offered
    for key in ("north_lead", "north2_lead", "atlas_lead"):
        assert people[key].get_full_name() not in offered, key
    assert set(selectors.incident_commanders(people["inhouse_lead"])) == {people["inhouse_lead"]}
    assert {p.pk for p in selectors.incident_commanders(people["admin"])} == {
        p.pk for p in people.values() if p.role in ("lead", "admin")}  # fmt: skip


@pytest.mark.parametrize("field", ["commander", "team"])
def test_a_forged_commander_or_team_is_a_field_error_and_opens_nothing(desk, client, field):
    people = desk["people"]
    ef.rotation(desk["teams"]["inhouse"], [people["inhouse_agent"]])
    forged = {"commander": people["atlas_lead"].pk, "team": desk["teams"]["atlas"].pk}[field]
    client.force_login(people["inhouse_lead"])
    response = client.post(_path("escalations:incident_new"),
                           {"title": "Down", "severity": 1, field: forged})  # fmt: skip
    assert response.status_code == 400
    assert f'id="id_{field}_error"' in response.content.decode()
    assert not Incident.objects.exists()


def test_the_incident_team_list_offers_only_teams_with_a_rotation(desk, client):
    ef.rotation(desk["teams"]["inhouse"], [desk["people"]["inhouse_agent"]])
    client.force_login(desk["people"]["admin"])
    offered = _options(client.get(_path("escalations:incident_new")).content.decode(), "id_team")
    assert "Trust &amp; Safety" in offered and "MENA" not in offered


@pytest.fixture
def macros(desk):
    """English macros: one for every queue, one limited to the in-house queue, one limited
    to Atlas's queue (the in-house lead cannot see it); and an in-house incident."""
    made = {
        "everywhere": tf.macro(name="Outage update"),
        "inhouse": tf.macro(name="Safety update"),
        "atlas": tf.macro(name="Atlas only update"),
        "spanish": tf.macro(name="Outage update", language="es"),
    }
    made["inhouse"].queues.set([desk["queues"]["inhouse"]])
    made["atlas"].queues.set([desk["queues"]["atlas"]])
    lead = desk["people"]["inhouse_lead"]
    incident = services.incident_open(actor=lead, title="Outage", severity=3)
    return {**desk, "macros": made, "lead": lead, "incident": incident}


def test_the_incident_update_macro_list_offers_only_macros_for_queues_the_person_sees(
    macros, client
):  # fmt: skip
    lead, made = macros["lead"], macros["macros"]
    client.force_login(lead)
    body = client.get(_path("escalations:incident", pk=macros["incident"].pk)).content.decode()
    offered = _options(body, "id_macro")
    assert "Outage update" in offered and "Safety update" in offered
    assert "Atlas only update" not in offered
    assert "(es)" not in offered  # chosen in English; each ticket gets its variant
    assert set(selectors.incident_macros(lead)) == {made["everywhere"], made["inhouse"]}
    assert made["atlas"] in selectors.incident_macros(macros["people"]["admin"])


def test_a_macro_not_offered_is_a_field_error_and_posts_nothing(macros, client):
    made = macros["macros"]
    before = IncidentUpdate.objects.count()
    client.force_login(macros["lead"])
    for forged in (made["atlas"].pk, made["spanish"].pk, 999999, "x"):
        response = client.post(_path("escalations:incident_update", pk=macros["incident"].pk),
                               {"status": "investigating", "macro": forged,
                                "notify_requesters": "on", "confirm": "1"})  # fmt: skip
        assert response.status_code == 400, forged
        assert 'id="id_macro_error"' in response.content.decode()
    assert IncidentUpdate.objects.count() == before
