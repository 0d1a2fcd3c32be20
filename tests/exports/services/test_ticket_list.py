"""The ticket list as an export: the queue with its filters, every page of it, scoped as
the page is, with its columns in the person's language and time zone."""

import re
from datetime import UTC, datetime

import pytest

from exports import services
from exports.models import ExportJob
from tests.exports.conftest import read_csv, start
from tests.tickets import factories as tf
from tickets import selectors
from tickets.models import Priority, Status, Ticket

pytestmark = pytest.mark.django_db


def _queue_page_references(client, query: str) -> list[str]:
    """Every reference the queue page lists for this query, page after page."""
    found, path = [], f"/tickets/?{query}"
    while path:
        body = client.get(path).content.decode()
        found += re.findall(r'data-testid="ticket-row" data-reference="([^"]+)"', body)
        more = re.search(r'data-testid="next-page" href="([^"]+)"', body)
        path = "/tickets/" + more.group(1).replace("&amp;", "&") if more else ""
    return found


@pytest.fixture
def mixed_tickets(desk):
    """Tickets of every language, status and priority in Northwind's queue, and some in
    other vendors' queues."""
    north = desk["queues"]["north"]
    made = []
    for n in range(18):
        ticket = tf.ticket(
            north,
            subject=f"North {n}",
            language=("es", "en", "pt")[n % 3],
            priority=(Priority.LOW, Priority.NORMAL, Priority.HIGH)[n % 3 - 1],
        )
        status = (Status.OPEN, Status.NEW, Status.PENDING, Status.OPEN)[n % 4]
        Ticket.objects.filter(pk=ticket.pk).update(status=status)
        made.append(ticket)
    for queue in ("atlas", "inhouse"):
        for n in range(3):
            tf.ticket(desk["queues"][queue], subject=f"Elsewhere {queue} {n}", language="es")
    return made


@pytest.mark.parametrize(
    "query",
    [
        "view=all",
        "view=all&language=es&status=open&status=new",
        "view=all&priority=3&sort=oldest",
        "view=queue&queue={north}&sort=newest&language=pt",
        "view=pending",
        "view=unassigned&sort=updated",
    ],
)
def test_an_export_of_a_filtered_queue_equals_the_filtered_list_all_pages_of_it(
    desk, mixed_tickets, client, export, monkeypatch, query
):
    monkeypatch.setattr(selectors, "PAGE_SIZE", 4)  # several pages
    query = query.format(north=desk["queues"]["north"].pk)
    agent = desk["people"]["north_agent"]
    client.force_login(agent)
    listed = _queue_page_references(client, query)
    assert listed  # the case lists something
    job = export(agent, query)
    assert job.state == ExportJob.State.DONE
    rows = read_csv(job)
    assert [row[0] for row in rows[1:]] == listed
    assert job.rows_done == len(listed) and job.percent == 100


def test_a_vendor_agents_export_holds_only_their_vendors_tickets(desk, mixed_tickets, export):
    job = export(desk["people"]["north_agent"], "view=all")
    rows = read_csv(job)[1:]
    north = {
        t.reference
        for t in Ticket.objects.filter(queue=desk["queues"]["north"]).exclude(
            status__in=["solved", "closed"]
        )
    }
    assert {row[0] for row in rows} == north
    assert all(row[4] == "Northwind" for row in rows)
    everything = read_csv(export(desk["people"]["admin"], "view=all"))[1:]
    assert len(everything) == len(north) + 6


def test_the_columns_follow_the_persons_language_and_time_zone(desk, export):
    queue = desk["queues"]["north"]
    requester = tf.requester(email="ana@example.net", name="Ana")
    ticket = tf.ticket(
        queue,
        subject='=HYPERLINK("http://evil")',
        requester_=requester,
        category="billing",
        tags=["refund", "vip"],
    )
    Ticket.objects.filter(pk=ticket.pk).update(
        created_at=datetime(2025, 1, 15, 9, 30, tzinfo=UTC), status=Status.OPEN
    )
    job = export(
        desk["people"]["north_agent"], "view=all", language="es", time_zone="America/Mexico_City"
    )
    header, row = read_csv(job)
    assert header[:5] == ["Referencia", "Asunto", "Estado", "Prioridad", "Cola"]
    values = dict(zip(range(len(row)), row, strict=True))
    assert values[0] == ticket.reference
    assert values[1] == '\'=HYPERLINK("http://evil")'  # never run as a formula
    assert values[2] == "Abierto"
    assert (values[5], values[7], values[8]) == ("en", "billing", "refund, vip")
    assert values[10] == "ana@example.net"  # every role sees the requester's address
    assert values[11] == "2025-01-15 03:30:00"  # created, in the person's zone...
    assert header[11].endswith(" (America/Mexico_City)")  # ...which the header names
    assert values[12] == values[13] == ""  # no first reply, not solved


def test_bad_parameters_are_refused_with_a_sentence_and_start_nothing(desk):
    agent = desk["people"]["north_agent"]
    cases = {
        "view=everything": "Select a valid choice",
        "view=all&status=bogus": "Status",
        "view=all&colour=red": "no filter named “colour”",
        "view=all&assignee=somebody": "Assignee",
        "view=all&priority=9": "Priority",
    }
    for params, said in cases.items():
        with pytest.raises(services.ExportError, match=said) as refused:
            start(agent, params)
        assert refused.value.status == 400
    with pytest.raises(services.ExportError, match="no export called “nope”"):
        start(agent, source="nope")
    assert not ExportJob.objects.exists()


def test_the_page_cursor_is_ignored_an_export_holds_every_page(desk, mixed_tickets, export):
    job = export(desk["people"]["north_agent"], "view=all&cursor=whatever")
    assert job.state == ExportJob.State.DONE and job.rows_done > 0
