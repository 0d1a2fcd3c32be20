"""The SOP pages through the test client: editing, stale edits, preview, review and
publishing, acknowledging, the checklist on a ticket, import and export."""

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile

from sops.models import SOP, SOPVersion
from tests.sops import factories as sf
from tests.tickets import factories as tf
from tickets.models import Event

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def admin_client(org, client):
    client.force_login(org["people"]["admin"])
    return client


def _edit_data(version: SOPVersion, **changes) -> dict:  # type: ignore[no-untyped-def]
    data = {"revision": version.revision, "body": version.body, "steps": "Check\nAct",
            "change_summary": "", "effective_on": "", "requires_acknowledgement": "on"}  # fmt: skip
    return {**data, **changes}


def test_an_admin_creates_an_sop_and_lands_in_its_editor(admin_client, desk):
    response = admin_client.post("/sops/new/", {
        "title": "Refunds", "summary": "Double charges", "queues": [desk["queues"]["north"].pk],
        "categories": "Billing, refunds", "languages": "en, es",
        "vendors": [desk["vendors"]["north"].pk],
    })  # fmt: skip
    assert response.status_code == 302 and response["Location"] == "/sops/refunds/edit/"
    sop = SOP.objects.get(slug="refunds")
    assert sop.categories == ["billing", "refunds"] and sop.languages == ["en", "es"]
    assert sop.versions.get().state == SOPVersion.State.DRAFT


def test_a_bad_field_is_shown_next_to_the_field(admin_client):
    response = admin_client.post("/sops/new/", {"title": "", "languages": "en, klingon"})
    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="id_title_error"' in body and 'id="id_languages_error"' in body
    assert "klingon" in body


def test_saving_a_draft_then_a_stale_save_is_refused_with_the_text_kept(admin_client, org):
    version = sf.draft(org["people"]["admin"], title="Refunds", body="Start")
    stale = _edit_data(version, body="My careful rewrite")
    ok = admin_client.post("/sops/refunds/edit/", _edit_data(version, body="Someone else's"))
    assert ok.status_code == 302
    response = admin_client.post("/sops/refunds/edit/", stale)
    assert response.status_code == 409
    body = response.content.decode()
    assert "Someone else saved this draft" in body and "My careful rewrite" in body
    version.refresh_from_db()
    assert version.body == "Someone else's"


def test_the_live_preview_renders_sanitised_markdown(admin_client):
    markdown = "## Title\n\n[x](javascript:alert(1)) <script>alert(2)</script>"
    response = admin_client.post("/sops/preview/", {"body": markdown}, **HTMX)
    body = response.content.decode()
    assert "<h2>Title</h2>" in body and "<script>" not in body and 'href="javascript' not in body


def test_review_and_publish_through_the_pages(admin_client, org, client):
    lead = org["people"]["inhouse_lead"]
    version = sf.draft(lead, title="Refunds")
    client.force_login(lead)
    client.post("/sops/refunds/submit/", {"version": 1})
    version.refresh_from_db()
    assert version.state == SOPVersion.State.IN_REVIEW
    # A lead cannot publish: the page says why and nothing changes.
    response = client.post("/sops/refunds/publish/", {"version": 1}, follow=True)
    assert "Only admins publish SOPs." in response.content.decode()
    client.force_login(org["people"]["admin"])
    response = client.post("/sops/refunds/publish/", {"version": 1})
    assert response["Location"] == "/sops/refunds/"
    version.refresh_from_db()
    assert version.state == SOPVersion.State.PUBLISHED


def test_an_action_on_a_version_that_moved_on_is_refused(admin_client, org):
    version = sf.draft(org["people"]["admin"], title="Refunds")
    response = admin_client.post("/sops/refunds/submit/", {"version": 7}, follow=True)
    assert "moved on" in response.content.decode()
    version.refresh_from_db()
    assert version.state == SOPVersion.State.DRAFT


def test_the_diff_page_shows_both_versions_side_by_side(admin_client, org):
    admin = org["people"]["admin"]
    sop = sf.published(admin, title="Refunds", body="Keep\nOld line", steps=("Find",))
    sf.new_version(admin, sop, body="Keep\nNew <b>line</b>", steps=("Find", "Refund"))
    body = admin_client.get("/sops/refunds/diff/?from=1&to=2").content.decode()
    assert '<tr class="diff-replace"' in body and "<del>Old line</del>" in body
    assert "<ins>New &lt;b&gt;line&lt;/b&gt;</ins>" in body  # escaped, never rendered
    assert '<tr class="diff-insert"' in body and "<ins>Refund</ins>" in body


