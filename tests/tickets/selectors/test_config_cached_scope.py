"""Who sees which queue, and the macros, are cached per process behind the configuration
version: a grant or a macro change shows on the very next read, and a page (a GET)
reads the version once however many cached values it uses."""

import pytest
from django.core.cache import cache

from accounts.models import User
from core import config_cache
from tests.tickets import factories as tf
from tickets import selectors
from tickets.models import ConfigVersion

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _version_row():
    # A transactional test's flush (TRUNCATE) removes the row the migration made.
    ConfigVersion.objects.get_or_create(pk=1, defaults={"version": 1})


def names(user: User) -> list[str]:
    fresh = User.objects.get(pk=user.pk)  # a new request loads the person afresh
    return [q.name for q in selectors.visible_queue_list(fresh)]


def test_a_new_grant_shows_on_the_next_request(desk, django_assert_num_queries):
    agent = desk["people"]["north_agent"]
    assert names(agent) == ["Northwind"]
    fresh = User.objects.get(pk=agent.pk)
    # The version, read once as a page does, not the grant joins nor the restrictions'
    # tables (tickets.restrictions: safety's clearance is cached the same way).
    with config_cache.read_only_request(), django_assert_num_queries(1):
        assert [q.name for q in selectors.visible_queue_list(fresh)] == ["Northwind"]

    desk["queues"]["atlas"].teams.add(desk["teams"]["north"])  # the M2M grant table
    assert names(agent) == ["Atlas", "Northwind"]
    desk["queues"]["atlas"].teams.clear()
    desk["vendors"]["north"].queues.add(desk["queues"]["north_t2"])  # a vendor grant
    assert names(agent) == ["Northwind", "Northwind Tier 2"]


def test_people_with_the_same_team_and_role_share_the_list_but_not_across_roles(desk):
    agent, lead = desk["people"]["north_agent"], desk["people"]["north_lead"]
    assert names(agent) == ["Northwind"]
    # A vendor lead also sees the queues granted to their vendor's other teams.
    assert names(lead) == ["Northwind", "Northwind Tier 2"]
    User.objects.filter(pk=agent.pk).update(role=lead.role)
    assert names(agent) == ["Northwind", "Northwind Tier 2"]
    User.objects.filter(pk=agent.pk).update(is_active=False)
    assert names(agent) == []


def test_macros_follow_their_queues(desk):
    queue, other = desk["queues"]["inhouse"], desk["queues"]["north"]
    ticket = tf.ticket(queue)
    everywhere = tf.macro(name="A everywhere")
    limited = tf.macro(name="B limited")
    limited.queues.add(other)
    assert [m.name for m in selectors.macros_for(ticket)] == ["A everywhere"]
    limited.queues.add(queue)
    assert [m.name for m in selectors.macros_for(ticket)] == ["A everywhere", "B limited"]
    everywhere.is_active = False
    everywhere.save()
    assert [m.name for m in selectors.macros_for(ticket)] == ["B limited"]


def test_a_read_only_request_reads_the_version_once(desk, django_assert_num_queries):
    ticket = tf.ticket(desk["queues"]["inhouse"])
    agent = desk["people"]["inhouse_agent"]
    selectors.macros_for(ticket), names(agent)  # warm
    with config_cache.read_only_request(), django_assert_num_queries(1):
        selectors.macros_for(ticket)
        selectors.visible_queue_list(agent)
        selectors.macros_for(ticket)
    with django_assert_num_queries(2):  # outside one, every read checks
        selectors.macros_for(ticket)
        selectors.macros_for(ticket)


def test_the_queue_page_reads_the_version_once(desk, client, django_assert_max_num_queries):
    client.force_login(desk["people"]["inhouse_agent"])
    client.get("/tickets/?view=all")
    # The session and the person, the version, the rows.
    with django_assert_max_num_queries(4):
        assert client.get("/tickets/?view=all").status_code == 200


def test_the_cache_backend_reuses_its_redis_client():
    cache.set("reuse-check", 1)
    client = cache._cache.get_client()
    assert cache.get("reuse-check") == 1
    assert cache._cache.get_client() is client
    assert cache._cache.get_client(write=True) is client  # one server: one pool, one client
