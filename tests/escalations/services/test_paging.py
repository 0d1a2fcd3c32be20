"""Who is on call, and pages that repeat and then move to the next person until someone
acknowledges (time frozen)."""

import datetime
from datetime import UTC, timedelta

import pytest
import time_machine

from escalations import oncall, services
from escalations.models import Incident, Page, RotationOverride, Severity
from tests.escalations import factories as ef
from tickets.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(desk):
    people = [desk["people"]["inhouse_agent"], desk["people"]["inhouse_lead"],
              desk["people"]["admin"]]  # fmt: skip
    # Weekly turns, handing over on Mondays at 09:00 in Paris, from Monday 5 January 2026.
    rotation = ef.rotation(desk["teams"]["inhouse"], people, time_zone="Europe/Paris",
                           repeat_minutes=5, repeats=2)  # fmt: skip
    return {**desk, "rotation": rotation, "order": people}


def at(*args: int) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=UTC)


def _incident() -> Incident:
    return Incident.objects.create(title="Outage", severity=Severity.SEV1)


def test_turns_hand_over_on_monday_at_nine_local_time(team):
    rotation, order = team["rotation"], team["order"]
    assert oncall.on_call_at(rotation, at(2026, 1, 5, 8, 30)) == order[0]  # 09:30 Paris
    assert oncall.on_call_at(rotation, at(2026, 1, 12, 7, 59)) == order[0]  # 08:59 Paris
    assert oncall.on_call_at(rotation, at(2026, 1, 12, 8, 0)) == order[1]  # 09:00 Paris
    assert oncall.on_call_at(rotation, at(2026, 1, 19, 9, 0)) == order[2]
    assert oncall.on_call_at(rotation, at(2026, 1, 26, 9, 0)) == order[0]  # round again


def test_the_hand_off_stays_at_nine_local_across_summer_time(team):
    rotation, order = team["rotation"], team["order"]
    # Paris moves to summer time on 29 March 2026: 09:00 local is then 07:00 UTC.
    week = (datetime.date(2026, 3, 30) - datetime.date(2026, 1, 5)).days // 7
    assert oncall.on_call_at(rotation, at(2026, 3, 30, 6, 59)) == order[(week - 1) % 3]
    assert oncall.on_call_at(rotation, at(2026, 3, 30, 7, 0)) == order[week % 3]


def test_an_override_wins_while_it_lasts(team):
    rotation, order = team["rotation"], team["order"]
    RotationOverride.objects.create(
        rotation=rotation,
        user=order[2],
        starts_at=at(2026, 1, 6, 0, 0),
        ends_at=at(2026, 1, 7, 0, 0),
    )
    assert oncall.on_call_at(rotation, at(2026, 1, 6, 12, 0)) == order[2]
    assert oncall.on_call_at(rotation, at(2026, 1, 7, 0, 0)) == order[0]


def test_an_unacknowledged_page_repeats_then_moves_to_the_next_person(team):
    rotation, order = team["rotation"], team["order"]
    t0 = at(2026, 1, 6, 10, 0)  # order[0] is on call
    with time_machine.travel(t0, tick=False):
        page = services.page_open(rotation=rotation, severity=Severity.SEV1, summary="Outage",
                                  now=t0, incident=_incident())  # fmt: skip

    def sweep(minutes: int) -> Page:
        when = t0 + timedelta(minutes=minutes)
        with time_machine.travel(when, tick=False):
            services.pages_sweep(now=when)
        page.refresh_from_db()
        return page

    assert (sweep(4).target, page.attempts) == (order[0], 1)  # not yet due
    assert (sweep(5).target, page.attempts) == (order[0], 2)  # repeated to the same person
    assert (sweep(10).target, page.attempts) == (order[1], 1)  # two tries: the next person
    assert (sweep(15).target, page.attempts) == (order[1], 2)
    assert (sweep(20).target, page.attempts) == (order[2], 1)
    assert page.tried == [order[0].pk, order[1].pk, order[2].pk]
    mails = list(Notification.objects.filter(kind="page").order_by("id")
                 .values_list("recipient", flat=True))  # fmt: skip
    assert mails == [order[0].email, order[0].email, order[1].email, order[1].email,
                     order[2].email]  # fmt: skip

    services.page_acknowledge(actor=order[2], page=page)
    assert sweep(60).status == Page.Status.ACKNOWLEDGED
    assert Notification.objects.filter(kind="page").count() == 5  # no more pages


def test_a_page_with_a_webhook_posts_to_the_rotation(team):
    rotation = team["rotation"]
    rotation.webhook_url, rotation.webhook_secret = "https://hooks.example.com/p", "s3cret"
    rotation.save()
    t0 = at(2026, 1, 6, 10, 0)
    services.page_open(rotation=rotation, severity=Severity.SEV2, summary="Spike", now=t0,
                       incident=_incident())  # fmt: skip
    hook = Notification.objects.get(kind="page", channel="webhook")
    assert hook.recipient == "https://hooks.example.com/p" and hook.vendor is None
    assert hook.payload["rotation_id"] == rotation.pk and hook.payload["severity"] == "SEV2"

    from tickets import outbox

    endpoint = outbox._endpoint(hook)
    assert (endpoint.url, endpoint.secret) == ("https://hooks.example.com/p", "s3cret")


def test_a_rotation_without_members_pages_nobody(desk):
    rotation = ef.rotation(desk["teams"]["north"], [])
    assert services.page_open(rotation=rotation, severity=1, summary="x",
                              now=at(2026, 1, 6, 10, 0)) is None  # fmt: skip
