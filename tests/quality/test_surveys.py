"""Surveys follow their tickets: scheduled on a solve, credited to the last public reply,
cancelled by a reopen, sent after the delay at most once per requester a week, to a
sample, never for excluded categories; rated by link, changed, closed after 28 days."""

from __future__ import annotations

from datetime import timedelta

import pytest

from quality import services as quality
from quality.models import QualityEvent, Survey, SurveySettings
from tests.quality.conftest import DAY, HOUR, T0, at, solved_ticket
from tests.tickets import factories as tf
from tickets import services
from tickets.models import Event, Notification

pytestmark = pytest.mark.django_db


def _settings(**values):  # type: ignore[no-untyped-def]
    row = SurveySettings.objects.filter(pk=1).first() or SurveySettings(pk=1)
    for name, value in values.items():
        setattr(row, name, value)
    row.save()
    return row


def test_a_solve_schedules_a_survey_credited_to_the_last_public_reply(desk):
    queue = desk["queues"]["inhouse"]
    first, second = desk["people"]["inhouse_agent"], desk["people"]["inhouse_lead"]
    with at(timedelta()):
        ticket = tf.ticket(queue, language="es")
    with at(timedelta(minutes=5)):
        services.ticket_reply(actor=first, ticket=ticket, body="Primera respuesta.")
    with at(timedelta(minutes=6)):
        services.ticket_reply(actor=second, ticket=ticket, body="Last public reply.")
    with at(timedelta(minutes=7)):
        services.ticket_reply(actor=first, ticket=ticket, body="An internal note.", internal=True)
    with at(timedelta(minutes=8)):
        services.ticket_change_status(actor=first, ticket=ticket, status="solved")
    survey = Survey.objects.get(ticket=ticket)
    assert survey.state == "scheduled" and survey.agent == second  # not the note's author
    assert survey.due_at == T0 + timedelta(minutes=8) + 24 * HOUR
    assert survey.language == "es" and survey.requester == ticket.requester


def test_a_reopen_before_the_survey_goes_cancels_it_and_nothing_is_sent(desk):
    agent = desk["people"]["inhouse_agent"]
    ticket = solved_ticket(desk["queues"]["inhouse"], agent)
    with at(2 * HOUR):
        services.ticket_requester_reply(ticket=ticket, body="It is broken again.")
    survey = Survey.objects.get(ticket=ticket)
    assert survey.state == "cancelled" and survey.skip_reason == "reopened"
    assert Event.objects.filter(ticket=ticket, kind="csat_cancelled").exists()
    with at(2 * DAY):
        assert quality.surveys_send_due() == {}
    assert not Notification.objects.filter(kind="csat_survey").exists()


def test_due_surveys_go_out_once_per_requester_a_week_in_their_language(desk):
    agent, queue = desk["people"]["inhouse_agent"], desk["queues"]["inhouse"]
    person = tf.requester(email="ana@example.net", name="Ana")
    first = solved_ticket(queue, agent, language="es", requester=person)
    second = solved_ticket(queue, agent, delta=HOUR, language="es", requester=person)
    with at(DAY + timedelta(minutes=30)):  # only the first is due
        assert quality.surveys_send_due() == {"sent": 1}
    with at(2 * DAY):
        assert quality.surveys_send_due() == {"skipped": 1}
    assert first.surveys.get().state == "sent"
    assert second.surveys.get().skip_reason == "recent"
    mail = Notification.objects.get(kind="csat_survey")
    assert mail.recipient == "ana@example.net" and mail.ticket_id == first.pk
    assert "¿Qué tal lo hicimos?" in mail.subject or first.reference in mail.subject
    survey = first.surveys.get()
    assert quality.rating_url(survey, 5) in mail.body and quality.rating_url(survey, 1) in mail.body
    assert mail.payload["headers"]["Auto-Submitted"] == "auto-generated"
    with at(2 * DAY):  # run again: nothing more
        assert quality.surveys_send_due() == {}
    assert Notification.objects.filter(kind="csat_survey").count() == 1


def test_excluded_categories_are_never_surveyed_and_the_sample_is_stable(desk):
    agent, queue = desk["people"]["inhouse_agent"], desk["queues"]["inhouse"]
    _settings(excluded_categories=["enforcement"], sample_percent=50, per_requester_days=0)
    excluded = solved_ticket(queue, agent, category="enforcement")
    assert not Survey.objects.filter(ticket=excluded).exists()
    tickets = [solved_ticket(queue, agent) for _n in range(12)]
    with at(2 * DAY):
        quality.surveys_send_due()
    for ticket in tickets:
        survey = ticket.surveys.get()
        expected = "sent" if quality.sampled(ticket.pk, 50) else "skipped"
        assert survey.state == expected
    states = {t.surveys.get().state for t in tickets}
    assert states == {"sent", "skipped"}  # twelve tickets: both sides of a 50% sample


