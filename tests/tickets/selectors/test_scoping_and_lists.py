from datetime import timedelta

import pytest
from django.http import Http404
from django.utils import timezone

from tests.tickets import factories as tf
from tickets import selectors, services
from tickets.models import Status, Ticket
from tickets.selectors import QueueFilters

pytestmark = pytest.mark.django_db


def names(queues):
    return {q.name for q in queues}


@pytest.mark.parametrize(
    ("person", "expected"),
    [
        ("admin", {"T&S", "Northwind", "Northwind Tier 2", "Atlas"}),
        ("inhouse_agent", {"T&S"}),
        ("inhouse_lead", {"T&S"}),
        ("north_agent", {"Northwind"}),
        ("north2_agent", {"Northwind", "Northwind Tier 2"}),
        ("north_lead", {"Northwind", "Northwind Tier 2"}),  # a vendor lead sees all its teams'
        ("atlas_agent", {"Atlas"}),
    ],
)
def test_visible_queues_follow_team_and_vendor_grants(desk, person, expected):
    # Among the desk's queues (migrations add others: safety's report queues).
    desks = [queue.pk for queue in desk["queues"].values()]
    assert names(selectors.visible_queues(desk["people"][person]).filter(pk__in=desks)) == expected


def test_a_vendor_agent_gets_404_for_another_vendors_ticket(desk):
    ticket = tf.ticket(desk["queues"]["north"])
    with pytest.raises(Http404):
        selectors.get_ticket_for(desk["people"]["atlas_agent"], ticket.reference)
    assert selectors.get_ticket_for(desk["people"]["north_agent"], ticket.reference.lower())


def test_a_tickets_id_is_told_only_to_who_may_see_it(desk):
    ticket = tf.ticket(desk["queues"]["north"])
    assert selectors.visible_ticket_id(desk["people"]["atlas_agent"], ticket.reference) is None
    assert selectors.visible_ticket_id(desk["people"]["north_agent"],
                                       ticket.reference.lower()) == ticket.pk  # fmt: skip
    assert selectors.visible_ticket_id(desk["people"]["north_agent"], "NOSUCHREF") is None


def test_requesters_are_visible_only_through_visible_tickets(desk):
    north = tf.ticket(desk["queues"]["north"])
    assert not selectors.visible_requesters(desk["people"]["atlas_agent"]).filter(
        pk=north.requester_id).exists()  # fmt: skip
    assert selectors.visible_requesters(desk["people"]["north_agent"]).filter(
        pk=north.requester_id).exists()  # fmt: skip


def _make(queue, n, **updates):
    tickets = [tf.ticket(queue) for _ in range(n)]
    if updates:
        Ticket.objects.filter(pk__in=[t.pk for t in tickets]).update(**updates)
    return tickets


def test_queue_pages_are_most_urgent_first_and_keyset_pages_cover_everything_once(desk):
    admin, q = desk["people"]["admin"], desk["queues"]["inhouse"]
    now = timezone.now()
    tickets = _make(q, 130)
    for i, ticket in enumerate(tickets):
        if i % 3:  # a third have no SLA target and must come last
            Ticket.objects.filter(pk=ticket.pk).update(
                sla_due_at=now + timedelta(minutes=(i * 37) % 500), priority=1 + i % 4
            )
    seen, cursor = [], ""
    while True:
        page = selectors.queue_page(admin, QueueFilters(view="all"), cursor=cursor)
        seen.extend(page.rows)
        if not page.has_more:
            break
        cursor = page.next_cursor
    assert len(seen) == len({t.pk for t in seen}) == 130
    keys = [
        (t.sla_due_at is None, t.sla_due_at or now, t.priority, t.created_at, t.pk) for t in seen
    ]
    assert keys == sorted(keys)


def test_a_forged_cursor_is_ignored(desk):
    page = selectors.queue_page(desk["people"]["admin"], QueueFilters(view="all"), cursor="junk")
    assert page.rows == []


@pytest.mark.parametrize("count", [10, 150])
def test_a_queue_page_is_one_query_whatever_the_table_size(
    desk, count, django_assert_max_num_queries
):
    agent = desk["people"]["inhouse_agent"]
    _make(desk["queues"]["inhouse"], count)
    selectors.visible_queue_list(agent)  # the per-request scope, fetched once
    with django_assert_max_num_queries(1):
        page = selectors.queue_page(agent, QueueFilters(view="all"))
        [(t.requester_label, t.queue_name, t.assignee_short_name) for t in page.rows]
    assert len(page.rows) == min(count, selectors.PAGE_SIZE)


