"""The queue's automatic refresh (issue 14, item 17): the table is not a live region; the
rows a refresh brings are announced, politely, in a live region of their own. (Focus,
ticked rows and the j/k position across a refresh: tests/e2e/test_queue.py.)"""

import re

import pytest

from tests.tickets import factories as tf

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(desk, client):
    client.force_login(desk["people"]["north_agent"])
    return desk


def test_the_table_is_not_a_live_region_and_a_separate_polite_region_announces(agent, client):
    body = client.get("/tickets/?view=all").content.decode()
    table = re.search(r'<div[^>]*id="queue-table"[^>]*>', body).group(0)
    assert "aria-live" not in table and "role=" not in table
    region = re.search(r'<div[^>]*id="queue-news"[^>]*>', body).group(0)
    assert 'aria-live="polite"' in region and 'role="status"' in region
    # The refresh itself stays: pushed (chat.live), or every 15 s from static/chat/agent.js
    # while push is unavailable, and a slow poll of the page's own as the safety net.
    assert 'hx-trigger="helpdesk:work-changed from:body, every 60s"' in body


def _refresh(client, shown: list[str] | None):  # type: ignore[no-untyped-def]
    headers = {"HX-Request": "true"}
    if shown is not None:
        headers["X-Queue-Shown"] = ",".join(shown)
    response = client.get("/tickets/?view=all", headers=headers)
    assert response.status_code == 200 and "<html" not in response.content.decode()
    return re.search(r"<p hidden data-queue-news>([^<]*)</p>", response.content.decode())


@pytest.mark.parametrize("new", [1, 3])
def test_a_refresh_announces_the_rows_that_were_not_shown_before(agent, client, new):
    shown = [tf.ticket(agent["queues"]["north"]).reference for _ in range(2)]
    for _ in range(new):
        tf.ticket(agent["queues"]["north"])
    news = _refresh(client, shown)
    assert news and news.group(1) == ("1 new ticket" if new == 1 else f"{new} new tickets")


def test_a_refresh_with_nothing_new_or_a_first_load_announces_nothing(agent, client):
    shown = [tf.ticket(agent["queues"]["north"]).reference for _ in range(2)]
    assert _refresh(client, shown) is None
    assert _refresh(client, None) is None  # filters and paging: not a refresh
    # The list the browser sends is bounded and never trusted for anything else.
    assert _refresh(client, ["x" * 5000, *shown]) is None
