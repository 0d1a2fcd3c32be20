"""The queue's sorts (issue 14, item 19): urgency, newest, oldest and last updated, each
keyset-paged over every active view, each served by an index; several statuses at once."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.tickets import factories as tf
from tickets import selectors
from tickets.models import Status, Ticket
from tickets.selectors import SORTS, QueueFilters

pytestmark = pytest.mark.django_db

ACTIVE_VIEWS = ["mine", "unassigned", "pending", "all", "queue"]
STATUS_CYCLE = [Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD, Status.OPEN]


@pytest.fixture
def floor(desk):
    """60 tickets the in-house agent may see (and 10 they may not), with many ties in
    every sort column so the id tie-break is exercised across page boundaries. Written
    directly: only their order matters here."""
    agent, queue = desk["people"]["inhouse_agent"], desk["queues"]["inhouse"]
    requester = tf.requester()
    base = timezone.now() - timedelta(days=3)
    tickets = []
    for i in range(60):
        status = STATUS_CYCLE[i % 5]
        tickets.append(Ticket(
            subject=f"Ticket {i}", requester=requester, queue=queue, status=status,
            created_at=base + timedelta(minutes=(i * 7) % 11),
            updated_at=base + timedelta(minutes=(i * 5) % 13),
            sla_due_at=None if i % 3 == 0 else base + timedelta(minutes=(i * 37) % 9),
            priority=1 + i % 4,
            assignee=agent if (i % 2 and status != Status.NEW) else None,
        ))  # fmt: skip
    tickets += [Ticket(subject="Elsewhere", requester=requester, queue=desk["queues"]["atlas"])
                for _ in range(10)]  # fmt: skip
    Ticket.objects.bulk_create(tickets)
    return {**desk, "agent": agent, "queue": queue}


def _expected(rows: list[Ticket], sort: str) -> list[int]:
    if sort == "urgency":  # no SLA target sorts last ('infinity')
        never = datetime.max.replace(tzinfo=UTC)
        return [t.pk for t in sorted(rows, key=lambda t: (
            t.sla_due_at or never, t.priority, t.created_at, t.pk))]  # fmt: skip
    if sort == "oldest":
        return [t.pk for t in sorted(rows, key=lambda t: (t.created_at, t.pk))]
    column = "created_at" if sort == "newest" else "updated_at"
    return [t.pk for t in sorted(rows, key=lambda t: (getattr(t, column), t.pk), reverse=True)]


def _walk(user, filters: QueueFilters) -> tuple[list[int], int]:  # type: ignore[no-untyped-def]
    seen, cursor, pages = [], "", 0
    while True:
        page = selectors.queue_page(user, filters, cursor=cursor)
        seen.extend(row.pk for row in page.rows)
        pages += 1
        if not page.has_more:
            return seen, pages
        assert page.next_cursor
        cursor = page.next_cursor


@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.parametrize("view", ACTIVE_VIEWS)
def test_every_sort_pages_through_every_active_view_without_duplicates_or_gaps(
    floor, monkeypatch, view, sort
):
    monkeypatch.setattr(selectors, "PAGE_SIZE", 4)
    agent = floor["agent"]
    filters = QueueFilters(view=view, queue=floor["queue"].pk if view == "queue" else None,
                           sort=sort)  # fmt: skip
    members = list(selectors._filtered(agent, filters))
    assert len(members) >= 6  # several pages in every view
    seen, pages = _walk(agent, filters)
    assert seen == _expected(members, sort)
    assert pages == -(-len(members) // 4)


def test_a_cursor_from_another_sort_or_view_starts_that_sort_again_never_a_500(floor):
    agent = floor["agent"]
    newest = selectors.queue_page(agent, QueueFilters(view="all", sort="newest"))
    oldest_first = selectors.queue_page(agent, QueueFilters(view="all", sort="oldest"))
    from_newest = selectors.queue_page(agent, QueueFilters(view="all", sort="oldest"),
                                       cursor=newest.next_cursor)  # fmt: skip
    assert [r.pk for r in from_newest.rows] == [r.pk for r in oldest_first.rows]
    Ticket.objects.filter(queue=floor["queue"], status=Status.OPEN).update(
        status=Status.SOLVED, solved_at=timezone.now())  # fmt: skip
    solved = selectors.queue_page(agent, QueueFilters(view="solved"))
    forged = [solved.next_cursor, selectors._encode_cursor(["updated", "not a date", "x"]),
              selectors._encode_cursor(["infinity", 3, timezone.now().isoformat(), 5]),
              selectors._encode_cursor({"sort": "urgency"}), "junk"]  # fmt: skip
    first = [r.pk for r in selectors.queue_page(agent, QueueFilters(view="all")).rows]
    for cursor in forged:
        page = selectors.queue_page(agent, QueueFilters(view="all"), cursor=cursor)
        assert [r.pk for r in page.rows] == first


def test_the_status_filter_takes_several_statuses(floor):
    agent = floor["agent"]
    filters = QueueFilters(view="all", statuses=[Status.PENDING, Status.ON_HOLD])
    rows = selectors.queue_page(agent, filters).rows
    assert rows and {row.status for row in rows} == {Status.PENDING, Status.ON_HOLD}
    assert len(rows) == Ticket.objects.filter(
        queue=floor["queue"], status__in=[Status.PENDING, Status.ON_HOLD]).count()  # fmt: skip


@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.parametrize("view", ACTIVE_VIEWS)
def test_every_sort_of_every_active_view_is_read_in_index_order(floor, view, sort):
    """With sorting disabled, the planner must find an index that yields the order (a
    Sort node would mean a scan of the whole view for each page)."""
    agent = floor["agent"]
    filters = QueueFilters(view=view, queue=floor["queue"].pk if view == "queue" else None,
                           sort=sort)  # fmt: skip
    page = selectors.queue_page(agent, filters)
    with CaptureQueriesContext(connection) as captured:
        selectors.queue_page(agent, filters, cursor=page.next_cursor)
    sql = captured.captured_queries[-1]["sql"]
    with transaction.atomic(), connection.cursor() as cursor:
        for setting in ("seqscan", "bitmapscan", "sort", "incremental_sort"):
            cursor.execute(f"SET LOCAL enable_{setting} = off")
        cursor.execute(f"EXPLAIN {sql}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Sort Key" not in plan, plan
    assert "Index" in plan, plan
