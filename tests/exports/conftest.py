import csv
import io

import pytest
from django.core.files.storage import default_storage
from django.http import QueryDict

from exports import services
from exports.models import ExportJob


def start(
    person,
    params: str = "",
    *,
    source: str = "tickets.queue",
    language: str = "en",
    time_zone: str = "UTC",
) -> ExportJob:
    """Start an export as the export button does (the caller decides what happens to the
    hand-over to a worker)."""
    return services.export_start(
        actor=person,
        source_key=source,
        params=QueryDict(params),
        language=language,
        time_zone=time_zone,
    )


def read_csv(job: ExportJob) -> list[list[str]]:
    with default_storage.open(job.file_name, "rb") as handle:
        raw = handle.read()
    assert raw.startswith(b"\xef\xbb\xbf")  # the UTF-8 byte-order mark spreadsheets need
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


@pytest.fixture
def export(django_capture_on_commit_callbacks):
    """Start an export as a person and run it here, as the worker would (the worker's own
    tests are in tests/exports/tasks)."""

    def run(
        person,
        params: str = "",
        *,
        source: str = "tickets.queue",
        language: str = "en",
        time_zone: str = "UTC",
    ) -> ExportJob:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            job = start(person, params, source=source, language=language, time_zone=time_zone)
        assert len(callbacks) == 1  # handed to a worker only after commit
        services.export_run(job.pk)
        job.refresh_from_db()
        return job

    return run
