"""A real Celery worker builds an export: the job's progress moves to 100% and the file
holds the filtered list."""

import csv
import io

import pytest
from django.http import QueryDict

from exports import links
from exports.models import ExportJob
from tests import processes
from tests.exports.conftest import start
from tests.tickets import factories as tf
from tickets import selectors
from tickets.forms import QueueFilterForm
from tickets.models import Ticket


@pytest.fixture
def files(tmp_path, settings):
    """The test and its worker share one storage on disk."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    return {
        "TEST_EXPORTS_ROOT": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "tests.exports.tasks.worker_settings",
    }


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_builds_the_export_and_its_progress_reaches_100(desk, files, client):
    north = desk["queues"]["north"]
    agent = desk["people"]["north_agent"]
    requester = tf.requester()
    made = [
        tf.ticket(north, subject=f"North {n}", requester_=requester, language="es")
        for n in range(150)
    ]
    Ticket.objects.filter(pk__in=[t.pk for t in made[::3]]).update(language="pt")
    tf.ticket(desk["queues"]["atlas"], subject="Atlas secret", language="es")
    query = "view=all&language=es&sort=oldest"
    worker = processes.start_worker("exports", env={**files, "EXPORT_PROGRESS_ROWS": "10"})
    try:
        job = start(agent, query)
        seen: list[int | None] = []

        def finished() -> bool:
            current = ExportJob.objects.get(pk=job.pk)
            seen.append(current.percent)
            return not current.is_unfinished

        assert processes.wait_for(finished, timeout=60, interval=0.05)
    finally:
        processes.stop(worker)
    job.refresh_from_db()
    assert job.state == ExportJob.State.DONE, job.error
    assert seen[-1] == 100
    known = [p for p in seen if p is not None]
    assert known == sorted(known)  # it only moves forward
    filters = QueueFilterForm(QueryDict(query)).filters()
    expected = list(selectors.queue_tickets(agent, filters).values_list("reference", flat=True))
    assert len(expected) == 100
    client.force_login(agent)
    response = client.get(links.url(job))
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert [row[0] for row in rows[1:]] == expected
