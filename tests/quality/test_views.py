"""The CSAT pages: the requester's one-click page in their language (a bad value is a
sentence by its field, a forged link 404), the help center's rating form, the ratings
list scoped like everything else, follow-ups and the admins' settings."""

from __future__ import annotations

import pytest

from quality import services as quality
from quality.models import Survey, SurveySettings
from tests.quality.conftest import DAY, HOUR, at, solved_ticket
from tickets.intake.help_center import requester_link

pytestmark = pytest.mark.django_db


def _link(survey: Survey, score: int | None = None) -> str:
    return quality.rating_url(survey, score).split("://", 1)[1].split("/", 1)[1].join(["/", ""])


def test_one_click_records_the_rating_and_the_page_asks_why_in_spanish(survey_sent, client):
    survey = survey_sent["survey"]
    with at(2 * DAY):
        page = client.get(_link(survey, 2))
    assert page.status_code == 200 and page["Content-Language"] == "es"
    body = page.content.decode()
    assert 'lang="es"' in body and "¿Qué salió mal?" in body  # the survey's language
    survey.refresh_from_db()
    assert (survey.score, survey.positive, survey.channel) == (2, False, "email")
    with at(2 * DAY + HOUR):
        page = client.post(_link(survey), {"score": "2", "reason": "unclear",
                                           "comment": "No entendí la respuesta."})  # fmt: skip
    assert page.status_code == 200
    survey.refresh_from_db()
    assert (survey.reason, survey.comment, survey.revisions) == (
        "unclear",
        "No entendí la respuesta.",
        2,
    )
    # The same link clicked again changes nothing.
    with at(2 * DAY + 2 * HOUR):
        client.get(_link(survey, 2))
    survey.refresh_from_db()
    assert survey.revisions == 2


def test_a_bad_value_is_shown_by_its_field_and_loses_nothing(survey_sent, client):
    survey = survey_sent["survey"]
    with at(2 * DAY):
        page = client.post(_link(survey), {"score": "7", "comment": "x" * 2001})
    assert page.status_code == 400
    body = page.content.decode()
    assert 'id="id_score_error"' in body and 'id="id_comment_error"' in body
    with at(2 * DAY):
        assert client.get(_link(survey, 9)).status_code == 400  # said on the page, not recorded
    survey.refresh_from_db()
    assert survey.rated_at is None


def test_a_forged_or_unsent_survey_link_is_404(survey_sent, client):
    survey = survey_sent["survey"]
    assert client.get(f"/quality/survey/{survey.pk}:forged/").status_code == 404
    assert client.get("/quality/survey/nonsense/?score=5").status_code == 404
    Survey.objects.filter(pk=survey.pk).update(state="skipped")
    assert client.get(_link(survey, 5)).status_code == 404


def test_a_closed_survey_says_so(survey_sent, client):
    with at(40 * DAY):
        page = client.get(_link(survey_sent["survey"], 5))
    assert page.status_code == 409
    assert 'data-testid="csat-closed"' in page.content.decode()


def test_the_help_center_page_takes_a_rating(survey_sent, client):
    ticket = survey_sent["ticket"]
    path = "/" + requester_link(ticket).split("://", 1)[1].split("/", 1)[1]
    with at(2 * DAY):
        page = client.get(path)
    assert 'data-testid="csat-help-panel"' in page.content.decode()
    survey = survey_sent["survey"]
    with at(2 * DAY):
        client.post(_link(survey), {"score": "5", "channel": "help_center", "comment": "¡Gracias!"})
    survey.refresh_from_db()
    assert (survey.score, survey.channel, survey.comment) == (5, "help_center", "¡Gracias!")


@pytest.fixture
def rated(survey_sent):
    """Northwind's rating (bad, with a follow-up open) and an in-house one (good)."""
    people, queues = survey_sent["people"], survey_sent["queues"]
    inhouse = solved_ticket(queues["inhouse"], people["inhouse_agent"])
    with at(2 * DAY):
        quality.surveys_send_due()
        quality.csat_rate(survey_id=survey_sent["survey"].pk, score=1, channel="email",
                          reason="slow", comment="Northwind comment")  # fmt: skip
        quality.csat_rate(survey_id=inhouse.surveys.get().pk, score=5, channel="email",
                          comment="In-house comment")  # fmt: skip
    return {**survey_sent, "inhouse_ticket": inhouse}


