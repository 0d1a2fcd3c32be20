"""Escalations, their notes, incidents and pages follow the ticket behind them: when a
ticket moves out of a vendor's queues, that vendor's people lose every view of it."""

import pytest

from escalations import services
from escalations import views as escalation_views
from escalations.models import Escalation, EscalationNote, Incident, IncidentUpdate, Page
from tests.escalations import factories as ef
from tests.test_route_scoping import ESCALATION_ROUTES, INCIDENT_ROUTES, _path
from tests.tickets import factories as tf
from tickets import services as ticket_services

pytestmark = pytest.mark.django_db

# Northwind people who each see the escalation today through a different rule: the agent
# who raised it, their vendor's lead, the target team (Northwind's Tier 2) and its lead.
NORTHWIND = ("north_agent", "north_lead", "north2_agent", "north2_lead")
ROUTES = [(n, m) for routes in (ESCALATION_ROUTES, INCIDENT_ROUTES) for n, ms in routes.items()
          for m in ms]  # fmt: skip
SECRETS = ("Northwind secret", "Tier 2 summary", "a private note", "Outage at Northwind")


@pytest.fixture
def moved(desk):
    """A Northwind ticket escalated (SEV2, so Tier 2's on-call person is paged) with a note,
    linked to an incident that pages Tier 2 too; then moved to an Atlas queue."""
    people, tier2 = desk["people"], desk["teams"]["north2"]
    ef.rotation(tier2, [people["north2_agent"], people["north2_lead"]], shift_days=3650)
    reason = ef.reason(tier2, name="Tier 2 help")
    ticket = tf.ticket(desk["queues"]["north"], subject="Northwind secret")
    escalation = services.escalation_raise(
        actor=people["north_agent"], ticket=ticket, reason=reason, severity=2,
        summary="Tier 2 summary",
    )  # fmt: skip
    services.escalation_note_add(actor=people["north_agent"], escalation=escalation,
                                 body="a private note")  # fmt: skip
    incident = services.incident_open(actor=people["admin"], title="Outage at Northwind",
                                      severity=2, team=tier2, tickets=[ticket])  # fmt: skip
    assert Page.objects.filter(status="open").count() == 2
    return {**desk, "ticket": ticket, "escalation": escalation, "incident": incident}


def _move_to_atlas(data) -> None:  # type: ignore[no-untyped-def]
    ticket_services.ticket_move_queue(actor=data["people"]["admin"], ticket=data["ticket"],
                                      queue=data["queues"]["atlas"])  # fmt: skip


def _state(data) -> tuple:  # type: ignore[no-untyped-def]
    escalation = Escalation.objects.get(pk=data["escalation"].pk)
    incident = Incident.objects.get(pk=data["incident"].pk)
    return (
        escalation.status, escalation.owner_id, EscalationNote.objects.count(),
        incident.status, incident.tracker_key, IncidentUpdate.objects.count(),
        incident.links.count(), Page.objects.filter(status="open").count(),
    )  # fmt: skip


def _route(name: str, data, action: str = "note") -> str:  # type: ignore[no-untyped-def]
    if name in INCIDENT_ROUTES:
        return _path(name, pk=data["incident"].pk)
    kwargs = {"pk": data["escalation"].pk}
    if name == "escalations:act":
        kwargs["action"] = action
    return _path(name, **kwargs)


def test_before_the_move_every_northwind_person_sees_the_escalation_and_incident(moved, client):
    for key in NORTHWIND:
        client.force_login(moved["people"][key])
        board = client.get(_path("escalations:board")).content.decode()
        assert moved["ticket"].reference in board, key
        assert client.get(_route("escalations:detail", moved)).status_code == 200, key
        assert client.get(_route("escalations:incident", moved)).status_code == 200, key
    client.force_login(moved["people"]["north2_lead"])  # Tier 2's lead sees its pages
    assert "Tier 2 summary" in client.get(_path("escalations:oncall")).content.decode()


@pytest.mark.parametrize(("name", "method"), ROUTES)
def test_after_the_ticket_moves_every_escalation_and_incident_route_is_404_for_northwind(
    moved, client, name, method
):  # fmt: skip
    _move_to_atlas(moved)
    before = _state(moved)
    reference = moved["ticket"].reference
    data = {"body": "x", "status": "resolved", "refs": reference, "ref": reference,
            "tracker_key": "X", "owner": moved["people"]["north2_agent"].pk}  # fmt: skip
    actions = list(escalation_views.ACTIONS) if name == "escalations:act" else ["note"]
    for key in NORTHWIND:
        client.force_login(moved["people"][key])
        for action in actions:
            response = getattr(client, method)(_route(name, moved, action), data)
            assert response.status_code == 404, (key, name, action)
    assert _state(moved) == before


def test_after_the_ticket_moves_the_board_on_call_and_panels_show_nothing_of_it(moved, client):
    from escalations import selectors

    _move_to_atlas(moved)
    for key in NORTHWIND:
        person = moved["people"][key]
        columns = selectors.board(person, selectors.BoardFilters())
        assert [(c.count, c.overdue, c.cards) for c in columns] == [(0, 0, [])] * 4, key
        assert selectors.open_pages(person) == [], key
        assert list(selectors.visible_escalations(person)) == [], key
        assert list(selectors.visible_incidents(person)) == [], key
        client.force_login(person)
        pages = [
            client.get(_path("escalations:board")),
            client.get(_path("escalations:board"), {"severity": 2}, HTTP_HX_REQUEST="true"),
            client.get(_path("escalations:incidents"), {"all": "1"}),
            client.get(_path("escalations:oncall")),
        ]
        for page in pages:
            assert page.status_code == 200
            body = page.content.decode()
            assert moved["ticket"].reference not in body, (key, page.request)
            assert not [s for s in SECRETS if s in body], (key, page.request)


def test_a_page_link_still_acknowledges_but_no_longer_says_what_it_is_about(moved, client):
    _move_to_atlas(moved)
    for page in Page.objects.filter(status="open"):
        client.force_login(moved["people"]["north2_agent"])
        body = client.get(_path("escalations:page", token=page.token)).content.decode()
        assert 'data-testid="page-hidden"' in body
        assert moved["ticket"].reference not in body
        assert not [s for s in SECRETS if s in body]
        client.post(_path("escalations:page", token=page.token))
        page.refresh_from_db()
        assert page.status == "acknowledged"
    # Someone who may see it reads the summary.
    client.force_login(moved["people"]["admin"])
    page = Page.objects.filter(escalation__isnull=False).get()
    body = client.get(_path("escalations:page", token=page.token)).content.decode()
    assert "Tier 2 summary" in body and moved["ticket"].reference in body


def test_the_new_queues_people_see_the_ticket_but_not_escalations_they_had_no_part_in(
    moved, client
):  # fmt: skip
    _move_to_atlas(moved)
    client.force_login(moved["people"]["atlas_agent"])
    body = client.get(_path("tickets:detail", reference=moved["ticket"].reference)).content
    assert 'data-testid="ticket-escalation"' not in body.decode()
    assert client.get(_route("escalations:detail", moved)).status_code == 404
    # The incident links a ticket they now see: they read it.
    assert client.get(_route("escalations:incident", moved)).status_code == 200
