"""The version state machine: draft → in review → published → archived, never overwritten."""

import pytest
from django.db import IntegrityError, transaction

from sops import services
from sops.models import SOP, SOPEvent, SOPVersion
from tests.sops import factories as sf
from tests.tickets import factories as tf
from tickets.models import Notification

State = SOPVersion.State
pytestmark = pytest.mark.django_db


def _kinds(sop: SOP) -> list[str]:
    return list(SOPEvent.objects.filter(sop=sop).values_list("kind", flat=True))


def test_a_new_sop_starts_as_a_draft_version_one(org):
    admin = org["people"]["admin"]
    version = sf.draft(admin, title="Refunds", steps=("Find", "Refund"))
    assert (version.number, version.state, version.sop.current_version) == (1, State.DRAFT, None)
    assert [s.text for s in version.steps.all()] == ["Find", "Refund"]
    assert _kinds(version.sop) == ["sop_created"]


def test_publishing_needs_a_review_first(org):
    admin = org["people"]["admin"]
    version = sf.draft(admin)
    with pytest.raises(services.SOPConflict):
        services.sop_version_publish(actor=admin, version=version)
    services.sop_version_submit(actor=admin, version=version)
    services.sop_version_publish(actor=admin, version=version)
    version.refresh_from_db()
    assert version.state == State.PUBLISHED and version.published_by == admin
    assert version.effective_on is not None
    assert SOP.objects.get(pk=version.sop_id).current_version == version


def test_a_lead_may_propose_but_not_publish(org):
    lead = org["people"]["inhouse_lead"]
    version = sf.draft(lead)
    services.sop_version_submit(actor=lead, version=version)
    with pytest.raises(services.SOPError, match="Only admins publish"):
        services.sop_version_publish(actor=lead, version=version)
    version.refresh_from_db()
    assert version.state == State.IN_REVIEW


def test_an_agent_cannot_write_sops(org):
    with pytest.raises(services.SOPError):
        sf.draft(org["people"]["inhouse_agent"])


def test_editing_a_published_sop_makes_a_new_draft_and_publishing_archives_the_old(org):
    admin = org["people"]["admin"]
    macro = tf.macro(name="Refund done")
    sop = sf.published(admin, body="Old text", steps=("One",), macros=[macro])
    first = sop.current_version
    draft = services.sop_draft_start(actor=admin, sop=sop)
    assert (draft.number, draft.body) == (2, "Old text")
    assert [s.text for s in draft.steps.all()] == ["One"]
    assert list(draft.macros.all()) == [macro]
    # Starting again returns the same open draft rather than a second one.
    assert services.sop_draft_start(actor=admin, sop=sop) == draft

    services.sop_draft_save(
        actor=admin, version=draft, expected_revision=draft.revision, body="New text",
        steps=["One", "Two"], macros=[], change_summary="Adds a step", effective_on=None,
        requires_acknowledgement=True,
    )  # fmt: skip
    first.refresh_from_db()
    assert first.body == "Old text" and first.state == State.PUBLISHED  # untouched

    services.sop_version_submit(actor=admin, version=draft)
    services.sop_version_publish(actor=admin, version=draft)
    first.refresh_from_db()
    draft.refresh_from_db()
    assert first.state == State.ARCHIVED and first.archived_at is not None
    assert first.body == "Old text"  # every version stays readable
    assert draft.state == State.PUBLISHED
    assert SOP.objects.get(pk=sop.pk).current_version == draft
    assert _kinds(sop)[-3:] == ["version_submitted", "version_archived", "version_published"]


def test_a_published_version_cannot_be_edited(org):
    admin = org["people"]["admin"]
    sop = sf.published(admin)
    version = sop.current_version
    with pytest.raises(services.SOPConflict, match="can no longer be edited"):
        services.sop_draft_save(
            actor=admin, version=version, expected_revision=version.revision, body="Sneaky",
            steps=[], macros=[], change_summary="", effective_on=None,
            requires_acknowledgement=True,
        )  # fmt: skip


def test_a_stale_edit_is_refused_not_lost(org):
    admin, lead = org["people"]["admin"], org["people"]["inhouse_lead"]
    version = sf.draft(admin, body="Start")
    loaded = version.revision  # both editors opened the draft at this revision
    services.sop_draft_save(
        actor=admin, version=version, expected_revision=loaded, body="Admin's text", steps=[],
        macros=[], change_summary="", effective_on=None, requires_acknowledgement=True,
    )  # fmt: skip
    with pytest.raises(services.SOPConflict, match="Someone else saved this draft"):
        services.sop_draft_save(
            actor=lead, version=version, expected_revision=loaded, body="Lead's text",
            steps=[], macros=[], change_summary="", effective_on=None,
            requires_acknowledgement=True,
        )  # fmt: skip
    version.refresh_from_db()
    assert version.body == "Admin's text"


