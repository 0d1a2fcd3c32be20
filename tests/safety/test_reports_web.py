"""Report pages and the in-app API: the public form, the agents' list and new-report
form, the case panel and its forms, query counts, and the API's answers."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from safety import reports
from safety.models import Appeal, Case, Report
from tests.safety import test_reports_fixtures as fx
from tickets.models import Notification

reporting = fx.reporting  # the fixture
decided = fx.decided
submit = fx.submit

pytestmark = pytest.mark.django_db

FORM = {
    "item_type": "post", "item_url": "https://social.example/p/123", "item_id": "",
    "category": "hate-speech", "explanation": "It calls for violence against a group.",
    "evidence_links": "https://ev.example/1\nhttps://ev.example/2", "notifier_name": "Ana",
    "notifier_email": "ana@example.org", "good_faith": "on",
}  # fmt: skip


# ------------------------------------------------------------------- public form


def test_the_public_form_takes_a_report_and_shows_its_reference(reporting, client):
    page = client.get(reverse("safety:report_public"))
    assert page.status_code == 200 and 'name="good_faith"' in page.content.decode()
    response = client.post(reverse("safety:report_public"), FORM, follow=True)
    report = Report.objects.get()
    assert report.channel == Report.Channel.WEB
    assert report.evidence_links == ["https://ev.example/1", "https://ev.example/2"]
    assert report.reference in response.content.decode()


def test_the_public_form_shows_a_refusal_next_to_its_field(reporting, client):
    response = client.post(reverse("safety:report_public"), {**FORM, "good_faith": ""})
    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="id_good_faith_error"' in body and "good faith" in body
    response = client.post(reverse("safety:report_public"), {**FORM, "notifier_email": ""})
    assert 'id="id_notifier_email_error"' in response.content.decode()
    assert not Report.objects.exists()


def test_the_public_form_says_which_reports_may_be_anonymous(reporting, client):
    body = client.get(reverse("safety:report_public")).content.decode()
    assert "Required, unless the reason is one of: Child safety" in body


def test_an_anonymous_report_shows_its_reference(reporting, client):
    response = client.post(reverse("safety:report_public"), {
        **FORM, "category": "child-safety", "notifier_name": "", "notifier_email": ""},
        follow=True)  # fmt: skip
    report = Report.objects.get()
    assert report.notifier_email == "" and report.reference in response.content.decode()


def test_the_public_form_is_rate_limited(reporting, client, settings):
    settings.HELP_CENTER_RATE = "1/m"
    client.post(reverse("safety:report_public"), FORM)
    second = client.post(reverse("safety:report_public"),
                         {**FORM, "item_url": "https://social.example/p/2"})  # fmt: skip
    assert second.status_code == 429 and Report.objects.count() == 1


def test_a_forged_sent_token_is_404(client):
    assert client.get(reverse("safety:report_sent", args=["forged"])).status_code == 404


# ------------------------------------------------------------------- agents


# ------------------------------------------------------------ notifier's appeal


def _appeal_link(mail: Notification) -> str:
    found = re.search(r"https?://\S+/safety/appeal/[^/\s]+/", mail.body)
    assert found, mail.body
    return urlsplit(found.group(0)).path


def test_a_notifier_appeals_through_the_link_in_their_statement(reporting, client):
    report = submit(notifier_language="es")
    decider = reporting["people"]["inhouse_agent"]
    decided(report.case, decider)
    mail = Notification.objects.get(kind=reports.STATEMENT_KIND)
    link = _appeal_link(mail)
    page = client.get(link)
    body = page.content.decode()
    assert page.status_code == 200 and "Recurrir una decisión" in body, body
    assert report.case.reference in body and "Discurso de odio" in body
    assert client.post(link, {"explanation": ""}).status_code == 400
    sent = client.post(link, {"explanation": "No llamaba a la violencia."})
    assert sent.status_code == 200 and 'data-testid="appeal-sent"' in sent.content.decode()
    appeal = Appeal.objects.get()
    assert appeal.email == "ana@example.org" and appeal.language == "es"
    assert appeal.reviewer is not None and appeal.reviewer != decider
    again = client.post(link, {"explanation": "Otra vez."})
    assert again.status_code == 409 and Appeal.objects.count() == 1


def test_a_notifiers_link_is_404_when_forged_and_409_once_the_decision_is_reviewed(
    reporting, client
):
    report = submit()
    agent = reporting["people"]["inhouse_agent"]
    decided(report.case, agent)
    link = _appeal_link(Notification.objects.get(kind=reports.STATEMENT_KIND))
    forged = link[:-2] + ("A" if link[-2] != "A" else "B") + "/"  # one character changed
    assert client.get(forged).status_code == 404
    assert client.post(forged, {"explanation": "x"}).status_code == 404
    client.post(link, {"explanation": "It was news reporting."})
    appeal = Appeal.objects.get()
    reports.appeal_decide(actor=appeal.reviewer, appeal=appeal, upheld=False,
                          outcome="no_action", facts="News reporting is allowed.")  # fmt: skip
    stale = client.post(link, {"explanation": "Again."})
    assert stale.status_code == 409 and Appeal.objects.count() == 1


def test_after_an_upheld_appeal_the_other_notifiers_links_still_work_once(reporting, client):
    report = submit()
    submit(notifier_name="Ben", notifier_email="ben@example.org", notifier_language="en")
    decided(report.case, reporting["people"]["inhouse_agent"])
    links = {m.recipient: _appeal_link(m)
             for m in Notification.objects.filter(kind=reports.STATEMENT_KIND)}  # fmt: skip
    client.post(links["ana@example.org"], {"explanation": "It was satire."})
    first = Appeal.objects.get()
    reports.appeal_decide(actor=first.reviewer, appeal=first, upheld=True,
                          facts="Still a call to violence.")  # fmt: skip
    ben = client.post(links["ben@example.org"], {"explanation": "It should stay down longer."})
    assert ben.status_code == 200 and Appeal.objects.count() == 2
    second = Appeal.objects.exclude(pk=first.pk).get()
    reports.appeal_decide(actor=second.reviewer, appeal=second, upheld=True, facts="Stands.")
    again = client.post(links["ana@example.org"], {"explanation": "Once more."})
    assert again.status_code == 409 and Appeal.objects.count() == 2


def test_an_agent_enters_a_report(reporting, client):
    agent = reporting["people"]["inhouse_agent"]
    client.force_login(agent)
    response = client.post(reverse("safety:report_new"), {
        **FORM, "account_id": "acct-1", "notifier_language": "es"})  # fmt: skip
    assert response.status_code == 302
    report = Report.objects.get()
    assert report.channel == Report.Channel.AGENT and report.entered_by == agent
    assert report.case.account_id == "acct-1" and report.notifier_language == "es"


def test_the_list_shows_only_cases_the_agent_may_see(reporting, client):
    mine = submit().case
    other = submit(item_url="https://social.example/p/9").case
    other.ticket.queue = reporting["queues"]["north"]
    other.ticket.save(update_fields=["queue"])
    client.force_login(reporting["people"]["inhouse_agent"])
    body = client.get(reverse("safety:reports")).content.decode()
    assert mine.reference in body and other.reference not in body
    client.force_login(reporting["people"]["atlas_agent"])
    body = client.get(reverse("safety:reports")).content.decode()
    assert mine.reference not in body and other.reference not in body


def test_the_list_filters_and_pages_with_a_bounded_number_of_queries(
    reporting, client, django_assert_max_num_queries
):  # fmt: skip
    for n in range(30):
        submit(item_url=f"https://social.example/p/{n}")
    decided(Case.objects.order_by("id").first(), reporting["people"]["inhouse_agent"])
    client.force_login(reporting["people"]["inhouse_agent"])
    with django_assert_max_num_queries(8):
        first = client.get(reverse("safety:reports"))
    page = first.context["page"]
    assert len(page.cases) == 25 and page.next_cursor
    second = client.get(reverse("safety:reports"), {"cursor": page.next_cursor})
    rest = second.context["page"].cases
    assert len(rest) == 5 and not {c.pk for c in rest} & {c.pk for c in page.cases}
    decided_only = client.get(reverse("safety:reports"), {"state": "decided"})
    assert [c.state for c in decided_only.context["page"].cases] == ["decided"]


# ------------------------------------------------------------- the case panel


def _ticket_page_queries(client, reference: str) -> int:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("tickets:detail", args=[reference])).status_code == 200
    return len(queries)


def test_the_case_panel_costs_nothing_without_a_case_and_a_fixed_few_with_one(
    reporting, client
):  # fmt: skip
    from tests.tickets import factories as tf

    client.force_login(reporting["people"]["inhouse_agent"])
    plain = tf.ticket(reporting["queues"]["inhouse"])
    case = submit().case
    for n in range(3):
        submit(notifier_email=f"n{n}@example.org", notifier_name=f"N{n}")
    _ticket_page_queries(client, plain.reference)  # warm the per-process caches
    without = _ticket_page_queries(client, plain.reference)
    panel = client.get(reverse("tickets:detail", args=[plain.reference]))
    assert 'data-testid="safety-case-panel"' not in panel.content.decode()
    body = client.get(reverse("tickets:detail", args=[case.ticket.reference])).content.decode()
    few = _ticket_page_queries(client, case.ticket.reference)
    assert (
        'data-testid="safety-case-panel"' in body and body.count('data-testid="safety-report"') == 4
    )
    for n in range(4):
        submit(notifier_email=f"m{n}@example.org", notifier_name=f"M{n}")
    assert _ticket_page_queries(client, case.ticket.reference) == few
    assert few <= without + 6


def test_deciding_from_the_panel(reporting, client):
    case = submit().case
    client.force_login(reporting["people"]["inhouse_agent"])
    url = reverse("safety:case_decide", args=[case.ticket.reference])
    bad = client.post(url, {"outcome": "content_removed", "ground": "hate-speech", "facts": ""})
    assert bad.status_code == 400 and 'id="id_facts_error"' in bad.content.decode()
    response = client.post(url, {"outcome": "content_removed", "ground": "hate-speech",
                                 "facts": "Hateful."})  # fmt: skip
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == Case.State.DECIDED
    again = client.post(url, {"outcome": "no_action", "ground": "hate-speech", "facts": "x"})
    assert again.status_code == 409


def test_the_decider_is_refused_the_appeal_on_the_page(reporting, client):
    agent = reporting["people"]["inhouse_agent"]
    case = submit(account_id="acct-1").case
    decided(case, agent)
    client.force_login(agent)
    entered = client.post(reverse("safety:appeal_new", args=[case.ticket.reference]),
                          {"account_id": "acct-1", "explanation": "Satire."})  # fmt: skip
    assert entered.status_code == 302
    appeal = Appeal.objects.get()
    assert appeal.reviewer != agent
    url = reverse("safety:appeal_decide", args=[case.ticket.reference])
    refused = client.post(url, {"result": "upheld", "facts": "Still hateful."})
    assert refused.status_code == 403 and "someone else" in refused.content.decode()
    client.force_login(appeal.reviewer)
    assert client.post(url, {"result": "upheld", "facts": "Still hateful."}).status_code == 302


def test_a_child_safety_case_is_404_for_the_uncleared(reporting, client):
    case = submit(category="child-safety", notifier_name="", notifier_email="").case
    client.force_login(reporting["people"]["inhouse_agent"])
    for name in ("safety:case_decide", "safety:appeal_new"):
        assert client.get(reverse(name, args=[case.ticket.reference])).status_code == 404
    assert case.reference not in client.get(reverse("safety:reports")).content.decode()


# ----------------------------------------------------------------------- the API


def _api(client, name: str, payload: dict, key: str | None):  # type: ignore[no-untyped-def]
    headers = {"HTTP_AUTHORIZATION": f"AppKey {key}"} if key else {}
    return client.post(reverse(name), payload, content_type="application/json", **headers)


API_REPORT = {
    "user_id": "u-77", "item_type": "video", "item_id": "v-9", "account_id": "acct-9",
    "category": "hate-speech", "explanation": "Hateful video.", "name": "Ana",
    "email": "ana@example.org", "language": "es", "good_faith": True,
    "evidence_links": ["https://ev.example/1"],
}  # fmt: skip


def test_the_api_needs_the_apps_key(reporting, client):
    assert _api(client, "api-safety-reports", API_REPORT, None).status_code == 401
    assert _api(client, "api-safety-reports", API_REPORT, "hdk_wrong").status_code == 401
    assert not Report.objects.exists()


def test_the_api_takes_a_report_and_groups_a_second(reporting, client):
    key = reporting["app_key"]
    first = _api(client, "api-safety-reports", API_REPORT, key)
    assert first.status_code == 201
    second = _api(client, "api-safety-reports", {**API_REPORT, "user_id": "u-78",
                                                 "email": "ben@example.org"}, key)  # fmt: skip
    assert second.status_code == 201 and second.json()["case"] == first.json()["case"]
    report = Report.objects.get(reference=first.json()["reference"])
    assert report.channel == Report.Channel.API and report.notifier_user_id == "u-77"
    assert report.case.reports_count == 2 and report.case.item_key == "video:v-9"


def test_the_api_takes_evidence_files_as_multipart(reporting, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tickets.models import Attachment

    headers = {"HTTP_AUTHORIZATION": f"AppKey {reporting['app_key']}"}
    files = [SimpleUploadedFile("shot.txt", b"evidence one", content_type="text/plain"),
             SimpleUploadedFile("log.txt", b"evidence two", content_type="text/plain")]  # fmt: skip
    links = ["https://ev.example/1", "https://ev.example/2"]
    form = {**API_REPORT, "good_faith": "true", "evidence_links": links, "files": files}
    response = client.post(reverse("api-safety-reports"), form, **headers)
    assert response.status_code == 201, response.content
    report = Report.objects.get(reference=response.json()["reference"])
    assert report.evidence_links == ["https://ev.example/1", "https://ev.example/2"]
    attached = Attachment.objects.filter(message=report.message)
    names = set(attached.values_list("filename", flat=True))
    assert names == {"shot.txt", "log.txt"}
    too_many = {**form, "files": [SimpleUploadedFile(f"f{n}.txt", b"x", content_type="text/plain")
                                  for n in range(11)]}  # fmt: skip
    refused = client.post(reverse("api-safety-reports"), too_many, **headers)
    assert refused.status_code == 400 and "files" in refused.json()
    assert Report.objects.count() == 1


@pytest.mark.parametrize(("change", "field"), [
    ({"category": "nope"}, "category"),
    ({"good_faith": False}, "good_faith"),
    ({"item_id": "", "item_url": ""}, "item_url"),
    ({"item_type": "planet"}, "item_type"),
    ({"evidence_links": ["not a url"]}, "evidence_links"),
])  # fmt: skip
def test_bad_api_input_is_a_400_naming_the_field(reporting, client, change, field):
    response = _api(client, "api-safety-reports", {**API_REPORT, **change}, reporting["app_key"])
    assert response.status_code == 400 and field in response.json()
    assert not Report.objects.exists()


def test_an_appeal_through_the_api(reporting, client):
    key = reporting["app_key"]
    case = submit(account_id="acct-9").case
    decided(case, reporting["people"]["inhouse_agent"])
    payload = {"case": case.reference, "account_id": "acct-9", "explanation": "Satire."}
    assert _api(client, "api-safety-appeals", {**payload, "account_id": "acct-1"},
                key).status_code == 404  # fmt: skip
    assert _api(client, "api-safety-appeals", {**payload, "explanation": ""},
                key).status_code == 400  # fmt: skip
    response = _api(client, "api-safety-appeals", payload, key)
    assert response.status_code == 201
    assert Appeal.objects.get().reference == response.json()["reference"]
    assert _api(client, "api-safety-appeals", payload, key).status_code == 409
    assert Notification.objects.filter(kind=reports.RECEIPT_KIND).exists()
