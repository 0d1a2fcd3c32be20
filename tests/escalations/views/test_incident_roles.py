"""Who manages incidents (admins and in-house leads) and who reads and comments on them
(everyone who may see a linked ticket), over every incident route."""

import pytest

from escalations import selectors, services
from escalations.models import Incident, IncidentUpdate, Page
from tests.escalations import factories as ef
from tests.test_route_scoping import EDITOR_ROUTES, INCIDENT_ROUTES, _path
from tests.tickets import factories as tf

pytestmark = pytest.mark.django_db

# Routes that change the incident: only admins and in-house leads.
MANAGE_ROUTES = {n: ms for n, ms in INCIDENT_ROUTES.items()
                 if n not in ("escalations:incident", "escalations:incident_comment")}  # fmt: skip
# Vendor people whose tickets the incident links: they read and comment.
READERS = ("north_agent", "north_lead")


@pytest.fixture
def outage(desk):
    """An in-house SEV1 incident paging the in-house rotation, linking a Northwind ticket
    and an in-house one."""
    people, inhouse = desk["people"], desk["teams"]["inhouse"]
    ef.rotation(inhouse, [people["inhouse_agent"]], shift_days=3650)
    north = tf.ticket(desk["queues"]["north"], subject="Northwind customer")
    own = tf.ticket(desk["queues"]["inhouse"], subject="In-house customer")
    incident = services.incident_open(actor=people["inhouse_lead"], title="Login outage",
                                      severity=1, team=inhouse, tickets=[north, own])  # fmt: skip
    return {**desk, "incident": incident, "north": north, "own": own}


def _state(incident: Incident) -> tuple:
    incident.refresh_from_db()
    return (incident.status, incident.tracker_key, incident.tracker_url, incident.links.count(),
            IncidentUpdate.objects.filter(incident=incident).count(),
            Page.objects.filter(incident=incident, status="open").count())  # fmt: skip


def _post_data(data) -> dict:  # type: ignore[no-untyped-def]
    return {"body": "We resolved it.", "status": "resolved", "refs": data["own"].reference,
            "ref": data["north"].reference, "tracker_key": "BUG-9",
            "tracker_url": "https://bugs.example.com/9"}  # fmt: skip


def test_only_admins_and_in_house_leads_manage_incidents(desk):
    people = desk["people"]
    managers = {key for key, person in people.items() if selectors.can_manage_incidents(person)}
    assert managers == {"admin", "inhouse_lead"}


@pytest.mark.parametrize("key", READERS)
@pytest.mark.parametrize(("name", "method"),
                         [(n, m) for n, ms in MANAGE_ROUTES.items() for m in ms])  # fmt: skip
def test_vendor_people_cannot_change_an_incident_linking_their_ticket(
    outage, client, key, name, method
):  # fmt: skip
    incident = outage["incident"]
    before = _state(incident)
    client.force_login(outage["people"][key])
    response = getattr(client, method)(_path(name, pk=incident.pk), _post_data(outage))
    assert response.status_code == 404
    assert _state(incident) == before


@pytest.mark.parametrize("key", ["admin", "inhouse_lead"])
def test_admins_and_in_house_leads_change_status_tracker_and_links_and_resolving_stops_pages(
    outage, client, key
):  # fmt: skip
    incident = outage["incident"]
    client.force_login(outage["people"][key])
    client.post(_path("escalations:incident_tracker", pk=incident.pk), _post_data(outage))
    client.post(_path("escalations:incident_unlink", pk=incident.pk),
                {"ref": outage["own"].reference})  # fmt: skip
    client.post(_path("escalations:incident_tickets", pk=incident.pk),
                {"refs": outage["own"].reference})  # fmt: skip
    response = client.post(_path("escalations:incident_update", pk=incident.pk),
                           {"status": "resolved", "body": "Fixed."})  # fmt: skip
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.status == "resolved" and incident.tracker_key == "BUG-9"
    assert incident.links.count() == 2
    assert not Page.objects.filter(incident=incident, status="open").exists()


