"""Erasure requests: the grace period, cancelling, legal holds that make a request wait,
restriction, what each mode leaves, and the audit that records an erasure without what
was erased."""

import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.db.utils import ProgrammingError
from django.utils import timezone

from core.errors import Conflict, Forbidden
from exports.models import ExportJob
from exports.services import export_run
from privacy import services, tasks
from privacy.models import ErasureRequest, PrivacyEvent
from tests import factories
from tests.tickets import factories as tf
from tickets import services as tickets
from tickets.models import Event, Message, Requester, SavedView, Ticket

pytestmark = pytest.mark.django_db
State = ErasureRequest.State


@pytest.fixture
def person(desk):
    requester = tf.requester(email="ines.ortega@example.org", name="Inés Ortega")
    first = tf.ticket(desk["queues"]["inhouse"], subject="Card blocked", requester_=requester)
    second = tf.ticket(desk["queues"]["north"], subject="Refund", requester_=requester)
    tickets.ticket_reply(actor=desk["people"]["inhouse_agent"], ticket=first,
                         body="Dear Inés Ortega, we are on it.")  # fmt: skip
    return {**desk, "requester": requester, "tickets": [first, second]}


def test_a_request_waits_out_its_grace_period_then_the_beat_runs_it(person, officer, settings):
    settings.PRIVACY_ERASURE_GRACE_DAYS = 30
    request = services.erasure_request(actor=officer, requester=person["requester"],
                                       mode="delete")  # fmt: skip
    assert request.run_after - request.created_at == timedelta(days=30)
    assert tasks.run_erasures() == {}
    assert Requester.objects.filter(pk=person["requester"].pk).exists()
    ErasureRequest.objects.filter(pk=request.pk).update(run_after=timezone.now())
    assert tasks.run_erasures() == {"done": 1}
    assert not Requester.objects.filter(email="ines.ortega@example.org").exists()
    assert not Ticket.objects.filter(pk__in=[t.pk for t in person["tickets"]]).exists()


def test_a_cancelled_request_never_runs_and_a_second_waiting_one_is_refused(person, officer):
    request = services.erasure_request(actor=officer, requester=person["requester"],
                                       mode="anonymise")  # fmt: skip
    with pytest.raises(Conflict):
        services.erasure_request(actor=officer, requester=person["requester"], mode="delete")
    services.erasure_cancel(actor=officer, request=request)
    ErasureRequest.objects.filter(pk=request.pk).update(run_after=timezone.now())
    assert tasks.run_erasures() == {}
    assert Requester.objects.get(pk=person["requester"].pk).email == "ines.ortega@example.org"
    with pytest.raises(Conflict):
        services.erasure_cancel(actor=officer, request=request)


def test_people_without_the_permission_cannot_ask(person):
    for key in ("inhouse_lead", "inhouse_agent", "north_lead"):
        with pytest.raises(Forbidden):
            services.erasure_request(actor=person["people"][key], requester=person["requester"],
                                     mode="delete")  # fmt: skip


def _hold(officer, **target):  # type: ignore[no-untyped-def]
    later = timezone.localdate() + timedelta(days=90)
    return services.hold_place(actor=officer, case_number="LIT-7", owner=officer,
                               reason="Litigation", review_on=later, **target)  # fmt: skip


@pytest.mark.parametrize("scope", ["requester", "ticket", "queue", "saved_view"])
def test_a_hold_makes_the_erasure_wait_until_it_is_released(person, officer, scope):
    first = person["tickets"][0]
    if scope == "saved_view":
        view = SavedView.objects.create(owner=person["people"]["admin"], name="Blocked cards",
                                        query=f"view=any&queue={first.queue_id}")  # fmt: skip
        target = {"saved_view": view}
    else:
        target = {"requester": {"requester": person["requester"]},
                  "ticket": {"ticket": first}, "queue": {"queue": first.queue}}[scope]  # fmt: skip
    hold = _hold(officer, **target)
    request = services.erasure_request(actor=officer, requester=person["requester"],
                                       mode="delete")  # fmt: skip
    assert services.erasure_run_now(actor=officer, request=request) == "held"
    request.refresh_from_db()
    assert request.state == State.HELD
    assert Ticket.objects.filter(pk=first.pk).exists()
    assert tasks.run_erasures() == {"held": 1}  # still held; one "held" event, not two
    assert PrivacyEvent.objects.filter(erasure=request, kind="erasure_held").count() == 1
    services.hold_release(actor=officer, hold=hold)
    assert tasks.run_erasures() == {"done": 1}
    assert not Ticket.objects.filter(pk=first.pk).exists()
    hold.refresh_from_db()
    assert hold.released_at is not None  # the released hold keeps its case


def test_a_hold_on_someone_else_does_not_stop_the_erasure(person, officer):
    other = tf.ticket(person["queues"]["atlas"], subject="Other person")
    _hold(officer, ticket=other)
    request = services.erasure_request(actor=officer, requester=person["requester"],
                                       mode="delete")  # fmt: skip
    assert services.erasure_run_now(actor=officer, request=request) == "done"


