import pytest

from accounts.models import Role
from tests import factories
from tests.support.idp.fixtures import oidc_provider  # noqa: F401 (a fixture)


@pytest.fixture
def org(db):
    """Two vendors and an in-house team, with an agent and a lead in each, and an admin."""
    north = factories.vendor("Northwind")
    atlas = factories.vendor("Atlas")
    teams = {
        "inhouse": factories.team("Trust & Safety"),
        "north": factories.team("Tier 1", vendor=north),
        "north2": factories.team("Tier 2", vendor=north),
        "atlas": factories.team("MENA", vendor=atlas),
    }
    people = {"admin": factories.user(role=Role.ADMIN, email="admin@example.com")}
    for key, team in teams.items():
        people[f"{key}_agent"] = factories.user(team=team, email=f"{key}.agent@example.com")
        people[f"{key}_lead"] = factories.user(
            role=Role.LEAD, team=team, email=f"{key}.lead@example.com"
        )
    return {"vendors": {"north": north, "atlas": atlas}, "teams": teams, "people": people}


@pytest.fixture
def desk(org):
    """The org plus queues: one in-house, one per vendor, one for a single vendor team."""
    from tests.tickets import factories as tf

    teams, vendors = org["teams"], org["vendors"]
    queues = {
        "inhouse": tf.queue("T&S", teams=[teams["inhouse"]]),
        "north": tf.queue("Northwind", vendors=[vendors["north"]]),
        "north_t2": tf.queue("Northwind Tier 2", teams=[teams["north2"]]),
        "atlas": tf.queue("Atlas", vendors=[vendors["atlas"]]),
    }
    return {**org, "queues": queues}
