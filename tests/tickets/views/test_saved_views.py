"""Saved queue views (issue 14, item 19): anyone saves a filtered, sorted view under a
name; a lead may share theirs with their team. Nobody else opens or deletes them."""

import re

import pytest

from accounts import services as account_services
from tests.tickets import factories as tf
from tickets import selectors
from tickets.models import ConfigEvent, SavedView
from tickets.selectors import QueueFilters
from tickets.services import TicketError
from tickets.services.saved_views import (
    MAX_SAVED_VIEWS,
    saved_view_create,
    saved_view_delete,
)

pytestmark = pytest.mark.django_db


def _save(person, name: str = "Spanish refunds", *, share: bool = False, **filters) -> SavedView:  # type: ignore[no-untyped-def]
    filters.setdefault("view", "all")
    return saved_view_create(actor=person, name=name, filters=QueueFilters(**filters),
                             share=share)  # fmt: skip


# ------------------------------------------------------------------ services


def test_a_saved_view_keeps_the_filters_and_sort_and_is_audited(desk):
    agent = desk["people"]["north_agent"]
    view = _save(agent, statuses=["open", "pending"], language="es", tag="refund",
                 sort="oldest")  # fmt: skip
    assert view.query == "view=all&status=open&status=pending&language=es&tag=refund&sort=oldest"
    assert view.owner == agent and view.shared_with_team is None
    event = ConfigEvent.objects.get(action="saved_view_created", target_id=view.pk)
    assert event.actor == agent and event.target_type == "savedview"
    assert event.after["name"] == "Spanish refunds" and event.after["query"] == view.query


def test_names_are_unique_per_person_and_never_blank(desk):
    agent = desk["people"]["north_agent"]
    _save(agent, "Mine")
    with pytest.raises(TicketError, match="You already have a saved view named “Mine”."):
        _save(agent, " mine ")
    with pytest.raises(TicketError, match="Give the view a name."):
        _save(agent, "   ")
    _save(desk["people"]["north_lead"], "Mine")  # another person's names are theirs


def test_a_person_keeps_a_bounded_number_of_views(desk):
    agent = desk["people"]["north_agent"]
    for n in range(MAX_SAVED_VIEWS):
        _save(agent, f"View {n}")
    with pytest.raises(TicketError, match=f"at most {MAX_SAVED_VIEWS} saved views"):
        _save(agent, "One too many")


def test_only_leads_share_views_and_only_with_their_own_team(desk):
    with pytest.raises(TicketError, match="Only leads share views with their team."):
        _save(desk["people"]["north_agent"], share=True)
    shared = _save(desk["people"]["north_lead"], share=True)
    assert shared.shared_with_team == desk["teams"]["north"]
    event = ConfigEvent.objects.get(action="saved_view_created", target_id=shared.pk)
    assert event.after["shared_with_team"] == shared.shared_with_team_id


def test_only_the_owner_deletes_a_view_and_the_deletion_is_audited(desk):
    lead, agent = desk["people"]["north_lead"], desk["people"]["north_agent"]
    shared = _save(lead, share=True)
    with pytest.raises(TicketError, match="Only the person who saved a view can delete it."):
        saved_view_delete(actor=agent, view=shared)
    saved_view_delete(actor=lead, view=shared)
    assert not SavedView.objects.filter(pk=shared.pk).exists()
    event = ConfigEvent.objects.get(action="saved_view_deleted", target_id=shared.pk)
    assert event.actor == lead and event.before["name"] == "Spanish refunds"


# ------------------------------------------------------------------ selector


def test_saved_views_for_are_ones_own_and_those_shared_with_ones_team(desk):
    people = desk["people"]
    lead, agent, other_team = people["north_lead"], people["north_agent"], people["north2_agent"]
    own = _save(agent, "Own")
    private = _save(lead, "Lead's private")
    shared = _save(lead, "Team queue", share=True)
    _save(people["atlas_lead"], "Atlas shared", share=True)
    _save(people["north2_lead"], "Tier 2 shared", share=True)
    assert [v.pk for v in selectors.saved_views_for(agent)] == [own.pk, shared.pk]
    assert {v.pk for v in selectors.saved_views_for(lead)} == {private.pk, shared.pk}
    assert "Team queue" not in {v.name for v in selectors.saved_views_for(other_team)}
    assert {v.name for v in selectors.saved_views_for(people["atlas_agent"])} == {"Atlas shared"}
    # A lead who moves to another team no longer shares with the old one.
    account_services.user_update(actor=people["admin"], user=lead, team=desk["teams"]["north2"])
    assert [v.pk for v in selectors.saved_views_for(agent)] == [own.pk]


