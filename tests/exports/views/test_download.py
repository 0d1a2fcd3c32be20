"""The download: a signed link that expires, for its owner signed in."""

import csv
import io
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from exports import links, services
from exports.models import ExportEvent, ExportJob
from tests.exports.conftest import start
from tests.tickets import factories as tf

pytestmark = pytest.mark.django_db


@pytest.fixture
def ready(desk, client):
    """A finished export of Northwind's queue, its owner signed in."""
    owner = desk["people"]["north_agent"]
    for n in range(3):
        tf.ticket(desk["queues"]["north"], subject=f"North {n}")
    job = start(owner, "view=all")
    services.export_run(job.pk)
    job.refresh_from_db()
    client.force_login(owner)
    return {**desk, "job": job, "owner": owner, "url": links.url(job), "client": client}


def _body(response) -> str:  # type: ignore[no-untyped-def]
    return b"".join(response.streaming_content).decode("utf-8-sig")


def test_the_owner_downloads_the_file_as_an_attachment_and_it_is_audited(ready):
    response = ready["client"].get(ready["url"])
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="tickets-')
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert response["Cache-Control"] == "private, no-store"
    rows = list(csv.reader(io.StringIO(_body(response))))
    assert rows[0][0] == "Reference" and len(rows) == 4
    event = ready["job"].events.get(kind=ExportEvent.Kind.DOWNLOADED)
    assert event.actor == ready["owner"]


@pytest.mark.parametrize("other", ["north2_agent", "north_lead", "admin"])
def test_another_persons_link_is_404(ready, other):
    client = ready["client"]
    client.force_login(ready["people"][other])
    assert client.get(ready["url"]).status_code == 404
    assert not ready["job"].events.filter(kind=ExportEvent.Kind.DOWNLOADED).exists()


def test_a_forged_or_garbled_link_is_404(ready):
    client, token = ready["client"], links.token(ready["job"])
    for bad in (token[:-2] + "xx", "garbage", "a:b:c", token.replace(":", "x", 1)):
        assert client.get(f"/exports/download/{bad}/").status_code == 404


def test_the_link_expires(ready, settings):
    later = timezone.now() + timedelta(hours=settings.EXPORT_EXPIRY_HOURS, seconds=5)
    with time_machine.travel(later, tick=False):
        # Signed in again: a session lasts at most 12 hours (identity's role policies).
        ready["client"].force_login(ready["owner"])
        response = ready["client"].get(ready["url"])
    assert response.status_code == 410
    assert "This export has expired" in response.content.decode()


def test_a_fresh_link_to_an_expired_export_is_410(ready, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.exports_sweep(now=ready["job"].expires_at + timedelta(seconds=1))
    assert ExportJob.objects.get(pk=ready["job"].pk).state == ExportJob.State.EXPIRED
    response = ready["client"].get(links.url(ready["job"]))
    assert response.status_code == 410
    assert 'data-testid="export-expired"' in response.content.decode()


def test_an_export_past_its_time_is_410_before_the_sweep_runs(ready):
    ExportJob.objects.filter(pk=ready["job"].pk).update(expires_at=timezone.now())
    assert ready["client"].get(ready["url"]).status_code == 410


def test_a_file_gone_from_storage_is_410_not_500(ready):
    from django.core.files.storage import default_storage

    default_storage.delete(ready["job"].file_name)
    assert ready["client"].get(ready["url"]).status_code == 410


def test_a_link_to_an_unfinished_export_is_404(ready):
    job = start(ready["owner"])
    assert ready["client"].get(links.url(job)).status_code == 404
