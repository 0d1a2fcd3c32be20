"""The export button on the queue, starting an export, and "My exports" with the progress
of each running job polled by htmx."""

import re

import pytest

from exports import services
from exports.models import ExportJob
from tests.exports.conftest import start
from tests.exports.routes import EXPORT_ROUTES
from tests.tickets import factories as tf

pytestmark = pytest.mark.django_db
State = ExportJob.State


@pytest.fixture
def agent(desk, client):
    client.force_login(desk["people"]["north_agent"])
    for n in range(3):
        tf.ticket(desk["queues"]["north"], subject=f"North {n}", language="es")
    return desk["people"]["north_agent"]


def _start(person, params="view=all"):  # type: ignore[no-untyped-def]
    return start(person, params)


def test_the_queue_offers_export_csv_with_its_filters(agent, client):
    body = client.get(
        "/tickets/", {"view": "all", "language": "es", "cursor": "x"}
    ).content.decode()
    form = re.search(r'<form[^>]*data-testid="export-form".*?</form>', body, re.S).group(0)
    assert 'action="/exports/start/"' in form and ">Export CSV</button>" in form
    assert 'name="source" value="tickets.queue"' in form
    assert 'name="params" value="view=all&amp;language=es"' in form  # no page cursor


def test_changing_the_filters_by_htmx_swaps_in_the_exports_filters(agent, client):
    body = client.get(
        "/tickets/", {"view": "all", "status": "new"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert re.search(
        r'<input type="hidden" name="params" value="view=all&amp;status=new" '
        r'id="export-ticketsqueue-params" hx-swap-oob="true">',
        body,
    )


def test_the_button_starts_an_export_and_shows_it_in_my_exports(
    agent, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(
            "/exports/start/", {"source": "tickets.queue", "params": "view=all&language=es"}
        )
    assert response.status_code == 302 and response["Location"] == "/exports/"
    assert len(callbacks) == 1
    job = ExportJob.objects.get(owner=agent)
    assert (job.state, job.params) == (State.QUEUED, {"query": "view=all&language=es"})
    page = client.get("/exports/").content.decode()
    assert "Your export has started" in page
    row = re.search(r'<tr id="export-\d+".*?</tr>', page, re.S).group(0)
    assert "Ticket list" in row and "Waiting" in row
    assert f'hx-get="/exports/{job.pk}/" hx-trigger="every 2s"' in row  # polled while running


@pytest.mark.parametrize(
    ("data", "said"),
    [
        ({"source": "tickets.queue", "params": "view=all&status=bogus"}, "Status:"),
        ({"source": "tickets.queue", "params": "view=all&colour=red"}, "no filter named"),
        ({"source": "no.such", "params": ""}, "There is no export called"),
        ({"params": "view=all"}, "Choose a table to export"),
        ({"source": "x" * 65}, "Choose a table to export"),
        ({"source": "tickets.queue", "params": "a&" * 1999}, "there are too many"),
    ],
)
def test_a_bad_source_or_bad_parameters_is_a_400_page_with_a_sentence(agent, client, data, said):
    response = client.post("/exports/start/", data)
    assert response.status_code == 400
    refused = re.search(r'data-testid="export-refused">([^<]*)<', response.content.decode())
    assert said in refused.group(1)
    assert not ExportJob.objects.exists()


def test_too_many_exports_at_once_is_a_409_page_with_a_sentence(agent, client, settings):
    settings.EXPORT_MAX_UNFINISHED = 1
    _start(agent)
    response = client.post("/exports/start/", {"source": "tickets.queue", "params": "view=all"})
    assert response.status_code == 409
    assert "wait for it to finish" in response.content.decode()


def test_the_row_stops_polling_when_the_export_is_ready(agent, client):
    job = _start(agent)
    running = client.get(f"/exports/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" in running and "<progress" in running
    services.export_run(job.pk)
    ready = client.get(f"/exports/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in ready and 'data-state="done"' in ready
    assert re.search(r'href="/exports/download/[^"]+/" data-testid="export-download"', ready)
    assert ">3</td>" in ready


def test_a_failed_export_says_why(agent, client, settings):
    settings.EXPORT_MAX_ROWS = 1
    job = _start(agent)
    services.export_run(job.pk)
    row = client.get(f"/exports/{job.pk}/").content.decode()
    assert "narrow the filters" in row and "export-download" not in row


def test_my_exports_lists_only_mine_in_one_query_per_page(
    agent, client, desk, django_assert_max_num_queries
):
    for _ in range(3):
        services.export_run(_start(agent).pk)
    _start(desk["people"]["atlas_agent"], "view=all")
    # session, user, the page of jobs (+ messages); the configuration moved, so this
    # process reads its copy of the header's agent statuses (chat) again.
    with django_assert_max_num_queries(5):
        page = client.get("/exports/").content.decode()
    assert page.count('data-testid="export-row"') == 3


def test_my_exports_pages_by_keyset(agent, client, monkeypatch):
    from exports import selectors

    monkeypatch.setattr(selectors, "PAGE_SIZE", 2)
    for _ in range(3):
        services.export_run(_start(agent).pk)
    first = client.get("/exports/").content.decode()
    after = re.search(r'href="\?after=([^"]+)"', first).group(1)
    second = client.get(f"/exports/?after={after}").content.decode()
    ids = [re.findall(r'<tr id="export-(\d+)"', page) for page in (first, second)]
    assert len(ids[0]) == 2 and len(ids[1]) == 1 and not set(ids[0]) & set(ids[1])
    assert client.get("/exports/?after=garbage").status_code == 200


@pytest.mark.parametrize(
    ("name", "method"), [(n, m) for n, methods in EXPORT_ROUTES.items() for m in methods]
)
@pytest.mark.parametrize("other", ["atlas_agent", "north_lead", "admin"])
def test_another_persons_export_is_404_on_every_route(agent, client, desk, name, method, other):
    from django.urls import reverse

    job = _start(agent)
    client.force_login(desk["people"][other])
    response = getattr(client, method)(reverse(name, kwargs={"pk": job.pk}))
    assert response.status_code == 404


def test_signed_out_people_are_sent_to_sign_in(client):
    for path in ("/exports/", "/exports/1/", "/exports/download/x/"):
        assert client.get(path).status_code == 302
    assert client.post("/exports/start/", {"source": "tickets.queue"}).status_code == 302
