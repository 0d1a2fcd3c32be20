"""Checklist ticks on a ticket land on the ticket's audit timeline."""

import pytest

from sops import services
from sops.models import ChecklistTick
from tests.sops import factories as sf
from tests.tickets import factories as tf
from tickets.models import Event

pytestmark = pytest.mark.django_db


def test_ticking_and_unticking_a_step_is_audited_on_the_ticket(desk):
    admin, agent = desk["people"]["admin"], desk["people"]["inhouse_agent"]
    sop = sf.published(admin, title="Refunds", steps=("Find the charge", "Refund it"))
    ticket = tf.ticket(desk["queues"]["inhouse"])
    step = sop.current_version.steps.get(position=2)

    assert services.sop_step_tick(actor=agent, ticket=ticket, step=step, done=True)
    assert not services.sop_step_tick(actor=agent, ticket=ticket, step=step, done=True)
    assert ChecklistTick.objects.get(ticket=ticket).ticked_by == agent
    assert services.sop_step_tick(actor=agent, ticket=ticket, step=step, done=False)
    assert not ChecklistTick.objects.filter(ticket=ticket).exists()

    events = Event.objects.filter(ticket=ticket, kind__startswith="sop_step").order_by("id")
    assert [(e.kind, e.actor, e.after["step"], e.after["text"]) for e in events] == [
        ("sop_step_done", agent, 2, "Refund it"),
        ("sop_step_undone", agent, 2, "Refund it"),
    ]
    assert events[0].after["sop"] == "Refunds" and events[0].after["version"] == 1


def test_a_step_of_an_archived_version_cannot_be_ticked(desk):
    admin, agent = desk["people"]["admin"], desk["people"]["inhouse_agent"]
    sop = sf.published(admin)
    old_step = sop.current_version.steps.first()
    sf.new_version(admin, sop, body="Newer")
    ticket = tf.ticket(desk["queues"]["inhouse"])
    with pytest.raises(services.SOPConflict, match="newer version"):
        services.sop_step_tick(actor=agent, ticket=ticket, step=old_step, done=True)
