"""In-app ratings: an app reads and rates its own user's survey with its key."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from quality import services as quality
from tests.quality.conftest import DAY, at, solved_ticket
from tests.tickets import factories as tf
from tickets.intake.inapp import app_client_create

pytestmark = pytest.mark.django_db
URL = "/api/v1/inapp/ratings/"


@pytest.fixture
def app(desk):
    cache.clear()
    client, key = app_client_create(name="Android app", queue=desk["queues"]["north"])
    person = tf.requester(external_id="u-42", email="")
    ticket = solved_ticket(desk["queues"]["north"], desk["people"]["north_agent"],
                           requester=person, channel="api")  # fmt: skip
    with at(2 * DAY):
        quality.surveys_send_due()
    return {**desk, "key": key, "ticket": ticket}


def _call(client, app, method="get", **data):  # type: ignore[no-untyped-def]
    body = {"user_id": "u-42", "reference": app["ticket"].reference, **data}
    auth = {"HTTP_AUTHORIZATION": f"AppKey {app['key']}"}
    if method == "get":
        return client.get(URL, body, **auth)
    return client.post(URL, body, content_type="application/json", **auth)


def test_an_app_reads_and_rates_its_users_survey(app, client):
    with at(2 * DAY):
        survey = _call(client, app).json()
        assert survey["open"] is True and survey["scores"] == [5, 4, 3, 2, 1]
        assert survey["score"] is None and "slow" in survey["reasons"]
        rated = _call(client, app, "post", score=2, reason="slow", comment="Lento")
    assert rated.status_code == 200 and rated.json()["score"] == 2
    saved = app["ticket"].surveys.get()
    assert (saved.channel, saved.reason, saved.comment) == ("inapp", "slow", "Lento")
    assert saved.state == "sent" and saved.sent_at is not None  # offered without an email


def test_another_users_ticket_or_a_bad_call_says_why_in_json(app, client):
    with at(2 * DAY):
        assert _call(client, app, user_id="u-7").status_code == 404
        bad = _call(client, app, "post", score=9)
        assert bad.status_code == 400 and "score" in bad.json()
        wrong = _call(client, app, "post", score=1, reason="made-up")
        assert wrong.status_code == 400 and "reasons offered" in wrong.json()["detail"]
    with at(40 * DAY):
        closed = _call(client, app, "post", score=5)
    assert closed.status_code == 409 and "closed" in closed.json()["detail"]
    assert client.get(URL, {"user_id": "u-42", "reference": "X"}).status_code in (401, 403)
