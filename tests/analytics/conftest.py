from datetime import UTC, datetime

import pytest

from tests.tickets import factories as tf

# A Monday, 09:00 UTC.
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def floor(desk):
    """The desk with a 24/7 SLA policy (first reply 60 min, next 120, resolution 480) on
    the in-house and Northwind queues."""
    tf.sla_policy(name="Standard", queues=[desk["queues"]["inhouse"], desk["queues"]["north"]])
    return desk
