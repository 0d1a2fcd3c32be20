"""Trust & safety reports in the browser: a report through the help center's form and
one through the in-app API about the same item become one case; the decision's
statement of reasons reaches a Spanish notifier, in Spanish, over SMTP."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage

import httpx
import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import expect

from accounts.models import User
from safety import reports
from safety.models import Case, Report
from safety.taxonomy import ensure_defaults
from tests.e2e.conftest import sign_in
from tests.e2e.test_accessibility import AXE, BLOCKING, RUN_AXE
from tests.e2e.test_exports import demo  # noqa: F401 (a fixture)
from tests.tickets.email.conftest import free_port
from tickets import outbox
from tickets.intake.inapp import app_client_create
from tickets.models import Notification, Queue

AGENT = "northwind.agent@example.com"


class Recorder:
    """The notifier's side: every message the helpdesk sends arrives here."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@pytest.fixture
def reports_desk(demo, settings):  # noqa: F811
    """The taxonomy (the flushed database lost the migration's rows); the Northwind
    agent's team works the reports queue; an in-app client."""
    ensure_defaults()
    Queue.objects.get(slug="safety-reports").teams.add(User.objects.get(email=AGENT).team)
    settings.SAFETY_WEBHOOK_URL = ""
    general = Queue.objects.get(name="General Support")
    settings.HELP_CENTER_QUEUE = general.slug
    _client, key = app_client_create(name="Social app", queue=general)
    return {"key": key}


@pytest.fixture
def smtp(settings):
    """A real SMTP server the helpdesk delivers to."""
    recorder, port = Recorder(), free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield recorder
    controller.stop()


def _accessible(page) -> None:  # type: ignore[no-untyped-def]
    page.evaluate(AXE.read_text())
    assert page.evaluate(RUN_AXE, list(BLOCKING)) == []


def _deliver(kind: str) -> None:
    """What the outbox's worker does with each queued row of this kind."""
    for pk in Notification.objects.filter(kind=kind).values_list("pk", flat=True):
        assert outbox.notification_deliver(pk) == Notification.State.SENT


def test_a_report_through_the_form_and_one_through_the_api_are_one_case(
    page, live_server, reports_desk
):  # fmt: skip
    page.goto("/safety/report/")
    _accessible(page)
    page.get_by_label("What are you reporting?").select_option("post")
    page.get_by_label("Its address (URL)").fill("https://social.example/p/4242/")
    page.get_by_label("Why is it against the rules?").select_option("hate-speech")
    page.get_by_label("Explain why").fill("It calls for violence against a group.")
    page.get_by_label("Your name").fill("Ana Ruiz")
    page.get_by_label("Your email address").fill("ana@example.org")
    page.get_by_label("I confirm that the information").check()
    page.get_by_role("button", name="Send report").click()
    reference = page.get_by_test_id("report-reference")
    expect(reference).to_have_text(Report.objects.get().reference)

    answer = httpx.post(f"{live_server.url}/api/v1/inapp/safety/reports/", json={
        "user_id": "u-1", "item_type": "post", "item_url": "https://SOCIAL.example/p/4242",
        "category": "hate-speech", "explanation": "Same post, reported in the app.",
        "name": "Ben", "email": "ben@example.org", "good_faith": True,
    }, headers={"Authorization": f"AppKey {reports_desk['key']}"}, timeout=30)  # fmt: skip
    assert answer.status_code == 201
    case = Case.objects.get()
    assert answer.json()["case"] == case.reference and case.reports_count == 2

    sign_in(page, AGENT)
    page.goto("/safety/reports/")
    row = page.get_by_test_id("case-row").filter(has_text=case.reference)
    expect(row.get_by_test_id("case-count")).to_have_text("2")
    _accessible(page)
    row.get_by_role("link", name=case.reference).click()
    panel = page.get_by_test_id("safety-case-panel")
    expect(panel.get_by_test_id("safety-report")).to_have_count(2)
    expect(panel).to_contain_text("Same post, reported in the app.")
    _accessible(page)


def test_the_statement_of_reasons_reaches_the_notifier_in_spanish(page, reports_desk, smtp):
    report = reports.report_submit(data=reports.ReportInput(
        channel="web", item_type="post", item_url="https://social.example/p/77",
        category="hate-speech", explanation="Un mensaje de odio.", good_faith=True,
        notifier_name="Lucía", notifier_email="lucia@example.es", notifier_language="es",
    ))  # fmt: skip
    sign_in(page, AGENT)
    page.goto(f"/tickets/{report.case.ticket.reference}/")
    form = page.get_by_test_id("safety-decide")
    form.get_by_label("Decision").select_option("content_removed")
    form.get_by_label("Facts and circumstances").fill("The post calls for violence.")
    form.get_by_label("Found by automated means").check()
    form.get_by_role("button", name="Record the decision").click()
    expect(page.get_by_test_id("safety-decision")).to_contain_text("Content removed")

    _deliver(reports.STATEMENT_KIND)  # the server has the mail once it answered 250
    (mail,) = [m for m in smtp.messages if m["To"] == "lucia@example.es"]
    body = mail.get_body(preferencelist=("plain",)).get_content()
    assert "Nuestra decisión y sus motivos" in mail["Subject"]
    for part in (report.case.reference, "Contenido retirado", "Discurso de odio",
                 "The post calls for violence.", "se detectó por medios automatizados",
                 "Recurso interno", "resolución extrajudicial", "tribunales"):  # fmt: skip
        assert part in body, part