def test_filters_narrow_the_view(desk):
    agent, q = desk["people"]["inhouse_agent"], desk["queues"]["inhouse"]
    es = tf.ticket(q, language="es", tags=["refund"])
    tf.ticket(q, language="en")
    services.ticket_assign(actor=agent, ticket=es, assignee=agent)
    for filters in [QueueFilters(view="all", language="es"), QueueFilters(view="all", tag="refund"),
                    QueueFilters(view="mine"), QueueFilters(view="all", assignee="me"),
                    QueueFilters(view="all", statuses=["open"])]:  # fmt: skip
        assert [t.pk for t in selectors.queue_page(agent, filters).rows] == [es.pk], filters


def test_sidebar_counts_are_cached_per_queue_and_respect_scope(desk, django_assert_num_queries):
    agent, q = desk["people"]["north_agent"], desk["queues"]["north"]
    mine = tf.ticket(q)
    services.ticket_assign(actor=agent, ticket=mine, assignee=agent)
    tf.ticket(q)
    pending = tf.ticket(q)
    services.ticket_change_status(actor=agent, ticket=pending, status=Status.PENDING)
    solved = tf.ticket(q)
    services.ticket_change_status(actor=agent, ticket=solved, status=Status.SOLVED)
    tf.ticket(desk["queues"]["atlas"])  # out of scope
    selectors.visible_queue_list(agent)
    with django_assert_num_queries(2):  # cold: the shared per-queue counts, then "mine"
        counts = selectors.sidebar_counts(agent)
    with django_assert_num_queries(1):  # warm: only this person's own count
        assert selectors.sidebar_counts(agent) == counts
    assert {k: counts[k] for k in ("mine", "unassigned", "pending", "all", "solved")} == {
        "mine": 1, "unassigned": 1, "pending": 1, "all": 3, "solved": 1}  # fmt: skip
    assert counts["queues"] == {q.pk: 3}
    assert selectors.sidebar_counts(desk["people"]["atlas_agent"])["all"] == 1


def test_search_finds_words_in_any_message_with_stemming_and_respects_scope(desk):
    agent = desk["people"]["north_agent"]
    agent.languages = ["en", "es"]  # stemmed in the languages the searcher speaks
    hit = tf.ticket(desk["queues"]["north"], subject="Billing question", body="I was charged twice")
    services.ticket_reply(actor=agent, ticket=hit, body="We issued the refunds today.")
    tf.ticket(desk["queues"]["atlas"], subject="Refund", body="refund refund")  # out of scope
    spanish = tf.ticket(desk["queues"]["north"], subject="Cobro", body="Quiero los reembolsos",
                        language="es")  # fmt: skip
    assert [t.pk for t in selectors.search_tickets(agent, "refund").rows] == [hit.pk]
    assert [t.pk for t in selectors.search_tickets(agent, "charges").rows] == [hit.pk]
    assert [t.pk for t in selectors.search_tickets(agent, "reembolso").rows] == [spanish.pk]
    assert selectors.search_tickets(agent, "nothing-like-this").rows == []


def test_search_has_exact_lookups_by_reference_email_and_external_id(desk):
    agent = desk["people"]["north_agent"]
    requester = tf.requester(email="maya@example.org", external_id="u-42")
    ticket = tf.ticket(desk["queues"]["north"], requester_=requester)
    for text in [ticket.reference, ticket.reference.lower(), "MAYA@example.org", "user:u-42"]:
        result = selectors.search_tickets(agent, text)
        assert result.exact and [t.pk for t in result.rows] == [ticket.pk], text
    assert selectors.search_tickets(desk["people"]["atlas_agent"], ticket.reference).rows == []


def test_a_new_ticket_is_searchable_as_soon_as_it_is_committed(desk):
    ticket = tf.ticket(desk["queues"]["north"], subject="Kangaroo sighting", body="A kangaroo!")
    assert [
        t.pk for t in selectors.search_tickets(desk["people"]["north_agent"], "kangaroo").rows
    ] == [ticket.pk]


def test_stale_counts_are_refreshed_by_one_request_while_others_use_the_old_copy(desk):
    from django.core.cache import cache

    agent, q = desk["people"]["north_agent"], desk["queues"]["north"]
    tf.ticket(q)
    assert selectors.sidebar_counts(agent)["all"] == 1
    tf.ticket(q)
    assert selectors.sidebar_counts(agent)["all"] == 1  # still fresh: cached
    fresh_until, counts = cache.get(selectors.QUEUE_COUNTS_CACHE_KEY)
    cache.set(selectors.QUEUE_COUNTS_CACHE_KEY, (timezone.now() - timedelta(seconds=1), counts))
    cache.add(f"{selectors.QUEUE_COUNTS_CACHE_KEY}:refresh", 1, 30)  # someone else refreshing
    assert selectors.sidebar_counts(agent)["all"] == 1  # served stale meanwhile
    cache.delete(f"{selectors.QUEUE_COUNTS_CACHE_KEY}:refresh")
    assert selectors.sidebar_counts(agent)["all"] == 2  # this request refreshes
