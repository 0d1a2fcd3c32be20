"""The SOP editor's choice lists (queues, vendors, owner, linked macros) come from the same
scoping functions as the pages: offered and accepted alike. An id that is not offered is
a field error, never a 500 or a silent accept."""

import re

import pytest

from sops import selectors
from sops.models import SOP, SOPVersion
from tests.sops import factories as sf
from tests.tickets import factories as tf

pytestmark = pytest.mark.django_db


def _labels(body: str, name: str) -> set[str]:
    """The labels of a select's options, or of a checkbox group's choices."""
    start = body.index(f'name="{name}"')
    if "<select" in body[max(0, start - 200) : start]:
        chunk = body[start : body.index("</select>", start)]
        return set(re.findall(r">([^<]+)</option>", chunk))
    return set(re.findall(rf'name="{name}" value="\d+"[^>]*>\s*<label[^>]*>([^<]+)</label>',
                          body))  # fmt: skip


def _edit_data(version: SOPVersion, **changes) -> dict:  # type: ignore[no-untyped-def]
    data = {"revision": version.revision, "body": version.body, "steps": "Check\nAct",
            "change_summary": "", "effective_on": "", "requires_acknowledgement": "on"}  # fmt: skip
    return {**data, **changes}


@pytest.mark.parametrize(("key", "queues", "vendors"), [
    ("admin", {"T&amp;S", "Northwind", "Northwind Tier 2", "Atlas"}, {"Northwind", "Atlas"}),
    ("north_lead", {"Northwind", "Northwind Tier 2"}, {"Northwind"}),
    ("atlas_lead", {"Atlas"}, {"Atlas"}),
    ("inhouse_lead", {"T&amp;S"}, {"Northwind", "Atlas"}),
])  # fmt: skip
def test_the_new_sop_form_offers_only_queues_and_vendors_the_editor_may_see(
    desk, client, key, queues, vendors
):  # fmt: skip
    client.force_login(desk["people"][key])
    body = client.get("/sops/new/").content.decode()
    # Among the desk's queues: migrations add others (safety's report queues, child
    # safety's hidden from anyone not cleared, admins included; chat's Live chat).
    assert _labels(body, "queues") - {"Trust &amp; safety reports", "Live chat"} == queues
    assert _labels(body, "vendors") == vendors


@pytest.mark.parametrize("field", ["queues", "vendors"])
def test_a_queue_or_vendor_not_offered_is_a_field_error_and_creates_nothing(
    desk, client, field
):  # fmt: skip
    client.force_login(desk["people"]["north_lead"])
    forged = {"queues": desk["queues"]["atlas"].pk, "vendors": desk["vendors"]["atlas"].pk}
    response = client.post("/sops/new/", {"title": "Refunds", field: [forged[field]]})
    assert response.status_code == 400
    body = response.content.decode()
    assert "is not one of the available choices" in body and "invalid-feedback" in body
    assert not SOP.objects.exists()


def test_the_settings_owner_list_is_the_leads_and_admins_the_person_may_see(desk, client):
    admin = desk["people"]["admin"]
    sop = sf.published(admin, title="Refunds")
    client.force_login(admin)
    body = client.get(f"/sops/{sop.slug}/settings/").content.decode()
    offered = _labels(body, "owner")
    leads = {p.get_full_name() for p in desk["people"].values() if p.role in ("lead", "admin")}
    assert leads <= offered
    assert desk["people"]["north_agent"].get_full_name() not in offered
    forged = desk["people"]["north_agent"].pk
    response = client.post(f"/sops/{sop.slug}/settings/", {"title": "Refunds", "owner": forged})
    assert response.status_code == 400 and 'id="id_owner_error"' in response.content.decode()


@pytest.fixture
def shared_draft(desk):
    """An SOP shared with Northwind with a draft; English macros for every queue, for a
    Northwind queue, and for Atlas's queue only."""
    admin = desk["people"]["admin"]
    everywhere = tf.macro(name="Greeting")
    northwind = tf.macro(name="Northwind refund")
    northwind.queues.set([desk["queues"]["north"]])
    atlas = tf.macro(name="Atlas refund")
    atlas.queues.set([desk["queues"]["atlas"]])
    version = sf.draft(admin, title="Refunds", vendors=[desk["vendors"]["north"]])
    return {
        **desk,
        "version": version,
        "sop": version.sop,
        "macros": {"everywhere": everywhere, "northwind": northwind, "atlas": atlas},
    }


def test_editable_macros_are_those_for_queues_the_editor_may_see(shared_draft):
    people, macros = shared_draft["people"], shared_draft["macros"]
    assert set(selectors.editable_macros(people["north_lead"])) == {
        macros["everywhere"], macros["northwind"]}  # fmt: skip
    assert set(selectors.editable_macros(people["atlas_lead"])) == {
        macros["everywhere"], macros["atlas"]}  # fmt: skip
    assert set(selectors.editable_macros(people["admin"])) == set(macros.values())


def test_the_draft_editor_offers_only_macros_for_queues_the_editor_may_see(shared_draft, client):
    client.force_login(shared_draft["people"]["north_lead"])
    body = client.get(f"/sops/{shared_draft['sop'].slug}/edit/").content.decode()
    assert _labels(body, "macros") == {"Greeting (en)", "Northwind refund (en)"}


def test_a_macro_not_offered_is_a_field_error_and_saves_nothing(shared_draft, client):
    version, macros = shared_draft["version"], shared_draft["macros"]
    client.force_login(shared_draft["people"]["north_lead"])
    for forged in (macros["atlas"].pk, 999999, "x"):
        response = client.post(f"/sops/{shared_draft['sop'].slug}/edit/",
                               _edit_data(version, body="Changed", macros=[forged]))  # fmt: skip
        assert response.status_code == 400, forged
        assert 'id="id_macros_error"' in response.content.decode()
    version.refresh_from_db()
    assert version.body != "Changed" and not version.macros.exists()


def test_a_macro_linked_by_someone_who_sees_more_stays_when_an_editor_saves(shared_draft, client):
    version, macros = shared_draft["version"], shared_draft["macros"]
    version.macros.set([macros["atlas"]])
    client.force_login(shared_draft["people"]["north_lead"])
    response = client.post(f"/sops/{shared_draft['sop'].slug}/edit/",
                           _edit_data(version, body="Changed",
                                      macros=[macros["northwind"].pk]))  # fmt: skip
    assert response.status_code == 302
    version.refresh_from_db()
    assert version.body == "Changed"
    assert set(version.macros.all()) == {macros["atlas"], macros["northwind"]}