def test_saving_nothing_new_changes_nothing(org):
    admin = org["people"]["admin"]
    version = sf.draft(admin, body="Same", steps=("A",), change_summary="First version")
    before = version.revision
    services.sop_draft_save(
        actor=admin, version=version, expected_revision=before, body="Same", steps=["A"],
        macros=[], change_summary="First version", effective_on=None,
        requires_acknowledgement=True,
    )  # fmt: skip
    version.refresh_from_db()
    assert version.revision == before
    assert "draft_saved" not in _kinds(version.sop)


def test_returning_a_proposal_to_draft_keeps_the_reviewers_note(org):
    admin, lead = org["people"]["admin"], org["people"]["inhouse_lead"]
    version = sf.draft(lead)
    services.sop_version_submit(actor=lead, version=version)
    services.sop_version_return(actor=admin, version=version, note="Say who approves refunds.")
    version.refresh_from_db()
    assert version.state == State.DRAFT
    event = SOPEvent.objects.filter(kind="version_returned").get()
    assert event.after["note"] == "Say who approves refunds." and event.actor == admin


def test_another_lead_cannot_return_someone_elses_proposal(org):
    lead, other = org["people"]["inhouse_lead"], org["people"]["north_lead"]
    version = sf.draft(lead)
    services.sop_version_submit(actor=lead, version=version)
    with pytest.raises(services.SOPError):
        services.sop_version_return(actor=other, version=version)


def test_the_database_allows_one_published_and_one_open_version_per_sop(org):
    admin = org["people"]["admin"]
    sop = sf.published(admin)
    with pytest.raises(IntegrityError), transaction.atomic():
        SOPVersion.objects.create(sop=sop, number=9, state=State.PUBLISHED)
    services.sop_draft_start(actor=admin, sop=sop)
    with pytest.raises(IntegrityError), transaction.atomic():
        SOPVersion.objects.create(sop=sop, number=10, state=State.DRAFT)


def test_the_audit_trail_is_append_only(org):
    sop = sf.published(org["people"]["admin"])
    event = SOPEvent.objects.filter(sop=sop).first()
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        SOPEvent.objects.filter(pk=event.pk).update(kind="forged")


def test_publishing_tells_the_vendors_it_is_shared_with_through_the_outbox(
    org, django_capture_on_commit_callbacks
):  # fmt: skip
    admin = org["people"]["admin"]
    north, atlas = org["vendors"]["north"], org["vendors"]["atlas"]
    north.webhook_url, north.contact_email = (
        "https://hooks.northwind.example/sops",
        "ops@nw.example",
    )
    north.save()
    version = sf.draft(admin, title="Chargebacks", vendors=[north])
    services.sop_version_submit(actor=admin, version=version)
    with django_capture_on_commit_callbacks() as callbacks:
        services.sop_version_publish(actor=admin, version=version)
    notices = Notification.objects.filter(kind="sop_published").order_by("channel")
    assert [(n.channel, n.recipient, n.vendor_id) for n in notices] == [
        ("email", "ops@nw.example", None),
        ("webhook", "https://hooks.northwind.example/sops", north.pk),
    ]
    webhook = notices[1]
    assert webhook.payload["event"] == "sop.published"
    assert (
        webhook.payload["sop"]["version"] == 1 and webhook.payload["sop"]["slug"] == "chargebacks"
    )
    assert not Notification.objects.filter(vendor=atlas).exists()  # not shared with Atlas
    assert len(callbacks) >= 2  # deliveries handed to the worker only after commit


def test_retiring_archives_the_version_in_force(org):
    admin = org["people"]["admin"]
    sop = sf.published(admin)
    services.sop_retire(actor=admin, sop=sop)
    sop.refresh_from_db()
    assert sop.current_version is None
    assert sop.versions.get().state == State.ARCHIVED


def test_a_vendor_lead_proposes_for_their_own_vendor_only(org):
    lead = org["people"]["north_lead"]
    version = sf.draft(lead, title="Northwind tips", vendors=[org["vendors"]["atlas"]])
    assert list(version.sop.vendors.all()) == [org["vendors"]["north"]]
