"""Who sees which escalation and incident, and the board's fixed number of queries."""

from datetime import timedelta

import pytest
from django.http import Http404
from django.utils import timezone

from escalations import selectors, services
from escalations.models import Escalation, Severity
from tests.escalations import factories as ef
from tests.tickets import factories as tf
from tickets.models import Requester, Ticket
from tickets.selectors import visible_queue_ids

pytestmark = pytest.mark.django_db


@pytest.fixture
def raised(desk):
    """One escalation raised by each of a Northwind agent and an Atlas agent, to the
    in-house team (which works every queue); and one raised by a second Northwind team."""
    reason = ef.reason(desk["teams"]["inhouse"], name="Legal")
    ef.works_queues(desk["teams"]["inhouse"], *desk["queues"].values())
    people = desk["people"]

    def make(queue, agent, subject):  # type: ignore[no-untyped-def]
        ticket = tf.ticket(desk["queues"][queue], subject=subject)
        return services.escalation_raise(actor=people[agent], ticket=ticket, reason=reason,
                                         severity=Severity.SEV3, summary=subject)  # fmt: skip

    return {
        **desk,
        "north": make("north", "north_agent", "North"),
        "atlas": make("atlas", "atlas_agent", "Atlas"),
        "north2": make("north_t2", "north2_agent", "North tier 2"),
    }


def _seen(user) -> set[str]:  # type: ignore[no-untyped-def]
    return set(selectors.visible_escalations(user).values_list("summary", flat=True))


def test_each_person_sees_what_the_issue_says(raised):
    p = raised["people"]
    assert _seen(p["north_agent"]) == {"North"}  # what they raised
    assert _seen(p["north2_agent"]) == {"North tier 2"}
    assert _seen(p["north_lead"]) == {"North", "North tier 2"}  # their vendor's
    assert _seen(p["atlas_agent"]) == {"Atlas"}
    assert _seen(p["atlas_lead"]) == {"Atlas"}
    assert _seen(p["inhouse_agent"]) == {"North", "Atlas", "North tier 2"}  # the target team
    assert _seen(p["inhouse_lead"]) == {"North", "Atlas", "North tier 2"}
    assert _seen(p["admin"]) == {"North", "Atlas", "North tier 2"}


def test_out_of_scope_is_404(raised):
    with pytest.raises(Http404):
        selectors.get_escalation_for(raised["people"]["atlas_lead"], raised["north"].pk)


def test_incidents_are_seen_by_leads_in_house_and_by_whoever_sees_a_linked_ticket(desk):
    lead = desk["people"]["inhouse_lead"]
    incident = services.incident_open(actor=lead, title="Outage", severity=Severity.SEV3)
    services.incident_add_tickets(actor=lead, incident=incident,
                                  tickets=[tf.ticket(desk["queues"]["north"])])  # fmt: skip
    assert list(selectors.visible_incidents(desk["people"]["north_agent"])) == [incident]
    assert list(selectors.visible_incidents(desk["people"]["atlas_lead"])) == []
    assert list(selectors.visible_incidents(lead)) == [incident]


def test_the_board_with_5000_open_escalations_makes_a_fixed_number_of_queries(
    desk, django_assert_max_num_queries
):  # fmt: skip
    reason = ef.reason(desk["teams"]["inhouse"], name="Legal")
    requester = Requester.objects.create(email="many@example.net", name="Many")
    queue = desk["queues"]["north"]
    ef.works_queues(desk["teams"]["inhouse"], queue)
    tickets = Ticket.objects.bulk_create(
        Ticket(reference=f"B{n:09d}", subject=f"Ticket {n}", requester=requester, queue=queue)
        for n in range(5000)
    )  # fmt: skip
    now = timezone.now()
    statuses = ["requested", "accepted", "in_progress", "resolved"]
    Escalation.objects.bulk_create(
        Escalation(ticket=t, reason=reason, severity=1 + n % 4, status=statuses[n % 4],
                   target_team=reason.target_team, summary="x",
                   due_at=now + timedelta(minutes=n - 2500), created_at=now,
                   closed_at=now if n % 4 == 3 else None)
        for n, t in enumerate(tickets)
    )  # fmt: skip
    lead = desk["people"]["inhouse_lead"]
    # The person's queues (the scope of their tickets, hence of escalations) are read once
    # per process and kept on the user for the request: not part of the board's cost.
    visible_queue_ids(lead)
    with django_assert_max_num_queries(5):
        columns = selectors.board(lead, selectors.BoardFilters())
    counts = {c.status: (c.count, len(c.cards)) for c in columns}
    shown = selectors.BOARD_CARDS
    assert counts == {"requested": (1250, shown), "accepted": (1250, shown),
                      "in_progress": (1250, shown), "closed": (1250, shown)}  # fmt: skip
    requested = columns[0]
    assert requested.overdue == 626  # due up to and including "now"
    assert [c.due_at for c in requested.cards] == sorted(c.due_at for c in requested.cards)
    with django_assert_max_num_queries(5):
        overdue = selectors.board(lead, selectors.BoardFilters(overdue=True, severity=1))
    assert overdue[0].count == 626 and overdue[3].count == 0