def test_an_agent_sees_the_banner_until_they_acknowledge(desk, client):
    cache.clear()
    sop = sf.published(desk["people"]["admin"], title="Refunds", vendors=[desk["vendors"]["north"]])
    client.force_login(desk["people"]["north_agent"])
    assert 'data-testid="sop-banner"' in client.get("/tickets/").content.decode()
    response = client.post("/sops/refunds/acknowledge/", {"version": 1}, **HTMX)
    assert 'data-testid="sop-acknowledged"' in response.content.decode()
    assert sop.current_version.acknowledgements.get().user == desk["people"]["north_agent"]
    assert 'data-testid="sop-banner"' not in client.get("/tickets/").content.decode()


def test_acknowledging_an_outdated_version_is_refused(desk, client):
    admin = desk["people"]["admin"]
    sop = sf.published(admin, title="Refunds")
    sf.new_version(admin, sop, body="v2")
    client.force_login(desk["people"]["inhouse_agent"])
    response = client.post("/sops/refunds/acknowledge/", {"version": 1}, follow=True)
    assert "A newer version was published" in response.content.decode()
    assert not SOPVersion.objects.get(sop=sop, number=2).acknowledgements.exists()


def test_ticking_a_step_on_the_ticket_page_updates_the_panel_and_the_timeline(desk, client):
    admin, agent = desk["people"]["admin"], desk["people"]["inhouse_agent"]
    sop = sf.published(admin, title="Refunds", steps=("Find the charge", "Refund it"))
    ticket = tf.ticket(desk["queues"]["inhouse"])
    step = sop.current_version.steps.get(position=1)
    client.force_login(agent)
    assert "Find the charge" in client.get(f"/tickets/{ticket.reference}/").content.decode()
    response = client.post(f"/sops/ticket/{ticket.reference}/checklist/",
                           {"step": step.pk, "done": "on"}, **HTMX)  # fmt: skip
    assert response.status_code == 200
    assert f'id="sop-step-{step.pk}" checked' in response.content.decode()
    timeline = client.get(f"/tickets/{ticket.reference}/timeline/").content.decode()
    assert "sop_step_done" in timeline and "Find the charge" in timeline
    assert Event.objects.filter(ticket=ticket, kind="sop_step_done", actor=agent).exists()


def test_a_step_of_an_sop_that_does_not_apply_to_the_ticket_is_404(desk, client):
    admin = desk["people"]["admin"]
    elsewhere = sf.published(admin, title="Other queue", queues=[desk["queues"]["north"]])
    ticket = tf.ticket(desk["queues"]["inhouse"])
    client.force_login(desk["people"]["inhouse_agent"])
    step = elsewhere.current_version.steps.first()
    response = client.post(f"/sops/ticket/{ticket.reference}/checklist/",
                           {"step": step.pk, "done": "on"})  # fmt: skip
    assert response.status_code == 404


def test_export_downloads_markdown_and_a_bad_import_says_why_next_to_the_field(
    admin_client, org
):  # fmt: skip
    sf.published(org["people"]["admin"], title="Refunds", body="Do it.")
    response = admin_client.get("/sops/refunds/export/")
    assert response["Content-Type"].startswith("text/markdown")
    assert response["Content-Disposition"] == 'attachment; filename="refunds-v1.md"'
    assert b"title: Refunds" in response.content

    bad = SimpleUploadedFile("sop.md", b"---\nsummary: no title\n---\nx", "text/markdown")
    response = admin_client.post("/sops/import/", {"file": bad})
    assert response.status_code == 400
    assert "needs a title" in response.content.decode()


def test_the_library_makes_a_fixed_number_of_queries(desk, client, django_assert_max_num_queries):
    admin = desk["people"]["admin"]
    for n in range(30):
        sf.published(admin, title=f"Procedure {n:02d}", categories=["c"], tags=[f"t{n}"])
    client.force_login(desk["people"]["inhouse_agent"])
    client.get("/sops/")  # warms the banner's cache
    # Session, user, queues, choices, the page of SOPs.
    with django_assert_max_num_queries(6):
        response = client.get("/sops/")
    assert response.content.decode().count('data-testid="sop-row"') == 25


def test_the_coverage_page_is_for_leads_and_admins(desk, client):
    sf.published(desk["people"]["admin"], title="Refunds")
    client.force_login(desk["people"]["inhouse_agent"])
    assert client.get("/sops/refunds/coverage/").status_code == 404
    client.force_login(desk["people"]["inhouse_lead"])
    body = client.get("/sops/refunds/coverage/").content.decode()
    assert "0 of 2 people have acknowledged it" in body
