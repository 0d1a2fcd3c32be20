"""Configuration every new ticket reads is cached per process, and never stale: any
write to its tables (ORM, bulk, raw SQL) moves the version, and a rolled-back write
never leaves its state behind."""

import pytest
from django.db import connection, transaction

from accounts.models import Team
from core.config_cache import config_version
from escalations.models import EscalationReason
from tests.tickets import factories as tf
from tickets.models import ConfigVersion, SLATarget
from tickets.sla.services import active_policies

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _version_row():
    # A transactional test's flush (TRUNCATE) removes the row the migration made.
    ConfigVersion.objects.get_or_create(pk=1, defaults={"version": 1})


def targets(policy_id: int) -> list[int]:
    policy = next(p for p in active_policies() if p.pk == policy_id)
    return sorted(t.first_reply_minutes for t in policy.targets.all())


def test_policies_are_read_once_until_they_change(desk, django_assert_num_queries):
    queue = desk["queues"]["inhouse"]
    policy = tf.sla_policy(queues=[queue])
    assert targets(policy.pk) == [60, 60, 60, 60]
    with django_assert_num_queries(1):  # the version only
        assert targets(policy.pk) == [60, 60, 60, 60]

    SLATarget.objects.filter(policy=policy).update(first_reply_minutes=30)  # bulk update
    assert targets(policy.pk) == [30, 30, 30, 30]
    with connection.cursor() as cursor:  # raw SQL, no signals
        cursor.execute("UPDATE tickets_slatarget SET first_reply_minutes = 15")
    assert targets(policy.pk) == [15, 15, 15, 15]
    policy.queues.add(desk["queues"]["north"])  # the M2M table
    cached = next(p for p in active_policies() if p.pk == policy.pk)
    assert {q.pk for q in cached.queues.all()} == {queue.pk, desk["queues"]["north"].pk}
    policy.calendar.time_zone = "Asia/Manila"
    policy.calendar.save()
    assert next(p for p in active_policies() if p.pk == policy.pk).calendar.time_zone == (
        "Asia/Manila")  # fmt: skip


def test_a_rolled_back_change_is_not_kept(desk):
    policy = tf.sla_policy(queues=[desk["queues"]["inhouse"]])
    before = config_version()
    assert targets(policy.pk) == [60, 60, 60, 60]
    with pytest.raises(RuntimeError), transaction.atomic():
        SLATarget.objects.filter(policy=policy).update(first_reply_minutes=1)
        assert targets(policy.pk) == [1, 1, 1, 1]  # seen inside its own transaction
        raise RuntimeError("rolled back")
    assert config_version() == before
    assert targets(policy.pk) == [60, 60, 60, 60]
    SLATarget.objects.filter(policy=policy).update(first_reply_minutes=5)
    assert config_version() != before  # a fresh number, never the rolled-back one reused
    assert targets(policy.pk) == [5, 5, 5, 5]


def test_escalation_reasons_follow_their_team(desk):
    from core.config_cache import cached
    from escalations.services import _automatic_reasons

    team = Team.objects.create(name="VIP desk", slug="vip-desk")
    EscalationReason.objects.create(name="VIP", slug="vip", target_team=team,
                                    trigger=EscalationReason.Trigger.HIGH_PROFILE)  # fmt: skip

    def names() -> list[str]:
        return [r.target_team.name for r in cached("escalation-auto-reasons", _automatic_reasons)]

    assert names() == ["VIP desk"]
    Team.objects.filter(pk=team.pk).update(name="VIP care")
    assert names() == ["VIP care"]
    EscalationReason.objects.filter(slug="vip").update(is_active=False)
    assert names() == []
