"""An export job's life: started (audited), run once, its progress, its limits, and the
sweep that expires it, fails what a dead worker left and hands over what was lost."""

from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.db import DatabaseError, transaction
from django.utils import timezone

from exports import services, sources
from exports.models import ExportEvent, ExportJob
from tests.exports.conftest import start
from tests.tickets import factories as tf

pytestmark = pytest.mark.django_db
State = ExportJob.State


@pytest.fixture
def tickets(desk):
    return [tf.ticket(desk["queues"]["north"], subject=f"T{n}") for n in range(5)]


def _kinds(job: ExportJob) -> list[str]:
    return list(job.events.order_by("id").values_list("kind", flat=True))


def test_starting_is_audited_with_the_source_and_parameters_and_the_run_once(desk, tickets, export):
    agent = desk["people"]["north_agent"]
    job = export(agent, "view=all&status=new")
    started = job.events.get(kind=ExportEvent.Kind.STARTED)
    assert started.actor == agent
    assert started.detail == {"source": "tickets.queue", "params": {"query": "view=all&status=new"}}
    assert job.params == {"query": "view=all&status=new"}
    assert (job.state, job.rows_done, job.rows_expected, job.percent) == (State.DONE, 5, 5, 100)
    assert job.expires_at - job.finished_at == timedelta(hours=24)
    assert default_storage.exists(job.file_name) and job.file_size > 0
    assert services.export_run(job.pk) == "skipped"  # a second delivery does nothing
    assert _kinds(job) == ["started", "done"]


def test_progress_is_saved_every_n_rows(
    desk, tickets, django_capture_on_commit_callbacks, settings, monkeypatch
):
    settings.EXPORT_PROGRESS_ROWS = 2
    seen = []
    real = services._progress

    def spy(job_id, **values):  # type: ignore[no-untyped-def]
        real(job_id, **values)
        seen.append(ExportJob.objects.get(pk=job_id).percent)

    monkeypatch.setattr(services, "_progress", spy)
    with django_capture_on_commit_callbacks(execute=False):
        job = start(desk["people"]["admin"], "view=all")
    services.export_run(job.pk)
    job.refresh_from_db()
    assert seen == [0, 40, 80]  # rows expected, then every 2 rows of 5
    assert job.percent == 100


def test_a_person_has_at_most_a_few_exports_in_the_making(
    desk, settings, django_capture_on_commit_callbacks
):
    settings.EXPORT_MAX_UNFINISHED = 2
    agent = desk["people"]["north_agent"]

    def start_one() -> ExportJob:
        with django_capture_on_commit_callbacks(execute=False):
            return start(agent, "view=all")

    start_one(), start_one()
    with pytest.raises(services.ExportBusy, match="2 exports in the making") as busy:
        start_one()
    assert busy.value.status == 409
    services.export_run(ExportJob.objects.filter(owner=agent).first().pk)
    start_one()  # one finished: room for another


def test_an_export_over_the_row_limit_fails_with_a_sentence(desk, tickets, export, settings):
    settings.EXPORT_MAX_ROWS = 3
    job = export(desk["people"]["north_agent"], "view=all")
    assert job.state == State.FAILED and not job.file_name
    assert job.error == "This export would hold more than 3 rows; narrow the filters."
    assert _kinds(job) == ["started", "failed"]


def test_a_source_that_breaks_fails_the_job_with_a_sentence_not_the_traceback(desk, export):
    def broken(user, params):  # type: ignore[no-untyped-def]
        raise DatabaseError("relation secret_table does not exist")

    sources.register(
        sources.ExportSource(key="test.broken", title="Broken", header=["A"], rows=broken)
    )
    try:
        job = export(desk["people"]["admin"], source="test.broken")
    finally:
        sources.unregister("test.broken")
    assert job.state == State.FAILED
    assert "error on our side" in job.error and "secret_table" not in job.error


def test_a_source_registered_by_another_app_is_one_line_and_its_cells_are_formatted(desk, export):
    from datetime import UTC, datetime
    from decimal import Decimal

    from tests.exports.conftest import read_csv

    at = datetime(2025, 1, 15, 9, 30, tzinfo=UTC)

    def rows(user, params):  # type: ignore[no-untyped-def]
        yield ("Northwind", 12, Decimal("0.75"), True, None, ["a", "b"], "-1", "@x", at)

    sources.register(
        sources.ExportSource(
            key="test.table",
            title="A table",
            header=["Vendor", "N", "Rate", "Met", "Note", "Tags", "Text", "Who", "At"],
            rows=rows,
        )
    )
    try:
        job = export(desk["people"]["admin"], source="test.table", time_zone="Asia/Tokyo")
        with pytest.raises(services.ExportError, match="takes no filters"):
            start(desk["people"]["admin"], "x=1", source="test.table")
    finally:
        sources.unregister("test.table")
    assert read_csv(job)[1] == [
        "Northwind", "12", "0.75", "Yes", "", "a, b", "'-1", "'@x", "2025-01-15 18:30:00",
    ]  # fmt: skip
    assert job.rows_expected == 1  # no count: the rows written


def test_a_source_offered_to_some_is_no_export_for_others(desk):
    sources.register(
        sources.ExportSource(
            key="test.leads",
            title="Leads only",
            header=["A"],
            rows=lambda user, params: [],
            visible_to=lambda user: user.is_lead,
        )
    )
    try:
        with pytest.raises(services.ExportError, match="no export called"):
            start(desk["people"]["north_agent"], "", source="test.leads")
    finally:
        sources.unregister("test.leads")


def test_the_sweep_expires_files_after_their_time(
    desk, tickets, export, django_capture_on_commit_callbacks
):
    job = export(desk["people"]["north_agent"], "view=all")
    name = job.file_name
    assert services.exports_sweep()["expired"] == 0
    later = job.expires_at + timedelta(seconds=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.exports_sweep(now=later)["expired"] == 1
    job.refresh_from_db()
    assert (job.state, job.file_name) == (State.EXPIRED, "")
    assert not default_storage.exists(name)
    assert _kinds(job) == ["started", "done", "expired"]
    assert services.exports_sweep(now=later)["expired"] == 0  # once


def test_the_sweep_fails_a_job_its_worker_left_running(
    desk, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        job = start(desk["people"]["north_agent"])
    long_ago = timezone.now() - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 61)
    ExportJob.objects.filter(pk=job.pk).update(state=State.RUNNING, started_at=long_ago)
    assert services.exports_sweep()["stale"] == 1
    job.refresh_from_db()
    assert job.state == State.FAILED and "Start it again" in job.error
    # The worker comes back to life: its late progress and finish change nothing.
    with pytest.raises(services._Abandoned):
        services._progress(job.pk, rows_done=1)


def test_the_sweep_hands_over_again_a_job_whose_hand_over_was_lost(
    desk, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        job = start(desk["people"]["north_agent"])
    assert services.exports_sweep()["lost"] == 0  # just handed over
    later = timezone.now() + timedelta(seconds=settings.EXPORT_REQUEUE_SECONDS + 1)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert services.exports_sweep(now=later)["lost"] == 1
    assert len(callbacks) == 1
    assert services.exports_sweep(now=later)["lost"] == 0
    job.refresh_from_db()
    assert job.state == State.QUEUED


def test_the_audit_trail_is_append_only(desk, tickets, export):
    event = export(desk["people"]["north_agent"], "view=all").events.first()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        ExportEvent.objects.filter(pk=event.pk).update(kind="done")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        ExportEvent.objects.filter(pk=event.pk).delete()
