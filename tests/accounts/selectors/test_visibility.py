import pytest

from accounts import selectors
from tests import factories


def emails(qs):
    return set(qs.values_list("email", flat=True))


def test_admin_sees_everyone(org):
    people = org["people"]
    assert emails(selectors.visible_users(people["admin"])) == {p.email for p in people.values()}


def test_vendor_lead_sees_every_account_at_their_vendor_and_no_other(org):
    visible = emails(selectors.visible_users(org["people"]["north_lead"]))
    assert visible == {
        "north.agent@example.com", "north.lead@example.com",
        "north2.agent@example.com", "north2.lead@example.com",
    }  # fmt: skip


def test_in_house_lead_sees_their_own_team(org):
    visible = emails(selectors.visible_users(org["people"]["inhouse_lead"]))
    assert visible == {"inhouse.agent@example.com", "inhouse.lead@example.com"}


def test_agent_sees_only_themselves(org):
    assert emails(selectors.visible_users(org["people"]["atlas_agent"])) == {
        "atlas.agent@example.com"
    }


def test_inactive_viewer_sees_nobody(org):
    lead = org["people"]["north_lead"]
    lead.is_active = False
    assert not selectors.visible_users(lead).exists()
    assert not selectors.visible_teams(lead).exists()


def test_vendor_lead_sees_their_vendors_teams_only(org):
    teams = set(selectors.visible_teams(org["people"]["north_lead"]).values_list("name", flat=True))
    assert teams == {"Tier 1", "Tier 2"}


@pytest.mark.parametrize("people", [5, 120])
def test_roster_page_makes_one_query_whatever_the_number_of_people(
    db, people, django_assert_max_num_queries
):
    admin = factories.user(role="admin")
    team = factories.team()
    for _ in range(people):
        factories.user(team=team)
    with django_assert_max_num_queries(1):
        rows, cursor = selectors.roster_page(admin)
        [(row.team and row.team.name, row.team and row.team.vendor) for row in rows]
    assert len(rows) == min(people + 1, selectors.ROSTER_PAGE_SIZE)


def test_roster_keyset_pages_cover_everyone_once(db):
    admin = factories.user(role="admin")
    team = factories.team()
    for _ in range(120):
        factories.user(team=team)
    seen, cursor = [], None
    while True:
        rows, cursor = selectors.roster_page(admin, after=cursor)
        seen.extend(row.pk for row in rows)
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 121
