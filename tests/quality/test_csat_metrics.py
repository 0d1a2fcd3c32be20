"""CSAT in the metric dictionary on hand-worked ratings (docs/metrics.md): the good share
of ratings given in the period at their latest value, the responses, and the response
rate over surveys sent; by agent (credited to the last public reply) and by vendor."""

from __future__ import annotations

import pytest

from analytics import metrics, selectors
from analytics.fold import fold_all
from analytics.selectors import Period, Slice
from quality import services as quality
from tests.quality.conftest import DAY, HOUR, T0, at, solved_ticket

pytestmark = pytest.mark.django_db


def read(user, slice_: Slice | None = None):  # type: ignore[no-untyped-def]
    fold_all()
    period = Period.last_days(7, tz="UTC", now=T0 + 5 * DAY)
    return selectors.totals(selectors.metric_scope(user), period, slice_ or Slice())


def test_csat_responses_and_response_rate_by_agent_and_vendor(desk):
    people, queues = desk["people"], desk["queues"]
    inhouse, north = people["inhouse_agent"], people["north_agent"]
    a = solved_ticket(queues["inhouse"], inhouse)
    b = solved_ticket(queues["inhouse"], inhouse, delta=HOUR)
    c = solved_ticket(queues["north"], north, delta=2 * HOUR)
    solved_ticket(queues["north"], north, delta=3 * HOUR)  # d: sent, never rated
    with at(2 * DAY):
        assert quality.surveys_send_due() == {"sent": 4}
    with at(2 * DAY + HOUR):
        quality.csat_rate(survey_id=a.surveys.get().pk, score=5, channel="email")
        quality.csat_rate(survey_id=b.surveys.get().pk, score=2, channel="email", reason="slow")
        quality.csat_rate(survey_id=c.surveys.get().pk, score=1, channel="email")
    with at(3 * DAY):  # c changes their mind: counted once, at its latest value
        quality.csat_rate(survey_id=c.surveys.get().pk, score=4, channel="help_center")

    total = read(people["admin"])
    assert metrics.csat_responses(total) == 3
    assert metrics.csat(total) == pytest.approx(2 / 3)  # a and c are good, b is not
    assert metrics.csat_response_rate(total) == pytest.approx(3 / 4)

    by_inhouse = read(people["admin"], Slice("agent", str(inhouse.pk)))
    assert (metrics.csat_responses(by_inhouse), metrics.csat(by_inhouse)) == (2, 0.5)
    by_north = read(people["admin"], Slice("vendor", str(desk["vendors"]["north"].pk)))
    assert metrics.csat(by_north) == 1.0
    assert metrics.csat_response_rate(by_north) == 0.5  # c of c and d

    # A vendor's lead reads their vendor's numbers only.
    lead = read(people["north_lead"])
    assert (metrics.csat_responses(lead), metrics.csat_response_rate(lead)) == (1, 0.5)


def test_the_dashboard_shows_the_csat_tile_with_responses_and_rate(desk, client):
    from analytics import presenters  # noqa: F401 - the tile's words are the presenters'

    people, queues = desk["people"], desk["queues"]
    ticket = solved_ticket(queues["inhouse"], people["inhouse_agent"])
    with at(2 * DAY):
        quality.surveys_send_due()
        quality.csat_rate(survey_id=ticket.surveys.get().pk, score=5, channel="email")
    fold_all()
    client.force_login(people["admin"])
    with at(3 * DAY):
        page = client.get("/analytics/?range=7").content.decode()
    assert 'data-testid="tile-csat"' in page
    assert "1 response · 100.0% response rate" in page


def test_a_decision_survey_is_kept_apart_from_csat(desk):
    from quality.models import Survey, SurveySettings
    from tickets.models import Notification

    SurveySettings.objects.update_or_create(pk=1, defaults={"decision_categories": ["enforcement"]})
    people, queues = desk["people"], desk["queues"]
    agent = people["inhouse_agent"]
    support = solved_ticket(queues["inhouse"], agent)
    decision = solved_ticket(queues["inhouse"], agent, delta=HOUR, category="enforcement")
    assert decision.surveys.get().kind == Survey.Kind.DECISION
    assert support.surveys.get().kind == Survey.Kind.SUPPORT
    with at(2 * DAY):
        assert quality.surveys_send_due() == {"sent": 2}
        quality.csat_rate(survey_id=support.surveys.get().pk, score=5, channel="email")
        quality.csat_rate(survey_id=decision.surveys.get().pk, score=1, channel="email")
    mail = Notification.objects.get(kind="csat_survey", ticket=decision)
    assert "How clear and fair was it?" in mail.body
    total = read(people["admin"])
    assert metrics.csat_responses(total) == 1 and metrics.csat(total) == 1.0
    assert metrics.csat_response_rate(total) == 1.0  # the decision survey is not counted
