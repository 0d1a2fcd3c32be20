"""Scheduled reports: the schedule, what each recipient gets (their own scope and
language, the table as a CSV), the webhook, the audit, and the pages."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail as sent_mail
from django.urls import reverse
from django.utils import translation

from analytics import reports
from analytics.models import ScheduledReport, ScheduledReportEvent
from tests.analytics.conftest import T0
from tests.analytics.routes import REPORT_LISTS, REPORT_ROUTES
from tickets import outbox
from tickets.models import Notification

pytestmark = pytest.mark.django_db


def _save(actor, *, recipients, report=None, **values):  # type: ignore[no-untyped-def]
    fields = {
        "name": "Weekly numbers",
        "page": "dashboard",
        "slice": "",
        "cadence": "weekly",
        "weekday": 0,
        "hour": 7,
        "time_zone": "UTC",
        **values,
    }
    return reports.report_save(
        actor=actor, report=report, data=reports.ReportInput(recipients=recipients, **fields)
    )


def _due(report: ScheduledReport) -> None:
    ScheduledReport.objects.filter(pk=report.pk).update(next_run_at=T0 - timedelta(hours=2))


def _csv(notification: Notification) -> list[list[str]]:
    (attached,) = notification.payload["files"]
    assert attached["type"] == "text/csv"
    return list(csv.reader(io.StringIO(attached["text"].removeprefix("\ufeff"))))


def _kinds(report: ScheduledReport) -> list[str]:
    return list(report.events.values_list("kind", flat=True))


# ------------------------------------------------------------------ the schedule


def _report(**values) -> ScheduledReport:  # type: ignore[no-untyped-def]
    return ScheduledReport(
        **{"cadence": "daily", "weekday": 0, "hour": 7, "time_zone": "Europe/Madrid", **values}
    )


def test_a_daily_report_runs_each_day_at_its_local_hour_across_a_clock_change():
    report = _report()
    # 29 March 2026: Madrid goes from UTC+1 to UTC+2 at 02:00.
    first = reports.next_run(report, datetime(2026, 3, 28, 7, 0, tzinfo=UTC))
    assert first == datetime(2026, 3, 29, 5, 0, tzinfo=UTC)  # 07:00 CEST
    assert reports.next_run(report, datetime(2026, 3, 28, 5, 59, tzinfo=UTC)) == datetime(
        2026, 3, 28, 6, 0, tzinfo=UTC
    )  # 07:00 CET, the same day
    period = reports.period_for(report, first)
    assert (period.start, period.end) == (
        datetime(2026, 3, 27, 23, 0, tzinfo=UTC),
        datetime(2026, 3, 28, 23, 0, tzinfo=UTC),
    )


def test_a_weekly_report_covers_the_seven_days_before_its_day():
    report = _report(cadence="weekly", weekday=0, time_zone="UTC")  # Mondays at 07:00
    assert reports.next_run(report, T0) == datetime(2026, 3, 9, 7, 0, tzinfo=UTC)
    assert reports.last_run(report, T0) == datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
    period = reports.period_for(report, reports.last_run(report, T0))
    assert (period.start, period.end) == (
        datetime(2026, 2, 23, tzinfo=UTC),
        datetime(2026, 3, 2, tzinfo=UTC),
    )


# ------------------------------------------------------------------ sending


def test_each_recipient_gets_the_numbers_they_may_see_in_their_language(busy):
    people = busy["people"]
    north_lead = people["north_lead"]
    north_lead.ui_language = "es"
    north_lead.save(update_fields=["ui_language"])
    report = _save(people["admin"], recipients=[people["admin"], north_lead])
    _due(report)

    assert reports.reports_run_due(now=T0) == 1

    mails = {n.recipient: n for n in Notification.objects.filter(kind="analytics_report")}
    assert set(mails) == {"admin@example.com", "north.lead@example.com"}
    admin_rows = _csv(mails["admin@example.com"])
    assert admin_rows[0][:3] == ["Queue", "Language", "Created"]
    queues = {row[0] for row in admin_rows[1:]}
    assert queues == {"T&S", "Northwind", "Atlas"}
    assert sum(int(row[2]) for row in admin_rows[1:]) == 6  # the six tickets of Saturday
    assert "Weekly numbers" in mails["admin@example.com"].subject

    north = mails["north.lead@example.com"]
    north_rows = _csv(north)
    with translation.override("es"):
        assert north_rows[0][0] == translation.gettext("Queue") != "Queue"
        assert translation.gettext("This period") in north.body_html
    assert {row[0] for row in north_rows[1:]} == {"Northwind"}  # their vendor's only
    assert sum(int(row[2]) for row in north_rows[1:]) == 2
    assert "Atlas" not in north.body and "T&amp;S" not in north.body_html

    report.refresh_from_db()
    assert report.next_run_at == datetime(2026, 3, 9, 7, 0, tzinfo=UTC)
    event = report.events.get(kind=ScheduledReportEvent.Kind.SENT)
    assert event.detail["sent_to"] == sorted([people["admin"].pk, north_lead.pk])
    assert event.detail["period_start"].startswith("2026-02-23")

    # Late or twice: the same period is never sent again.
    ScheduledReport.objects.filter(pk=report.pk).update(next_run_at=T0 - timedelta(hours=1))
    assert reports.reports_run_due(now=T0) == 1
    assert Notification.objects.filter(kind="analytics_report").count() == 2
    assert reports.reports_run_due(now=T0) == 0


def test_the_mail_goes_out_with_its_csv_attached(busy):
    people = busy["people"]
    report = _save(
        people["inhouse_lead"],
        recipients=[people["inhouse_lead"]],
        page="agents",
        name="Agents this week",
    )
    _due(report)
    reports.reports_run_due(now=T0)
    notification = Notification.objects.get(kind="analytics_report")
    assert outbox.notification_deliver(notification.pk) == Notification.State.SENT
    (message,) = sent_mail.outbox
    (name, content, kind) = message.attachments[0]
    assert name.startswith("Agents this week") and name.endswith(".csv") and kind == "text/csv"
    rows = list(csv.reader(io.StringIO(content.removeprefix("\ufeff"))))
    assert rows[0][:3] == ["Agent", "Email", "Team"]
    assert [row[1] for row in rows[1:]] == ["inhouse.agent@example.com"]  # their team only
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"


def test_a_recipient_who_cannot_see_the_slice_is_refused_and_left_out(busy):
    people, queues = busy["people"], busy["queues"]
    mine = f"queue:{queues['inhouse'].pk}"
    with pytest.raises(reports.ReportError, match="cannot see") as refused:
        _save(people["admin"], recipients=[people["north_lead"]], slice=mine)
    assert refused.value.field == "recipients"
    report = _save(
        people["admin"], recipients=[people["admin"], people["inhouse_lead"]], slice=mine
    )
    # The in-house lead moves to a vendor's team: the next run leaves them out.
    people["inhouse_lead"].team = busy["teams"]["north"]
    people["inhouse_lead"].save(update_fields=["team"])
    _due(report)
    reports.reports_run_due(now=T0)
    assert list(
        Notification.objects.filter(kind="analytics_report").values_list("recipient", flat=True)
    ) == ["admin@example.com"]
    event = report.events.get(kind="sent")
    assert event.detail["left_out"] == [people["inhouse_lead"].pk]


def test_only_the_owner_s_visible_leads_and_admins_may_receive_it(busy):
    people = busy["people"]
    with pytest.raises(reports.ReportError):
        _save(people["inhouse_lead"], recipients=[people["north_lead"]])  # not theirs to see
    with pytest.raises(reports.ReportError):
        _save(people["admin"], recipients=[people["north_agent"]])  # agents read no numbers
    with pytest.raises(reports.ReportError, match="at least one"):
        _save(people["admin"], recipients=[])
    with pytest.raises(reports.Forbidden):
        _save(people["north_agent"], recipients=[people["north_agent"]])


def test_a_webhook_is_an_admins_and_carries_the_owners_numbers(busy, settings):
    settings.WEBHOOK_ALLOWED_PRIVATE_HOSTS = ["127.0.0.1"]
    people = busy["people"]
    url = "http://127.0.0.1:9/reports"
    with pytest.raises(reports.ReportError, match="admins") as refused:
        _save(people["inhouse_lead"], recipients=[people["inhouse_lead"]], webhook_url=url)
    assert refused.value.field == "webhook_url"
    with pytest.raises(reports.ReportError, match="https"):
        _save(people["admin"], recipients=[], webhook_url="http://example.com/hook")
    report = _save(people["admin"], recipients=[], webhook_url=url)
    assert report.webhook_secret.startswith("whsec_")
    _due(report)
    reports.reports_run_due(now=T0)
    hook = Notification.objects.get(kind="analytics_report", channel="webhook")
    assert hook.payload["current"]["created"] == 6
    assert hook.payload["previous"]["created"] == 0
    assert hook.payload["period"] == {
        "start": "2026-02-23T00:00:00+00:00",
        "end": "2026-03-02T00:00:00+00:00",
        "time_zone": "UTC",
    }
    assert hook.payload["table"]["header"][:2] == ["Queue", "Language"]
    endpoint = reports.webhook_endpoint(hook)
    assert endpoint is not None and endpoint.secret == report.webhook_secret
    reports.report_delete(actor=people["admin"], report=report)
    assert reports.webhook_endpoint(hook) is None  # deleted: nothing more goes out


def test_every_change_is_audited_and_the_trail_cannot_be_edited(busy):
    from django.db import DatabaseError, transaction

    people = busy["people"]
    lead = people["inhouse_lead"]
    report = _save(lead, recipients=[lead])
    _save(lead, recipients=[lead], report=report, hour=9, name="Mondays")
    reports.report_pause(actor=lead, report=report)
    reports.report_resume(actor=lead, report=report)
    reports.report_send_test(actor=lead, report=report)
    reports.report_delete(actor=lead, report=report)
    assert _kinds(report) == ["created", "changed", "paused", "resumed", "test_sent", "deleted"]
    changed = report.events.get(kind="changed").detail
    assert changed == {"hour": [7, 9], "name": ["Weekly numbers", "Mondays"]}
    assert not reports.visible_reports(lead).exists()
    with pytest.raises(DatabaseError), transaction.atomic():
        ScheduledReportEvent.objects.filter(report=report).update(detail={})


def test_a_test_goes_to_the_one_who_asked_only(busy):
    people = busy["people"]
    report = _save(people["admin"], recipients=[people["admin"], people["inhouse_lead"]])
    reports.report_send_test(actor=people["admin"], report=report)
    reports.report_send_test(actor=people["admin"], report=report)  # a second test goes too
    sent = Notification.objects.filter(kind="analytics_report")
    assert list(sent.values_list("recipient", flat=True)) == [
        "admin@example.com",
        "admin@example.com",
    ]
    with pytest.raises(reports.Forbidden):
        reports.report_send_test(actor=people["north_lead"], report=report)


# ------------------------------------------------------------------ pages


def test_a_lead_schedules_a_dashboard_from_its_page(busy, client):
    lead = busy["people"]["inhouse_lead"]
    client.force_login(lead)
    dashboard = client.get(reverse("analytics:dashboard"), {"slice": "language:es"})
    assert b'data-testid="schedule-link"' in dashboard.content
    page = client.get(
        reverse("analytics:report_new"),
        {"page": "dashboard", "slice": "language:es", "tz": "Europe/Madrid"},
    )
    assert page.status_code == 200
    body = page.content.decode()
    assert 'value="language:es" selected' in body and 'value="Europe/Madrid"' in body
    response = client.post(
        reverse("analytics:report_new"),
        {
            "name": "Spanish daily",
            "page": "dashboard",
            "slice": "language:es",
            "cadence": "daily",
            "weekday": "0",
            "hour": "8",
            "time_zone": "Europe/Madrid",
            "recipients": [str(lead.pk)],
        },
    )
    assert response.status_code == 302
    report = ScheduledReport.objects.get(name="Spanish daily")
    assert (report.owner, report.slice, report.hour) == (lead, "language:es", 8)
    assert report.next_run_at == datetime(2026, 3, 3, 7, 0, tzinfo=UTC)  # 08:00 in Madrid
    listing = client.get(reverse("analytics:reports")).content.decode()
    assert "Spanish daily" in listing


def test_a_bad_field_is_told_beside_it(busy, client):
    lead = busy["people"]["inhouse_lead"]
    client.force_login(lead)
    response = client.post(
        reverse("analytics:report_new"),
        {
            "name": "",
            "page": "dashboard",
            "cadence": "weekly",
            "weekday": "0",
            "hour": "7",
            "time_zone": "Mars/Olympus",
            "recipients": [str(busy["people"]["north_lead"].pk)],
        },
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="id_time_zone_error"' in body and "Mars/Olympus" in body
    assert 'id="id_name_error"' in body and 'id="id_recipients_error"' in body
    assert not ScheduledReport.objects.exists()


@pytest.mark.parametrize(
    ("name", "method"), [(n, m) for n, methods in REPORT_LISTS.items() for m in methods]
)
def test_agents_have_no_reports(busy, client, name, method):
    client.force_login(busy["people"]["north_agent"])
    assert getattr(client, method)(reverse(name)).status_code == 404


@pytest.mark.parametrize(
    ("name", "method"), [(n, m) for n, methods in REPORT_ROUTES.items() for m in methods]
)
def test_another_lead_s_report_is_404(busy, client, name, method):
    people = busy["people"]
    report = _save(people["inhouse_lead"], recipients=[people["inhouse_lead"]])
    kwargs = {"pk": report.pk} | ({"action": "pause"} if name.endswith("action") else {})
    client.force_login(people["north_lead"])
    assert getattr(client, method)(reverse(name, kwargs=kwargs)).status_code == 404
    client.force_login(people["admin"])  # admins see every report
    assert client.get(reverse("analytics:reports")).content.decode().count("report-row") == 1
    report.refresh_from_db()
    assert report.active


def test_the_actions_pause_resume_and_delete(busy, client):
    lead = busy["people"]["inhouse_lead"]
    report = _save(lead, recipients=[lead])
    client.force_login(lead)
    for action in ("pause", "resume", "test", "delete"):
        response = client.post(reverse("analytics:report_action", args=[report.pk, action]))
        assert response.status_code == 302
    assert _kinds(report) == ["created", "paused", "resumed", "test_sent", "deleted"]
    assert (
        client.post(reverse("analytics:report_action", args=[report.pk, "pause"])).status_code
        == 404
    )