def test_a_rating_is_recorded_changed_and_audited_and_posts_a_signed_webhook(survey_sent):
    _settings(webhook_url="https://hooks.example.com/csat")
    survey, ticket = survey_sent["survey"], survey_sent["ticket"]
    with at(2 * DAY):
        quality.csat_rate(survey_id=survey.pk, score=5, channel="email")
    with at(3 * DAY):
        quality.csat_rate(survey_id=survey.pk, score=2, channel="email", reason="slow",
                          comment="Tardaron mucho.")  # fmt: skip
    survey.refresh_from_db()
    assert (survey.score, survey.positive, survey.reason) == (2, False, "slow")
    assert survey.rated_at == T0 + 2 * DAY and survey.changed_at == T0 + 3 * DAY
    assert survey.revisions == 2 and survey.follow_up == "open"  # the default action
    rated = list(Event.objects.filter(ticket=ticket, kind="csat_rated").order_by("created_at"))
    assert rated[0].before == {} and rated[1].before["score"] == 5
    hooks = Notification.objects.filter(kind="csat_submitted").order_by("id")
    assert [h.payload["score"] for h in hooks] == [5, 2]
    assert hooks[1].payload["reason"] == "slow" and hooks[1].payload["ticket"] == ticket.reference
    assert hooks[0].idempotency_key != hooks[1].idempotency_key


def test_bad_ratings_are_refused_with_a_reason(survey_sent):
    survey = survey_sent["survey"]
    with at(2 * DAY):
        with pytest.raises(quality.QualityError, match="ratings offered"):
            quality.csat_rate(survey_id=survey.pk, score=9, channel="email")
        with pytest.raises(quality.QualityError, match="reasons offered"):
            quality.csat_rate(survey_id=survey.pk, score=1, channel="email", reason="made-up")
        with pytest.raises(quality.QualityError, match="too long"):
            quality.csat_rate(survey_id=survey.pk, score=1, channel="email", comment="x" * 2001)
    survey.refresh_from_db()
    assert survey.rated_at is None


def test_a_rating_closes_after_28_days_or_when_the_ticket_closes(survey_sent):
    survey, agent = survey_sent["survey"], survey_sent["agent"]
    with at(29 * DAY + 2 * HOUR), pytest.raises(quality.SurveyClosed):
        quality.csat_rate(survey_id=survey.pk, score=5, channel="email")
    with at(2 * DAY):
        services.ticket_change_status(actor=agent, ticket=survey_sent["ticket"], status="closed")
        with pytest.raises(quality.SurveyClosed):
            quality.csat_rate(survey_id=survey.pk, score=5, channel="email")


def test_a_bad_rating_can_reopen_the_ticket(survey_sent):
    _settings(negative_action="reopen")
    with at(2 * DAY):
        quality.csat_rate(survey_id=survey_sent["survey"].pk, score=1, channel="email")
    ticket = survey_sent["ticket"]
    ticket.refresh_from_db()
    assert ticket.status == "open"
    assert survey_sent["survey"].__class__.objects.get(pk=survey_sent["survey"].pk).follow_up == ""


def test_a_lead_follows_up_a_bad_rating_and_it_is_audited(survey_sent):
    lead = survey_sent["people"]["north_lead"]
    survey = survey_sent["survey"]
    with at(2 * DAY):
        quality.csat_rate(survey_id=survey.pk, score=1, channel="email", reason="unresolved")
    with pytest.raises(quality.QualityError, match="Say what"):
        quality.csat_follow_up_done(actor=lead, survey=survey, note="  ")
    with at(3 * DAY):
        quality.csat_follow_up_done(actor=lead, survey=survey, note="Called the requester.")
    survey.refresh_from_db()
    assert survey.follow_up == "done" and survey.follow_up_by == lead
    event = QualityEvent.objects.get(kind="follow_up_done")
    assert event.survey_id == survey.pk and event.actor == lead
    with pytest.raises(quality.SurveyClosed):
        quality.csat_follow_up_done(actor=lead, survey=survey, note="Again.")


def test_settings_changes_are_audited_and_the_cache_follows_them(desk):
    admin = desk["people"]["admin"]
    assert quality.survey_settings().delay_hours == 24
    values = {"delay_hours": 2, "webhook_url": "https://x.example.com/h"}
    quality.survey_settings_save(actor=admin, values=values)
    assert quality.survey_settings().delay_hours == 2
    assert quality.survey_settings().webhook_secret.startswith("whsec_")
    event = QualityEvent.objects.get(kind="settings_changed")
    assert event.before["delay_hours"] == 24 and event.after["delay_hours"] == 2
    with pytest.raises(Exception, match="append-only"):
        QualityEvent.objects.filter(pk=event.pk).update(after={})


def test_every_survey_event_reads_as_a_sentence(survey_sent):
    from tickets import timeline

    with at(2 * DAY):
        quality.csat_rate(survey_id=survey_sent["survey"].pk, score=1, channel="email",
                          reason="slow")  # fmt: skip
    found = Event.objects.filter(ticket=survey_sent["ticket"], kind__startswith="csat_")
    texts = [entry.text for entry in timeline.ticket_entries(list(found.order_by("-id")))]
    assert "The requester rated the support 1 out of 5. Reason: It took too long." in texts
    assert "A satisfaction survey was sent to the requester." in texts
