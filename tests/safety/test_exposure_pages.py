"""The wellbeing pages: own figures, the lead's view, one person, clearances."""

import pytest
from django.urls import reverse

from safety import exposure
from safety.models import CapOverride, Clearance, Exposure, HarmCategory, OptOut
from safety.taxonomy import ensure_defaults


@pytest.fixture
def people(org):
    ensure_defaults()
    category = HarmCategory.objects.get(key="graphic-violence")
    agent = org["people"]["inhouse_agent"]
    for _ in range(3):
        e = exposure.reveal_start(agent=agent, ticket=None, category=category, kind="image")
        exposure.reveal_end(agent=agent, token=e.token, seconds=90)
    return {**org, "category": category, "agent": agent}


@pytest.mark.django_db
def test_my_wellbeing_shows_own_figures_in_fixed_queries(
    people, client, django_assert_max_num_queries
):
    client.force_login(people["agent"])
    with django_assert_max_num_queries(20):
        response = client.get(reverse("safety:wellbeing"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Graphic violence" in body and "3 items, 4 min" in body
    assert "rolling window" in body


@pytest.mark.django_db
def test_an_agent_asks_to_opt_out_and_withdraws(people, client):
    client.force_login(people["agent"])
    url = reverse("safety:wellbeing")
    response = client.post(url, {"action": "opt_out", "category": people["category"].pk,
                                 "reason": "Too much"})  # fmt: skip
    assert response.status_code == 302
    opt_out = OptOut.objects.get(agent=people["agent"])
    assert opt_out.state == "requested"
    bad = client.post(url, {"action": "opt_out", "category": "999999"})
    assert bad.status_code == 200 and "is-invalid" in bad.content.decode()
    client.force_login(people["people"]["north_agent"])
    assert client.post(url, {"action": "withdraw", "opt_out": opt_out.pk}).status_code == 404
    opt_out.refresh_from_db()
    assert opt_out.state == "requested"
    client.force_login(people["agent"])
    assert client.post(url, {"action": "withdraw", "opt_out": opt_out.pk}).status_code == 302
    opt_out.refresh_from_db()
    assert opt_out.state == "withdrawn"


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["safety:exposure_people", "safety:clearances"])
def test_role_pages_are_404_for_agents(people, client, name):
    client.force_login(people["agent"])
    assert client.get(reverse(name)).status_code == 404
    assert client.post(reverse(name), {"action": "override"}).status_code == 404


@pytest.mark.django_db
def test_clearances_are_404_for_leads(people, client):
    client.force_login(people["people"]["inhouse_lead"])
    assert client.get(reverse("safety:clearances")).status_code == 404


@pytest.mark.django_db
def test_the_lead_sees_figures_of_their_people_only_and_no_content(
    people, client, django_assert_max_num_queries
):
    lead = people["people"]["inhouse_lead"]
    client.force_login(lead)
    with django_assert_max_num_queries(25):
        response = client.get(reverse("safety:exposure_people"))
    body = response.content.decode()
    assert response.status_code == 200
    assert str(people["agent"]) in body
    assert str(people["people"]["north_agent"]) not in body
    assert "/t/" not in body  # no ticket link
    # One person's page: theirs 200, someone else's (or an agent's view of it) 404.
    mine = reverse("safety:exposure_person", args=[people["agent"].pk])
    theirs = reverse("safety:exposure_person", args=[people["people"]["north_agent"].pk])
    assert client.get(mine).status_code == 200
    assert client.get(theirs).status_code == 404
    client.force_login(people["people"]["inhouse_agent"])
    assert client.get(mine).status_code == 404


@pytest.mark.django_db
def test_a_lead_never_sees_a_fellow_leads_figures_an_admin_does(people, client):
    from tests import factories

    north_lead = people["people"]["north_lead"]
    fellow = factories.user(role="lead", team=north_lead.team, email="north.lead2@example.com")
    assert not exposure.leads(north_lead, fellow)
    assert exposure.leads(people["people"]["admin"], fellow)
    client.force_login(north_lead)
    assert str(fellow) not in client.get(reverse("safety:exposure_people")).content.decode()
    person = reverse("safety:exposure_person", args=[fellow.pk])
    assert client.get(person).status_code == 404
    client.force_login(people["people"]["admin"])
    assert client.get(person).status_code == 200


@pytest.mark.django_db
def test_the_leads_page_makes_the_same_queries_for_more_people(
    people, client, django_assert_max_num_queries
):
    from tests import factories

    client.force_login(people["people"]["admin"])
    response = client.get(reverse("safety:exposure_people"))
    assert response.status_code == 200
    team = people["teams"]["inhouse"]
    for n in range(5):
        someone = factories.user(team=team, email=f"more{n}@example.com")
        Exposure.objects.create(agent=someone, category=people["category"], kind="image",
                                token=f"tok{n}", seconds=60)  # fmt: skip
    with django_assert_max_num_queries(25):
        assert client.get(reverse("safety:exposure_people")).status_code == 200


@pytest.mark.django_db
def test_the_lead_grants_an_override_and_decides_an_opt_out(people, client):
    lead, agent, category = people["people"]["inhouse_lead"], people["agent"], people["category"]
    client.force_login(lead)
    url = reverse("safety:exposure_people")
    missing = client.post(url, {"action": "override", "agent": agent.pk,
                                "category": category.pk, "reason": ""})  # fmt: skip
    assert missing.status_code == 200 and 'id="id_reason_error"' in missing.content.decode()
    outsider = client.post(url, {"action": "override", "agent": people["people"]["north_agent"].pk,
                                 "category": category.pk, "reason": "x"})  # fmt: skip
    assert outsider.status_code == 200 and not CapOverride.objects.exists()
    assert 'id="id_agent_error"' in outsider.content.decode()
    ok = client.post(url, {"action": "override", "agent": agent.pk, "category": category.pk,
                           "reason": "Urgent backlog"})  # fmt: skip
    assert ok.status_code == 302
    assert CapOverride.objects.get().granted_by == lead
    opt_out = exposure.request_opt_out(agent=agent, category=category, reason="")
    assert client.post(url, {"action": "approve", "opt_out": opt_out.pk}).status_code == 302
    opt_out.refresh_from_db()
    assert opt_out.state == "approved"


@pytest.mark.django_db
def test_an_admin_grants_and_revokes_clearance(people, client):
    admin, agent = people["people"]["admin"], people["agent"]
    client.force_login(admin)
    url = reverse("safety:clearances")
    unknown = client.post(url, {"action": "grant", "email": "nobody@example.com"})
    assert unknown.status_code == 200 and "is-invalid" in unknown.content.decode()
    assert client.post(url, {"action": "grant", "email": agent.email,
                             "note": "Trained"}).status_code == 302  # fmt: skip
    assert Clearance.objects.get(user=agent).note == "Trained"
    page = client.get(url).content.decode()
    assert "Trained" in page and "Child safety" in page
    assert client.post(url, {"action": "revoke", "user": agent.pk}).status_code == 302
    assert not Clearance.objects.filter(user=agent).exists()
    assert client.post(url, {"action": "revoke", "user": agent.pk}).status_code == 404
