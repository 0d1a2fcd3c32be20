"""Reports: intake and grouping, receipts, decisions with their statement of reasons
and webhook, appeals to a different reviewer."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError

from safety import report_selectors, reports
from safety.models import Appeal, Case, Decision, Report, SafetyEvent, TicketEventKind
from tests.safety import test_reports_fixtures as fx
from tests.support.webhook_receiver import Receiver
from tickets import outbox
from tickets.models import Attachment, Event, Notification, Status

reporting = fx.reporting  # the fixture
decided = fx.decided
notice = fx.notice
submit = fx.submit

pytestmark = pytest.mark.django_db


# ------------------------------------------------------------------ item keys


@pytest.mark.parametrize(("url", "key"), [
    ("https://Social.Example/p/1/", "url:social.example/p/1"),
    ("http://social.example/p/1#comments", "url:social.example/p/1"),
    ("https://SOCIAL.example/p/1?lang=es", "url:social.example/p/1?lang=es"),
    ("https://social.example/P/1", "url:social.example/P/1"),
])  # fmt: skip
def test_the_item_key_is_the_normalised_url(url, key):
    assert reports.item_key("post", "", url) == key


def test_the_item_key_is_type_and_id_when_there_is_an_id():
    assert reports.item_key("video", " v9 ", "https://x.example/v9") == "video:v9"


# ---------------------------------------------------------------------- intake


def test_a_report_opens_a_case_with_a_ticket_routed_by_its_category(reporting):
    report = submit()
    case = report.case
    ticket = case.ticket
    assert case.state == Case.State.OPEN and case.reports_count == 1
    assert ticket.queue.slug == "safety-reports" and ticket.category == "hate-speech"
    assert ticket.priority == reporting["categories"]["hate-speech"].priority
    assert ticket.subject == "Report: Hate speech — https://social.example/p/123"
    assert ticket.requester.email == "ana@example.org"
    assert report.message == ticket.messages.get()
    assert "It calls for violence" in report.message.body
    assert SafetyEvent.objects.filter(kind="report_received", case_reference=case.reference
                                      ).exists()  # fmt: skip


def test_reports_about_the_same_item_are_grouped_whatever_the_url_spelling(reporting):
    first = submit()
    second = submit(item_url="HTTPS://SOCIAL.example/p/123/#top", notifier_name="Ben",
                    notifier_email="ben@example.org", evidence_links=["https://ev.example/1"],
                    channel=Report.Channel.API)  # fmt: skip
    assert second.case == first.case
    case = Case.objects.get(pk=first.case_id)
    assert case.reports_count == 2
    message = second.message
    assert (
        message.ticket_id == case.ticket_id and message.origin_requester.email == "ben@example.org"
    )
    assert "https://ev.example/1" in message.body
    added = Event.objects.get(ticket=case.ticket, kind=TicketEventKind.REPORT_ADDED)
    assert added.after == {"report": second.reference, "reports": 2}
    assert Case.objects.count() == 1


def test_a_later_report_names_the_account_the_first_could_not(reporting):
    first = submit()
    assert first.case.account_id == ""
    submit(channel=Report.Channel.API, account_id="acct-42", notifier_email="app@example.org")
    submit(channel=Report.Channel.API, account_id="acct-other", notifier_email="b@example.org")
    case = Case.objects.get(pk=first.case_id)
    assert case.account_id == "acct-42" and case.reports_count == 3


def test_a_decided_item_gets_a_new_case(reporting):
    first = submit()
    decided(first.case, reporting["people"]["inhouse_agent"])
    assert submit().case != first.case


def test_a_report_that_loses_the_race_joins_the_case_the_other_opened(reporting, monkeypatch):
    """Two first reports at once: the second's insert hits the one-open-case constraint,
    and it joins the case the first opened."""
    first = submit()
    real = report_selectors.open_case_for_update
    calls = []

    def missed_it(key: str):  # type: ignore[no-untyped-def]
        calls.append(key)
        return None if len(calls) == 1 else real(key)

    monkeypatch.setattr(report_selectors, "open_case_for_update", missed_it)
    second = submit(notifier_email="ben@example.org")
    assert len(calls) == 2 and second.case == first.case
    assert Case.objects.get().reports_count == 2


def test_the_database_refuses_two_open_cases_for_one_item(reporting):
    case = submit().case
    with pytest.raises(IntegrityError):
        Case.objects.create(ticket=submit(item_url="https://x.example/other").case.ticket,
                            item_type="post", item_key=case.item_key,
                            category=case.category)  # fmt: skip


def test_an_anonymous_child_safety_report_goes_to_the_cleared_queue(reporting):
    report = submit(category="child-safety", notifier_name="", notifier_email="")
    ticket = report.case.ticket
    assert ticket.queue.slug == "child-safety"
    assert ticket.requester.email == ""
    assert ticket.requester.external_id == f"anonymous:{report.reference}"
    assert not Notification.objects.filter(kind=reports.RECEIPT_KIND).exists()


def test_an_escalated_cases_mark_follows_it_so_it_cannot_leave_the_cleared_queue(reporting):
    from safety import viewing
    from safety.categories import by_key
    from safety.clearance import ClearanceConflict
    from safety.models import Clearance, TicketMark
    from tickets.services import ticket_move_queue

    agent, admin = reporting["people"]["inhouse_agent"], reporting["people"]["admin"]
    case = submit().case
    viewing.ticket_mark(actor=agent, ticket=case.ticket, category=by_key()["adult-nudity"])
    submit(category="child-safety", notifier_name="", notifier_email="")
    assert TicketMark.objects.get(ticket=case.ticket).category.key == "child-safety"
    Clearance.objects.create(user=admin, granted_by=admin)
    with pytest.raises(ClearanceConflict):
        ticket_move_queue(actor=admin, ticket=case.ticket, queue=reporting["queues"]["inhouse"])


def test_a_child_safety_report_moves_the_items_open_case_to_the_cleared_queue(reporting):
    case = submit().case
    joined = submit(category="child-safety", notifier_name="", notifier_email="")
    assert joined.case == case
    case.refresh_from_db()
    case.ticket.refresh_from_db()
    assert case.category.key == "child-safety" and case.ticket.queue.slug == "child-safety"
    assert case.ticket.category == "child-safety"


def test_child_safety_without_its_queue_is_refused(reporting):
    category = reporting["categories"]["child-safety"]
    category.queue = None
    category.save()
    with pytest.raises(reports.ReportError) as refused:
        submit(category="child-safety")
    assert refused.value.field == "category" and not Case.objects.exists()


@pytest.mark.parametrize(("fields", "field"), [
    ({"item_url": "", "item_id": ""}, "item_url"),
    ({"item_url": "javascript:alert(1)"}, "item_url"),
    ({"item_type": "planet"}, "item_type"),
    ({"category": "nope"}, "category"),
    ({"explanation": "  "}, "explanation"),
    ({"notifier_email": ""}, "notifier_email"),  # hate speech: not anonymous
    ({"notifier_name": ""}, "notifier_name"),
    ({"notifier_email": "not-an-email"}, "notifier_email"),
    ({"evidence_links": ["ftp://x.example/a"]}, "evidence_links"),
    ({"good_faith": False}, "good_faith"),
])  # fmt: skip
def test_bad_input_is_refused_naming_the_field(reporting, fields, field):
    with pytest.raises(reports.ReportError) as refused:
        submit(**fields)
    assert refused.value.field == field
    assert not Case.objects.exists() and not Report.objects.exists()


def test_evidence_files_are_attached_to_the_reports_message(reporting, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage"}}  # fmt: skip
    upload = SimpleUploadedFile("shot.txt", b"evidence", content_type="text/plain")
    report = reports.report_submit(data=notice(), files=[upload])
    assert list(Attachment.objects.filter(message=report.message)
                .values_list("filename", flat=True)) == ["shot.txt"]  # fmt: skip


def test_the_notifier_gets_a_receipt_with_the_reference_in_their_language(reporting):
    report = submit(notifier_language="es-MX")
    mail = Notification.objects.get(kind=reports.RECEIPT_KIND)
    assert mail.recipient == "ana@example.org"
    assert report.reference in mail.subject and report.reference in mail.body
    assert "Hemos recibido tu notificación" in mail.body and "Discurso de odio" in mail.body


# -------------------------------------------------------------------- decisions


def test_a_decision_solves_the_ticket_and_records_it(reporting):
    agent = reporting["people"]["inhouse_agent"]
    case = submit().case
    decision = decided(case, agent)
    case.refresh_from_db()
    assert case.state == Case.State.DECIDED and case.decided_at == decision.decided_at
    assert case.ticket.status == Status.SOLVED
    event = Event.objects.get(ticket=case.ticket, kind=TicketEventKind.CASE_DECIDED)
    assert event.after["outcome"] == "content_removed"
    assert event.after["outcome_label"] == "Content removed"
    assert SafetyEvent.objects.filter(kind="case_decided", actor=agent).exists()
    with pytest.raises(reports.ReportConflict):
        decided(case, agent)


def test_only_people_who_may_work_the_ticket_decide(reporting):
    case = submit().case
    with pytest.raises(reports.ReportNotFound):
        decided(case, reporting["people"]["north_agent"])
    assert not Decision.objects.exists()


def test_bad_decision_input_names_the_field(reporting):
    case = submit().case
    agent = reporting["people"]["inhouse_agent"]
    for fields, field in (({"outcome": "banish"}, "outcome"), ({"facts": " "}, "facts"),
                          ({"ground": "nope"}, "ground")):  # fmt: skip
        with pytest.raises(reports.ReportError) as refused:
            decided(case, agent, **fields)
        assert refused.value.field == field


def test_every_notifier_gets_the_statement_of_reasons_in_their_own_language(reporting):
    first = submit(notifier_language="es")
    submit(notifier_name="Ben", notifier_email="ben@example.org", notifier_language="en")
    decided(first.case, reporting["people"]["inhouse_agent"])
    mails = {m.recipient: m for m in Notification.objects.filter(kind=reports.STATEMENT_KIND)}
    assert set(mails) == {"ana@example.org", "ben@example.org"}
    spanish = mails["ana@example.org"].body
    for part in (first.case.reference, "Contenido retirado", "Discurso de odio",
                 "The post calls for violence against a group.",
                 "el contenido se detectó por medios automatizados",
                 "La decisión la tomó una persona", "Recurso interno",
                 "resolución extrajudicial de litigios", "tribunales"):  # fmt: skip
        assert part in spanish, part
    english = mails["ben@example.org"].body
    assert "Content removed" in english and "Hate speech" in english
    assert "out-of-court dispute settlement body" in english and "go to court" in english


def test_the_decision_webhook_is_signed_and_names_the_account(reporting, settings):
    settings.WEBHOOK_ALLOWED_PRIVATE_HOSTS = ["127.0.0.1"]
    with Receiver(secret="safety-s3cret") as receiver:
        settings.SAFETY_WEBHOOK_URL = receiver.url
        settings.SAFETY_WEBHOOK_SECRET = "safety-s3cret"
        case = submit(account_id="acct-42").case
        decision = decided(case, reporting["people"]["inhouse_agent"],
                           automated_decision=False)  # fmt: skip
        hook = Notification.objects.get(kind=reports.WEBHOOK_KIND)
        assert outbox.notification_deliver(hook.pk) == Notification.State.SENT
    assert receiver.rejected == 0 and len(receiver.acted) == 1
    assert receiver.headers[0]["X-Helpdesk-Event"] == "safety.decision"
    payload = json.loads(next(iter(receiver.acted.values())))
    assert payload["case"] == case.reference and payload["account_id"] == "acct-42"
    assert payload["outcome"] == "content_removed" and payload["ground"] == "hate-speech"
    assert payload["automated_detection"] is True and payload["automated_decision"] is False
    assert payload["decided_at"] == decision.decided_at.isoformat()
    assert payload["item"] == {"type": "post", "id": "", "url": "https://social.example/p/123"}
    assert payload["appeal_url"].endswith("/api/v1/inapp/safety/appeals/")


# ---------------------------------------------------------------------- appeals


def _appealed(reporting, **fields):  # type: ignore[no-untyped-def]
    agent = reporting["people"]["inhouse_agent"]
    case = submit(account_id="acct-42", **fields).case
    decided(case, agent)
    appeal = reports.appeal_submit(case_reference=case.reference, account_id="acct-42",
                                   explanation="It was satire.", email="owner@example.org",
                                   language="es")  # fmt: skip
    return case, appeal


def test_an_appeal_goes_to_a_different_reviewer_and_reopens_the_ticket(reporting):
    case, appeal = _appealed(reporting)
    decider = reporting["people"]["inhouse_agent"]
    assert appeal.reviewer is not None and appeal.reviewer != decider
    case.refresh_from_db()
    ticket = case.ticket
    ticket.refresh_from_db()
    assert case.state == Case.State.APPEALED
    assert ticket.status == Status.OPEN and ticket.assignee == appeal.reviewer
    assert Event.objects.filter(ticket=ticket, kind=TicketEventKind.APPEAL_RECEIVED).exists()


def test_appeals_go_to_the_reviewer_with_fewest_open_appeals(reporting):
    _case, first = _appealed(reporting)
    _case, second = _appealed(reporting, item_url="https://social.example/p/999")
    assert first.reviewer != second.reviewer
    assert reporting["people"]["inhouse_agent"] not in (first.reviewer, second.reviewer)


def test_an_appeal_for_another_account_or_case_is_not_found(reporting):
    case = submit(account_id="acct-42").case
    decided(case, reporting["people"]["inhouse_agent"])
    for reference, account in ((case.reference, "acct-7"), ("CASE-NOPE", "acct-42")):
        with pytest.raises(reports.ReportNotFound):
            reports.appeal_submit(case_reference=reference, account_id=account,
                                  explanation="x")  # fmt: skip
    assert not Appeal.objects.exists()


def test_the_decider_may_not_decide_the_appeal(reporting):
    _case, appeal = _appealed(reporting)
    with pytest.raises(reports.ReportForbidden):
        reports.appeal_decide(actor=reporting["people"]["inhouse_agent"], appeal=appeal,
                              upheld=True, facts="Still hateful.")  # fmt: skip
    appeal.refresh_from_db()
    assert appeal.state == Appeal.State.OPEN


def test_a_reversed_appeal_sends_a_new_statement_and_webhook(reporting, settings):
    settings.SAFETY_WEBHOOK_URL = "https://hooks.example.com/safety"
    case, appeal = _appealed(reporting)
    before = Notification.objects.filter(kind=reports.STATEMENT_KIND).count()
    decision = reports.appeal_decide(actor=appeal.reviewer, appeal=appeal, upheld=False,
                                     outcome="no_action", facts="Satire, 2nd look.")  # fmt: skip
    case.refresh_from_db()
    assert decision.appeal == appeal and case.state == Case.State.DECIDED
    assert Event.objects.get(ticket=case.ticket, kind=TicketEventKind.APPEAL_DECIDED
                             ).after["outcome"] == "no_action"  # fmt: skip
    statements = Notification.objects.filter(kind=reports.STATEMENT_KIND).order_by("id")
    assert statements.count() == before + 2  # the notifier and the appellant
    appellant = statements.get(recipient="owner@example.org", body__contains="Ninguna medida")
    assert "en recurso" in appellant.body
    hooks = Notification.objects.filter(kind=reports.WEBHOOK_KIND).order_by("id")
    assert [hook.payload["outcome"] for hook in hooks] == ["content_removed", "no_action"]
    assert hooks.last().payload["appeal"] == appeal.reference


def test_an_upheld_appeal_tells_the_appellant_only(reporting, settings):
    settings.SAFETY_WEBHOOK_URL = "https://hooks.example.com/safety"
    _case, appeal = _appealed(reporting)
    before = Notification.objects.count()
    reports.appeal_decide(actor=appeal.reviewer, appeal=appeal, upheld=True,
                          facts="The post is hateful.")  # fmt: skip
    new = Notification.objects.order_by("id")[before:]
    assert [(n.kind, n.recipient) for n in new] == [(reports.STATEMENT_KIND, "owner@example.org")]