@pytest.mark.parametrize("key", READERS)
def test_vendor_people_read_and_comment_on_an_incident_linking_their_ticket(outage, client, key):
    incident, person = outage["incident"], outage["people"][key]
    before = _state(incident)
    client.force_login(person)
    page = client.get(_path("escalations:incident", pk=incident.pk)).content.decode()
    assert 'data-testid="incident-comment-form"' in page
    assert "Post an update" not in page
    for name in MANAGE_ROUTES:
        assert _path(name, pk=incident.pk) not in page
    assert outage["north"].reference in page and outage["own"].reference not in page
    response = client.post(_path("escalations:incident_comment", pk=incident.pk),
                           {"body": "Our customers confirm it is back."})  # fmt: skip
    assert response.status_code == 302
    comment = IncidentUpdate.objects.filter(incident=incident).order_by("-id").first()
    assert comment.author == person and comment.sent_to == 0
    assert comment.body == "Our customers confirm it is back."
    assert comment.status == before[0]
    status, tracker_key, tracker_url, links, updates, pages = before
    assert _state(incident) == (status, tracker_key, tracker_url, links, updates + 1, pages)
    body = client.get(_path("escalations:incident", pk=incident.pk)).content.decode()
    assert "Our customers confirm it is back." in body


def test_an_empty_comment_is_named_next_to_the_field(outage, client):
    client.force_login(outage["people"]["north_agent"])
    response = client.post(_path("escalations:incident_comment", pk=outage["incident"].pk),
                           {"body": "  "})  # fmt: skip
    assert response.status_code == 400
    assert 'id="id_body_error"' in response.content.decode()


@pytest.mark.parametrize(("name", "method"),
                         [(n, m) for n, ms in INCIDENT_ROUTES.items() for m in ms])  # fmt: skip
def test_a_vendor_agent_gets_404_for_an_incident_linking_none_of_their_tickets(
    outage, client, name, method
):  # fmt: skip
    incident = outage["incident"]
    before = _state(incident)
    client.force_login(outage["people"]["atlas_agent"])
    response = getattr(client, method)(_path(name, pk=incident.pk), _post_data(outage))
    assert response.status_code == 404
    assert _state(incident) == before
    listing = client.get(_path("escalations:incidents"), {"all": "1"}).content.decode()
    assert "Login outage" not in listing


def test_vendor_leads_cannot_open_incidents(desk, client):
    client.force_login(desk["people"]["north_lead"])
    for method in EDITOR_ROUTES["escalations:incident_new"]:
        response = getattr(client, method)(_path("escalations:incident_new"),
                                           {"title": "Mine", "severity": 3})  # fmt: skip
        assert response.status_code == 404
    assert not Incident.objects.exists()
    listing = client.get(_path("escalations:incidents")).content.decode()
    assert "New incident" not in listing


def test_the_services_refuse_vendor_leads_and_comments_from_outsiders(outage):
    people, incident = outage["people"], outage["incident"]
    with pytest.raises(services.EscalationError):
        services.incident_post_update(actor=people["north_lead"], incident=incident,
                                      body="x", status="resolved")  # fmt: skip
    with pytest.raises(services.EscalationError):
        services.incident_set_tracker(actor=people["north_lead"], incident=incident,
                                      key="X", url="")  # fmt: skip
    with pytest.raises(services.EscalationError):
        services.incident_open(actor=people["atlas_lead"], title="x", severity=3)
    with pytest.raises(services.EscalationError):
        services.incident_comment(actor=people["atlas_agent"], incident=incident, body="x")
    comment = services.incident_comment(actor=people["north_lead"], incident=incident, body="ok")
    assert comment.status == "investigating" and comment.sent_to == 0


def test_the_incident_list_counts_only_linked_tickets_the_person_may_see(outage):
    (row,) = selectors.incident_list(outage["people"]["north_agent"])
    assert row.ticket_count == 1
    (row,) = selectors.incident_list(outage["people"]["admin"])
    assert row.ticket_count == 2