def test_anonymise_keeps_the_tickets_for_metrics_and_replaces_the_person(person, officer):
    request = services.erasure_request(actor=officer, requester=person["requester"],
                                       mode="anonymise")  # fmt: skip
    services.erasure_run_now(actor=officer, request=request)
    requester = Requester.objects.get(pk=person["requester"].pk)
    assert (requester.email, requester.name) == ("", "")
    assert requester.external_id.startswith("erased-")
    kept = Ticket.objects.filter(requester=requester)
    assert kept.count() == 2 and set(kept.values_list("subject", flat=True)) == {"[erased]"}
    assert set(Message.objects.filter(ticket__in=kept).values_list("body", flat=True)) == {
        "[erased]"}  # fmt: skip
    assert Event.objects.filter(ticket__in=kept, kind="personal_data_erased").count() == 2
    # The statuses and queues on the timeline stay (analytics replays them).
    assert Event.objects.filter(ticket__in=kept, kind="created").exists()


def test_restrict_closes_their_tickets_and_drops_what_waits_to_be_sent(person, officer):
    request = services.erasure_request(actor=officer, requester=person["requester"],
                                       mode="restrict")  # fmt: skip
    services.erasure_run_now(actor=officer, request=request)
    request.refresh_from_db()
    # (Solving them scheduled satisfaction surveys: cancelled with the rest.)
    assert request.counts == {"tickets": 2, "closed": 2, "outbox_dropped": 1,
                              "surveys_cancelled": 2}  # fmt: skip
    assert set(Ticket.objects.filter(requester=person["requester"])
               .values_list("status", flat=True)) == {"closed"}  # fmt: skip
    assert Requester.objects.get(pk=person["requester"].pk).email == "ines.ortega@example.org"


def test_the_audit_says_an_erasure_ran_never_what_it_erased(person, officer):
    request = services.erasure_request(actor=officer, requester=person["requester"],
                                       mode="delete", case_number="DSR-9")  # fmt: skip
    services.erasure_run_now(actor=officer, request=request)
    events = PrivacyEvent.objects.filter(erasure=request).order_by("created_at", "pk")
    assert [e.kind for e in events] == ["erasure_requested", "erasure_done"]
    text = json.dumps([e.detail for e in events]) + request.case_number
    assert "ines" not in text.lower() and "card blocked" not in text.lower()
    # The privacy audit itself cannot be rewritten, even on the erasure path.
    with pytest.raises(ProgrammingError), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL helpdesk.erasure = 'on'")
        PrivacyEvent.objects.filter(pk=events[0].pk).update(detail={})


def test_the_ticket_timeline_stays_append_only_outside_the_erasure_path(person):
    with pytest.raises(ProgrammingError), transaction.atomic():
        Event.objects.filter(ticket=person["tickets"][0]).update(after={})


def test_the_export_is_a_zip_of_their_tickets_messages_and_files(person, officer):
    job = services.subject_export(actor=officer, requester=person["requester"], language="en",
                                  time_zone="UTC")  # fmt: skip
    assert export_run(job.pk) == "done"
    job.refresh_from_db()
    assert job.state == ExportJob.State.DONE and job.rows_done == 2
    from django.core.files.storage import default_storage

    with default_storage.open(job.file_name, "rb") as handle:
        archive = zipfile.ZipFile(io.BytesIO(handle.read()))
    names = sorted(archive.namelist())
    assert names == sorted(["subject.json", *(f"tickets/{t.reference}.json"
                                              for t in person["tickets"])])  # fmt: skip
    subject = json.loads(archive.read("subject.json"))
    assert subject["identities"][0]["email"] == "ines.ortega@example.org"
    first = json.loads(archive.read(f"tickets/{person['tickets'][0].reference}.json"))
    assert [m["body"] for m in first["messages"]][-1] == "Dear Inés Ortega, we are on it."
    assert PrivacyEvent.objects.filter(kind="export_requested").count() == 1
    # Only people who handle privacy may run it: the source is not offered to anyone else.
    with pytest.raises(Forbidden):
        services.subject_export(actor=factories.user(), requester=person["requester"],
                                language="en", time_zone="UTC")  # fmt: skip


def test_only_whole_identifiers_count_as_naming_the_person(desk):
    from privacy.erasure import names_anyone

    needles = ["ann@example.org", "42", "Ann Lee"]
    assert names_anyone("Reply to ANN@example.org today", needles)
    assert names_anyone("user 42 wrote", needles) and names_anyone("Ann Lee said", needles)
    assert not names_anyone("joann@example.org", needles)
    assert not names_anyone("ticket 1423, Channel, Ann Leeds", needles)


def test_a_short_name_never_costs_someone_elses_export(
    person, officer, django_capture_on_commit_callbacks
):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    ann = tf.requester(email="ann@example.org", name="Ann")
    tf.ticket(person["queues"]["inhouse"], requester_=ann)
    name = default_storage.save("exports/list.csv", ContentFile(
        b"Reference,Channel,Requester\nX1,email,joann@example.org\n"))  # fmt: skip
    other = ExportJob.objects.create(owner=officer, source="tickets.queue", language="en",
                                     state="done", file_name=name)  # fmt: skip
    request = services.erasure_request(actor=officer, requester=ann, mode="delete")
    with django_capture_on_commit_callbacks(execute=True):
        services.erasure_run_now(actor=officer, request=request)
    other.refresh_from_db()
    assert other.file_name == name and default_storage.exists(name)
