"""The language and tag filters offer the values that exist among the person's visible
active tickets (issue 14, item 19), read from a shared cache, not a scan per request."""

import pytest
from django.core.cache import cache

from tests.tickets import factories as tf
from tickets import selectors, services
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def tagged(desk):
    north, atlas = desk["queues"]["north"], desk["queues"]["atlas"]
    for n in range(5):
        tf.ticket(north, language="es", tags=["refund", *(["vip"] if n < 3 else [])])
    tf.ticket(north, language="pt-br", tags=["chargeback"])
    tf.ticket(atlas, language="ar", tags=["atlas-secret"])
    solved = tf.ticket(north, language="ja", tags=["long-gone"])
    services.ticket_change_status(actor=None, ticket=solved, status="solved")
    return desk


def test_facets_are_the_languages_and_popular_tags_of_visible_active_tickets(tagged):
    facets = selectors.queue_facets(tagged["people"]["north_agent"])
    assert facets.languages == ["es", "pt-br"]
    assert facets.tags == ["chargeback", "refund", "vip"]  # solved tickets' tags are gone
    admin = selectors.queue_facets(tagged["people"]["admin"])
    assert "ar" in admin.languages and "atlas-secret" in admin.tags


def test_only_the_most_used_tags_are_offered(tagged, monkeypatch):
    monkeypatch.setattr(selectors, "POPULAR_TAGS", 2)
    cache.clear()
    assert selectors.queue_facets(tagged["people"]["north_agent"]).tags == ["refund", "vip"]


def test_facets_cost_one_query_when_cold_and_none_when_warm(
    tagged, django_assert_num_queries, django_assert_max_num_queries
):
    agent, lead = tagged["people"]["north_agent"], tagged["people"]["north_lead"]
    selectors.visible_queue_list(agent)  # the per-request scope, fetched once
    selectors.visible_queue_list(lead)
    cache.clear()
    with django_assert_max_num_queries(1):
        selectors.queue_facets(agent)
    with django_assert_num_queries(0):
        for _ in range(3):
            selectors.queue_facets(agent)
            selectors.queue_facets(lead)


def test_stale_facets_are_served_while_one_request_refreshes_them(tagged, monkeypatch):
    agent = tagged["people"]["north_agent"]
    selectors.queue_facets(agent)
    Ticket.objects.filter(tags__contains=["chargeback"]).update(tags=["renamed"])
    monkeypatch.setattr(selectors, "QUEUE_FACETS_SECONDS", -1)  # every copy is stale now
    cache.add(f"{selectors.QUEUE_FACETS_CACHE_KEY}:refresh", 1, 30)  # another request refreshes
    assert "chargeback" in selectors.queue_facets(agent).tags
    cache.delete(f"{selectors.QUEUE_FACETS_CACHE_KEY}:refresh")
    assert "renamed" in selectors.queue_facets(agent).tags
