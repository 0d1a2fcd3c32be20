"""Exposure counting, caps, overrides, opt-outs and the next-ticket rule (safety/exposure.py)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core import config_cache
from core.errors import Forbidden
from safety import categories, exposure
from safety.models import CapOverride, Exposure, HarmCategory, OptOut, SafetyEvent
from safety.taxonomy import ensure_defaults
from tests.tickets import factories as tf
from tickets import services
from tickets.models import Queue


@pytest.fixture
def safety_desk(desk):
    """The in-house team works the safety reports queue (graphic categories route there)
    and its own T&S queue; graphic violence has tiny caps."""
    ensure_defaults()
    reports = Queue.objects.get(slug="safety-reports")
    reports.teams.add(desk["teams"]["inhouse"])
    HarmCategory.objects.filter(key="graphic-violence").update(
        soft_cap_items=2, soft_cap_minutes=None, hard_cap_items=3, hard_cap_minutes=None,
        cooldown_minutes=20)  # fmt: skip
    category = HarmCategory.objects.get(key="graphic-violence")
    people = desk["people"]
    return {**desk, "reports": reports, "category": category,
            "agent": people["inhouse_agent"], "lead": people["inhouse_lead"]}  # fmt: skip


def _reveal(d, n=1, seconds=30):  # type: ignore[no-untyped-def]
    made = []
    for _ in range(n):
        e = exposure.reveal_start(agent=d["agent"], ticket=None, category=d["category"],
                                  kind=Exposure.Kind.IMAGE)  # fmt: skip
        exposure.reveal_end(agent=d["agent"], token=e.token, seconds=seconds)
        made.append(e)
    return made


@pytest.mark.django_db
def test_reveal_end_clamps_only_grows_and_only_for_the_owner(safety_desk):
    (e,) = _reveal(safety_desk, seconds=5000)
    e.refresh_from_db()
    assert e.seconds == 600
    assert exposure.reveal_end(agent=safety_desk["agent"], token=e.token, seconds=10).seconds == 600
    other = safety_desk["people"]["north_agent"]
    assert exposure.reveal_end(agent=other, token=e.token, seconds=1) is None
    (f,) = _reveal(safety_desk, seconds=-5)
    f.refresh_from_db()
    assert f.seconds == 0


@pytest.mark.django_db
def test_shift_totals_are_a_rolling_window(safety_desk, settings):
    settings.SAFETY_SHIFT_HOURS = 2
    old, new = _reveal(safety_desk, 2, seconds=120)
    Exposure.objects.filter(pk=old.pk).update(revealed_at=timezone.now() - timedelta(hours=3))
    totals = exposure.totals_by_category(safety_desk["agent"])
    assert totals[safety_desk["category"].pk] == exposure.Totals(1, 120)
    assert totals[safety_desk["category"].pk].minutes == 2


@pytest.mark.django_db
def test_non_graphic_reveals_are_recorded_but_never_capped(safety_desk):
    spam = HarmCategory.objects.get(key="spam-scams")
    HarmCategory.objects.filter(pk=spam.pk).update(hard_cap_items=0, soft_cap_items=0)
    spam.refresh_from_db()
    for _ in range(3):
        exposure.reveal_start(agent=safety_desk["agent"], ticket=None, category=spam, kind="text")
    assert Exposure.objects.filter(agent=safety_desk["agent"], category=spam).count() == 3
    assert exposure.after_reveal(safety_desk["agent"], spam) is None


@pytest.mark.django_db
def test_passing_the_soft_cap_prompts_and_starts_one_cooldown(
    safety_desk, django_capture_on_commit_callbacks
):
    agent, category = safety_desk["agent"], safety_desk["category"]
    _reveal(safety_desk, 1)
    assert exposure.after_reveal(agent, category) is None
    _reveal(safety_desk, 1)
    with django_capture_on_commit_callbacks(execute=True):
        prompt = exposure.after_reveal(agent, category)
    assert prompt is not None and prompt.items == 2 and prompt.cooldown_minutes == 20
    assert "break" in prompt.message
    until = exposure.cooldown_until(agent)
    assert until is not None and until > timezone.now() + timedelta(minutes=19)
    # Still in the cool-down: the prompt again, no second event.
    assert exposure.after_reveal(agent, category) is not None
    assert SafetyEvent.objects.filter(kind="exposure_cooldown_started", subject=agent).count() == 1


@pytest.mark.django_db
def test_the_hard_cap_refuses_until_a_lead_overrides(safety_desk):
    agent, lead, category = safety_desk["agent"], safety_desk["lead"], safety_desk["category"]
    _reveal(safety_desk, 3)
    with pytest.raises(exposure.HardCapReached, match="lead") as refused:
        _reveal(safety_desk, 1)
    assert isinstance(refused.value, Forbidden)
    assert Exposure.objects.filter(agent=agent).count() == 3
    with pytest.raises(exposure.ExposureError):
        exposure.grant_override(lead=lead, agent=agent, category=category, reason="  ")
    with pytest.raises(exposure.ExposureError):
        exposure.grant_override(lead=lead, agent=agent, category=category, reason="x",
                                until=timezone.now() + timedelta(hours=13))  # fmt: skip
    override = exposure.grant_override(lead=lead, agent=agent, category=category,
                                       reason="Backlog of urgent cases")  # fmt: skip
    assert override.expires_at <= timezone.now() + timedelta(hours=9)
    (e,) = _reveal(safety_desk, 1)
    assert e.override == override
    assert SafetyEvent.objects.filter(kind="cap_override_granted", subject=agent,
                                      actor=lead).exists()  # fmt: skip
    assert SafetyEvent.objects.filter(kind="exposure_past_hard_cap", subject=agent).exists()
    CapOverride.objects.filter(pk=override.pk).update(expires_at=timezone.now())
    with pytest.raises(exposure.HardCapReached):
        _reveal(safety_desk, 1)


@pytest.mark.django_db
def test_only_the_agents_own_lead_or_an_admin_overrides(safety_desk):
    agent, category = safety_desk["agent"], safety_desk["category"]
    people = safety_desk["people"]
    for outsider in (people["north_lead"], people["inhouse_agent"], people["north_agent"]):
        with pytest.raises(exposure.NotYourPeople):
            exposure.grant_override(lead=outsider, agent=agent, category=category, reason="x")
    exposure.grant_override(lead=people["admin"], agent=agent, category=category, reason="x")
    # A vendor's lead leads every team of their vendor.
    exposure.grant_override(lead=people["north_lead"], agent=people["north2_agent"],
                            category=category, reason="x")  # fmt: skip


# ----------------------------------------------------------------------- next ticket


def _ticket(queue, subject, priority, category=""):  # type: ignore[no-untyped-def]
    return tf.ticket(queue, subject=subject, priority=priority, category=category)


GRAPHIC = "graphic-violence"


@pytest.mark.django_db
def test_next_ticket_never_gives_two_graphic_tickets_in_a_row(
    safety_desk, django_capture_on_commit_callbacks
):
    agent = safety_desk["agent"]
    g1 = _ticket(safety_desk["reports"], "graphic 1", 1, GRAPHIC)
    g2 = _ticket(safety_desk["reports"], "graphic 2", 1, GRAPHIC)
    plain = _ticket(safety_desk["queues"]["inhouse"], "plain", 4)
    claimed = []
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            claimed.append(services.ticket_claim_next(agent=agent))
    assert [t.pk for t in claimed] == [g1.pk, plain.pk, g2.pk]


@pytest.mark.django_db
def test_in_a_cooldown_next_ticket_gives_only_other_work(
    safety_desk, django_capture_on_commit_callbacks
):
    agent, category = safety_desk["agent"], safety_desk["category"]
    _ticket(safety_desk["reports"], "graphic", 1, GRAPHIC)
    _reveal(safety_desk, 2)
    with django_capture_on_commit_callbacks(execute=True):
        assert exposure.after_reveal(agent, category) is not None
    assert services.ticket_claim_next(agent=agent) is None
    exposure.end_cooldown(agent)
    assert services.ticket_claim_next(agent=agent) is not None


@pytest.mark.django_db
def test_a_cooldown_leaves_the_other_reports_of_the_shared_queue_open(
    safety_desk, django_capture_on_commit_callbacks
):
    agent, category = safety_desk["agent"], safety_desk["category"]
    graphic = _ticket(safety_desk["reports"], "graphic", 1, GRAPHIC)
    spam = _ticket(safety_desk["reports"], "spam report", 4, "spam-scams")
    _reveal(safety_desk, 2)
    with django_capture_on_commit_callbacks(execute=True):
        assert exposure.after_reveal(agent, category) is not None
    assert services.ticket_claim_next(agent=agent) == spam
    assert services.ticket_claim_next(agent=agent) is None
    graphic.refresh_from_db()
    assert graphic.assignee is None


@pytest.mark.django_db
def test_an_approved_opt_out_skips_the_categorys_tickets_until_withdrawn(
    safety_desk, django_capture_on_commit_callbacks
):
    agent, lead, category = safety_desk["agent"], safety_desk["lead"], safety_desk["category"]
    _ticket(safety_desk["reports"], "graphic", 1, GRAPHIC)
    opt_out = exposure.request_opt_out(agent=agent, category=category, reason="Personal")
    with pytest.raises(exposure.ExposureConflict):
        exposure.request_opt_out(agent=agent, category=category, reason="again")
    with pytest.raises(exposure.NotYourPeople):
        exposure.decide_opt_out(lead=safety_desk["people"]["atlas_lead"], opt_out_id=opt_out.pk,
                                approve=True)  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        exposure.decide_opt_out(lead=lead, opt_out_id=opt_out.pk, approve=True)
    assert OptOut.objects.get(pk=opt_out.pk).state == "approved"
    assert services.ticket_claim_next(agent=agent) is None
    with django_capture_on_commit_callbacks(execute=True):
        exposure.withdraw_opt_out(agent=agent, opt_out_id=opt_out.pk)
    assert services.ticket_claim_next(agent=agent) is not None
    kinds = set(SafetyEvent.objects.filter(subject=agent).values_list("kind", flat=True))
    assert {"opt_out_requested", "opt_out_approved", "opt_out_withdrawn"} <= kinds


@pytest.mark.django_db
def test_a_refused_opt_out_changes_nothing(safety_desk, django_capture_on_commit_callbacks):
    agent, lead, category = safety_desk["agent"], safety_desk["lead"], safety_desk["category"]
    _ticket(safety_desk["reports"], "graphic", 1, GRAPHIC)
    opt_out = exposure.request_opt_out(agent=agent, category=category, reason="")
    with django_capture_on_commit_callbacks(execute=True):
        exposure.decide_opt_out(lead=lead, opt_out_id=opt_out.pk, approve=False)
    with pytest.raises(exposure.ExposureConflict):
        exposure.withdraw_opt_out(agent=agent, opt_out_id=opt_out.pk)
    assert services.ticket_claim_next(agent=agent) is not None


@pytest.mark.django_db
def test_opt_outs_lost_from_redis_are_rebuilt_after_the_next_assignment(
    safety_desk, django_capture_on_commit_callbacks
):
    from django.core.cache import cache

    agent, lead, category = safety_desk["agent"], safety_desk["lead"], safety_desk["category"]
    opt_out = exposure.request_opt_out(agent=agent, category=category, reason="")
    exposure.decide_opt_out(lead=lead, opt_out_id=opt_out.pk, approve=True)  # callbacks dropped
    assert exposure.exposure_rule(agent) is None
    _ticket(safety_desk["queues"]["inhouse"], "plain", 3)
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_claim_next(agent=agent)
    rule = exposure.exposure_rule(agent)
    assert rule is not None and GRAPHIC in rule.skip_categories
    cache.clear()
    assert exposure.exposure_rule(agent) is None


class _CountingCache:
    def __init__(self, real):  # type: ignore[no-untyped-def]
        self.real, self.calls = real, 0

    def __getattr__(self, name):  # type: ignore[no-untyped-def]
        self.calls += 1
        return getattr(self.real, name)


@pytest.mark.django_db
def test_the_rule_costs_one_cache_read_and_no_query(
    safety_desk, monkeypatch, django_assert_num_queries
):
    agent = safety_desk["agent"]
    counting = _CountingCache(exposure.cache)
    monkeypatch.setattr(exposure, "cache", counting)
    with config_cache.read_only_request():
        assert categories.graphic_keys()  # the per-request version read, once
        with django_assert_num_queries(0):
            exposure.exposure_rule(agent)
    assert counting.calls == 1


@pytest.mark.django_db
def test_without_graphic_categories_the_rule_does_not_touch_redis(safety_desk, monkeypatch):
    HarmCategory.objects.filter(graphic=True).update(graphic=False)
    counting = _CountingCache(exposure.cache)
    monkeypatch.setattr(exposure, "cache", counting)
    assert exposure.exposure_rule(safety_desk["agent"]) is None
    assert counting.calls == 0