@pytest.mark.parametrize(("who", "sees", "hidden"), [
    ("admin", ["Northwind comment", "In-house comment"], []),
    ("inhouse_lead", ["In-house comment"], ["Northwind comment"]),  # their team's queues
    ("north_lead", ["Northwind comment"], ["In-house comment"]),
    ("atlas_lead", [], ["Northwind comment", "In-house comment"]),
    ("north_agent", ["Northwind comment"], ["In-house comment"]),
    ("inhouse_agent", ["In-house comment"], ["Northwind comment"]),
])  # fmt: skip
def test_the_ratings_list_shows_each_person_what_they_may_see(rated, client, who, sees, hidden):
    client.force_login(rated["people"][who])
    body = client.get("/quality/ratings/").content.decode()
    for text in sees:
        assert text in body, who
    for text in hidden:
        assert text not in body, who


def test_the_ratings_list_is_one_query_a_page_and_keyset_paginated(
    rated, client, django_assert_max_num_queries
):
    from quality import selectors

    admin = rated["people"]["admin"]
    first = selectors.ratings_page(admin, size=1)
    assert len(first.rows) == 1 and first.next_cursor
    second = selectors.ratings_page(admin, size=1, cursor=first.next_cursor)
    assert second.rows[0].pk != first.rows[0].pk and second.next_cursor is None
    assert selectors.ratings_page(admin, cursor="forged").rows  # a bad cursor: the first page
    client.force_login(admin)
    client.get("/quality/ratings/")
    with django_assert_max_num_queries(6):  # session, user, the page, the header's entries
        assert client.get("/quality/ratings/?show=follow_up").status_code == 200


def test_a_lead_records_a_follow_up_and_others_get_404(rated, client):
    survey = rated["survey"]
    client.force_login(rated["people"]["atlas_lead"])
    assert client.post(f"/quality/ratings/{survey.pk}/follow-up/", {"note": "x"}).status_code == 404
    client.force_login(rated["people"]["north_agent"])
    assert client.post(f"/quality/ratings/{survey.pk}/follow-up/", {"note": "x"}).status_code == 404
    client.force_login(rated["people"]["north_lead"])
    page = client.post(f"/quality/ratings/{survey.pk}/follow-up/", {"note": "Called them."})
    assert page.status_code == 302
    survey.refresh_from_db()
    assert survey.follow_up == "done" and survey.follow_up_note == "Called them."


def test_the_ticket_page_shows_the_rating(rated, client):
    client.force_login(rated["people"]["north_agent"])
    body = client.get(f"/tickets/{rated['ticket'].reference}/").content.decode()
    assert 'data-testid="csat-panel"' in body and "Northwind comment" in body


def test_only_admins_change_the_settings_and_a_bad_value_is_shown_by_its_field(desk, client):
    client.force_login(desk["people"]["inhouse_lead"])
    assert client.get("/quality/settings/").status_code == 404
    client.force_login(desk["people"]["admin"])
    assert client.get("/quality/settings/").status_code == 200
    form = {"enabled": "on", "delay_hours": "999", "per_requester_days": "7",
            "sample_percent": "0", "scale": "five", "negative_action": "follow_up",
            "change_days": "28", "webhook_url": "http://10.0.0.1/x", "reasons": ["slow"],
            "excluded_categories": "enforcement"}  # fmt: skip
    page = client.post("/quality/settings/", form)
    assert page.status_code == 400
    body = page.content.decode()
    for field in ("delay_hours", "sample_percent", "webhook_url"):
        assert f'id="id_{field}_error"' in body, field
    form.update(delay_hours="2", sample_percent="25", webhook_url="")
    assert client.post("/quality/settings/", form).status_code == 302
    saved = SurveySettings.objects.get(pk=1)
    assert (saved.delay_hours, saved.sample_percent, saved.reasons) == (2, 25, ["slow"])
    assert saved.excluded_categories == ["enforcement"]