# --------------------------------------------------------------------- views


@pytest.fixture
def north(desk, client):
    client.force_login(desk["people"]["north_agent"])
    return desk


def test_saving_the_current_view_from_the_queue_page(north, client):
    response = client.post("/tickets/views/", {
        "name": "Open Spanish", "query": "view=all&status=open&language=es&cursor=abc&junk=1",
    })  # fmt: skip
    view = SavedView.objects.get(owner=north["people"]["north_agent"])
    assert response.status_code == 302
    assert response["Location"] == "/tickets/?view=all&status=open&language=es"
    assert view.query == "view=all&status=open&language=es"
    assert client.get(f"/tickets/views/{view.pk}/")["Location"] == response["Location"]


def test_a_bad_save_shows_the_error_next_to_the_name_field(north, client):
    response = client.post("/tickets/views/", {"name": "", "query": "view=all"})
    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="id_name_error"' in body and 'aria-invalid="true"' in body
    client.post("/tickets/views/", {"name": "Twice", "query": "view=all"})
    body = client.post("/tickets/views/", {"name": "Twice", "query": "view=mine"}).content.decode()
    assert "You already have a saved view named “Twice”." in body


def test_a_lead_shares_a_view_and_the_team_can_open_it_but_not_delete_it(desk, client):
    people = desk["people"]
    client.force_login(people["north_lead"])
    client.post("/tickets/views/", {"name": "Team", "query": "view=unassigned", "share": "on"})
    view = SavedView.objects.get(name="Team")
    assert view.shared_with_team == desk["teams"]["north"]
    client.force_login(people["north_agent"])
    assert client.get(f"/tickets/views/{view.pk}/").status_code == 302
    assert client.post(f"/tickets/views/{view.pk}/delete/").status_code == 404
    assert SavedView.objects.filter(pk=view.pk).exists()


@pytest.mark.parametrize("person", ["north2_agent", "atlas_agent", "north_lead", "admin"])
def test_another_persons_saved_view_cannot_be_opened_or_deleted(desk, client, person):
    view = _save(desk["people"]["north_agent"], "Private")
    client.force_login(desk["people"][person])
    assert client.get(f"/tickets/views/{view.pk}/").status_code == 404
    assert client.post(f"/tickets/views/{view.pk}/delete/").status_code == 404
    assert SavedView.objects.filter(pk=view.pk).exists()


def test_the_owner_deletes_a_view(north, client):
    view = _save(north["people"]["north_agent"], "Gone soon")
    response = client.post(f"/tickets/views/{view.pk}/delete/", follow=True)
    assert "Saved view “Gone soon” deleted." in response.content.decode()
    assert not SavedView.objects.filter(pk=view.pk).exists()


def test_the_sidebar_lists_saved_views_in_a_fixed_number_of_queries(
    desk, client, django_assert_max_num_queries
):
    people = desk["people"]
    agent = people["north_agent"]
    for n in range(12):
        _save(agent, f"Mine {n:02d}", language="es" if n % 2 else "")
        _save(people["north_lead"], f"Shared {n:02d}", share=True, sort="oldest")
    _save(people["north_lead"], "Lead only")
    client.force_login(agent)
    tf.ticket(desk["queues"]["north"])
    client.get("/tickets/counts/?current=all")
    # The session and the person, the version, "my open tickets", the saved views.
    with django_assert_max_num_queries(5):
        response = client.get("/tickets/counts/?current=all")
    body = response.content.decode()
    names = re.findall(r'data-testid="saved-view"[^>]*>([^<]+)<', body)
    assert len(names) == 24 and "Lead only" not in body
    assert body.count('data-testid="delete-saved-view"') == 12  # only one's own
