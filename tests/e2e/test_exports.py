"""Exporting the queue as CSV in the browser, with a real Celery worker: the filters chosen
on the page (by htmx) are the export's, "My exports" shows the job move and then offers
the file, and the file holds the filtered list."""

import csv
import io

import pytest
from playwright.sync_api import expect

from tests import processes
from tests.e2e.conftest import sign_in
from tests.e2e.test_accessibility import AXE, BLOCKING, RUN_AXE
from tests.tickets import factories as tf
from tickets.models import Queue, Ticket


@pytest.fixture
def demo(transactional_db):
    from django.core.cache import cache

    from demo import seed as demo

    cache.clear()
    demo.seed_organisation()


@pytest.fixture
def worker(tmp_path, settings):
    """A worker and this test's live server sharing one storage on disk."""
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path)}}}  # fmt: skip
    process = processes.start_worker("e2e-exports", env={
        "TEST_EXPORTS_ROOT": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "tests.exports.tasks.worker_settings"})  # fmt: skip
    yield process
    processes.stop(process)


def test_an_agent_exports_the_filtered_queue_and_downloads_it(page, demo, worker):
    queue = Queue.objects.get(name="General Support")
    wanted = {tf.ticket(queue, subject=f"Reembolso {n}", language="es").reference
              for n in range(5)}  # fmt: skip
    for n in range(3):
        tf.ticket(queue, subject=f"Refund {n}", language="en")
    sign_in(page, "northwind.agent@example.com")
    page.goto("/tickets/?view=all")
    page.locator("#f-language").select_option("es")  # htmx swaps the table and the filters
    expect(page.locator("#export-ticketsqueue-params")).to_have_value("view=all&language=es")
    page.get_by_role("button", name="Export CSV").click()
    expect(page.get_by_role("heading", name="My exports")).to_be_visible()
    row = page.get_by_test_id("export-row").first
    expect(row).to_have_attribute("data-state", "done", timeout=60_000)  # polled by htmx
    page.evaluate(AXE.read_text())  # "My exports" with a finished export: accessible
    assert page.evaluate(RUN_AXE, list(BLOCKING)) == []
    with page.expect_download() as download:
        row.get_by_test_id("export-download").click()
    text = download.value.path().read_text(encoding="utf-8-sig")
    refs = [line[0] for line in list(csv.reader(io.StringIO(text)))[1:]]
    visible = set(Ticket.objects.filter(queue=queue, language="es",
                                        status__in=["new", "open", "pending", "on_hold"])
                  .values_list("reference", flat=True))  # fmt: skip
    assert wanted <= set(refs) and set(refs) == visible
