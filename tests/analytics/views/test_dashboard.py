"""The lead's dashboard: what a lead, a vendor's lead and an admin see, what an agent
cannot, a fixed number of statements whatever the data, and sentences for bad controls."""

from __future__ import annotations

import pytest
from django.test import Client

from analytics.fold import fold_all
from tests import factories
from tests.analytics.views.pages import table_rows, tile
from tests.tickets import factories as tf

pytestmark = pytest.mark.django_db


def page(client: Client, user, query: str = "", **headers) -> str:  # type: ignore[no-untyped-def]
    client.force_login(user)
    response = client.get(f"/analytics/{query}", headers=headers)
    assert response.status_code == 200, response.content.decode()[:2000]
    return response.content.decode()


def test_an_in_house_lead_sees_their_queues_numbers_and_the_vendors_side_by_side(busy, client):
    body = page(client, busy["people"]["inhouse_lead"])
    assert "<title>Dashboard · Helpdesk</title>" in body
    assert tile(body, "created")[0] == "4"  # three two days ago, one half an hour ago
    assert tile(body, "solved")[0] == "1"
    assert tile(body, "backlog")[0] == "3"
    # Medians and p90s are read from histograms (±6%); the mean is exact.
    assert tile(body, "first_reply")[0] in ("28 min", "29 min", "30 min", "31 min", "27 min")
    assert "mean 30 min" in body
    assert tile(body, "sla")[0] == "100.0%"  # the reply came within the hour
    assert tile(body, "one_touch")[0] == "100.0%"
    assert busy["tickets"]["due_soon"].reference in body  # at risk within the hour
    assert busy["tickets"]["north_due"].reference not in body
    assert "Northwind order" not in body and "Atlas secret" not in body
    rows = table_rows(body, "queue-table")
    assert {(row[0], row[1]) for row in rows} == {("T&S", "Spanish (es)"), ("T&S", "English (en)")}
    assert 'data-testid="vendor-table"' in body and 'data-testid="vendors-link"' in body
    for chart in ("volume", "first_reply", "sla"):
        assert f'data-testid="chart-table-{chart}"' in body  # each chart has its table
    assert 'id="analytics-charts" type="application/json"' in body


def test_a_weekly_chart_names_its_buckets_by_day_on_the_axis(busy, client):
    """The axis says the day alone ("Week of …" stays in the tooltip and the table):
    long names met each other under a year's chart."""
    import json
    import re

    body = page(client, busy["people"]["inhouse_lead"], "?range=365")
    found = re.search(r'<script id="analytics-charts" type="application/json">(.*?)</script>',
                      body, re.S)  # fmt: skip
    assert found is not None
    volume = json.loads(found.group(1))["volume"]
    assert len(volume["ticks"]) == len(volume["labels"]) > 40
    assert all(label.startswith("Week of ") for label in volume["labels"])
    assert all(label == f"Week of {tick}" for label, tick in zip(volume["labels"], volume["ticks"],
                                                                  strict=True))  # fmt: skip


def test_a_vendors_lead_sees_only_their_vendor(busy, client):
    body = page(client, busy["people"]["north_lead"])
    assert tile(body, "created")[0] == "3"
    assert busy["tickets"]["north_due"].reference in body
    assert busy["tickets"]["due_soon"].reference not in body
    assert {row[0] for row in table_rows(body, "queue-table")} == {"Northwind"}
    # No vendor table, and the filter offers only their own queues and teams.
    assert 'data-testid="vendor-table"' not in body and 'data-testid="vendors-link"' not in body
    assert "T&amp;S" not in body and "Trust &amp; Safety" not in body
    assert "Atlas" not in body and 'label="Vendor"' not in body
    assert "Tier 1" in body and "Tier 2" in body


def test_an_admin_sees_everything(busy, client):
    body = page(client, busy["people"]["admin"])
    assert tile(body, "created")[0] == "8"
    assert {row[0] for row in table_rows(body, "queue-table")} == {"T&S", "Northwind", "Atlas"}
    vendors = {row[0] for row in table_rows(body, "vendor-table")}
    assert vendors == {"Northwind", "Atlas"}


@pytest.mark.parametrize("path", ["/analytics/", "/analytics/agents/", "/analytics/vendors/"])
@pytest.mark.parametrize("who", ["inhouse_agent", "north_agent"])
def test_agents_have_no_dashboards(busy, client, path, who):
    client.force_login(busy["people"][who])
    assert client.get(path).status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get("/analytics/")
    assert response.status_code == 302 and "/accounts/sign-in/" in response["Location"]


def test_a_slice_and_a_range_narrow_every_number(busy, client):
    lead = busy["people"]["inhouse_lead"]
    body = page(client, lead, "?slice=language:es&range=30")
    assert tile(body, "created")[0] == "2"
    assert "Last 30 days · Language: Spanish (es) · UTC" in body
    assert [row[1] for row in table_rows(body, "queue-table")] == ["Spanish (es)"]
    assert "selected>Spanish (es)</option>" in body
    today = page(client, lead, "?range=today")
    assert tile(today, "created")[0] == "1"  # only the one from half an hour ago
    assert 'data-testid="analytics-summary">Today · UTC<' in today
    tagged = page(client, lead, "?slice=tag:refund")
    assert tile(tagged, "created")[0] == "1"
    assert "By queue · Tag" in tagged


def test_a_person_slice_has_no_backlog_and_no_vendor_table(busy, client):
    lead = busy["people"]["inhouse_lead"]
    body = page(client, lead, f"?slice=team:{busy['teams']['inhouse'].pk}")
    assert tile(body, "backlog") == ("—", "")
    assert "not by person, team or vendor" in body
    assert 'data-testid="vendor-table"' not in body
    assert "The table by vendor is shown for one queue or for everything" in body


def test_the_slice_filter_offers_what_is_in_the_scoped_data(busy, client):
    body = page(client, busy["people"]["inhouse_lead"])
    assert 'value="category:billing"' in body and 'value="tag:refund"' in body
    assert 'value="language:es"' in body and 'value="language:fr"' not in body  # Northwind's
    assert f'value="queue:{busy["queues"]["inhouse"].pk}"' in body
    assert f'value="queue:{busy["queues"]["north"].pk}"' not in body


def test_the_viewers_time_zone_is_the_default_and_another_may_be_chosen(busy, client):
    lead = busy["people"]["inhouse_lead"]
    lead.time_zone = "Asia/Tokyo"
    lead.save(update_fields=["time_zone"])
    body = page(client, lead)
    assert "Last 7 days · Asia/Tokyo" in body
    assert '<option value="Asia/Tokyo" selected>' in body
    madrid = page(client, lead, "?tz=Europe/Madrid")
    assert "Last 7 days · Europe/Madrid" in madrid


@pytest.mark.parametrize(
    ("query", "sentence"),
    [
        ("?range=3", "Select a valid choice"),
        ("?range=365&bucket=hour", "This range is not charted by hour; it is charted by week."),
        ("?slice=nonsense", "Choose what to show from the list."),
        ("?slice=queue:999999999999999999999", "That is not something you can see"),
        ("?slice=priority:abc", "That is not something you can see"),
        ("?tz=Mars/Olympus", "“Mars/Olympus” is not a time zone we know."),
        ("?tz=" + "x" * 300, "Ensure this value has at most 64 characters"),
        ("?slice=language:" + "x" * 200, "Ensure this value has at most 100 characters"),
    ],
)
def test_bad_controls_get_a_sentence_and_the_defaults_not_a_500(busy, client, query, sentence):
    client.force_login(busy["people"]["inhouse_lead"])
    response = client.get(f"/analytics/{query}")
    assert response.status_code == 400
    body = response.content.decode()
    assert sentence in body
    assert 'data-testid="controls-error"' in body
    assert tile(body, "created")[0] == "4"  # the defaults' numbers


def test_a_vendors_lead_cannot_slice_by_another_vendor_or_queue(busy, client):
    client.force_login(busy["people"]["north_lead"])
    for query in (
        f"?slice=vendor:{busy['vendors']['atlas'].pk}",
        f"?slice=queue:{busy['queues']['atlas'].pk}",
        f"?slice=team:{busy['teams']['inhouse'].pk}",
    ):
        response = client.get(f"/analytics/{query}")
        assert response.status_code == 400
        assert tile(response.content.decode(), "created")[0] == "3"  # their own, unsliced


def test_htmx_gets_the_body_only(busy, client):
    body = page(client, busy["people"]["inhouse_lead"], "?range=30", HX_Request="true")
    assert "<html" not in body and 'id="analytics-body"' in body
    response = client.get("/analytics/", headers={"HX-Request": "true"})
    assert "HX-Request" in response["Vary"]


def test_arabic_numbers_dates_and_direction(busy, client):
    client.cookies["django_language"] = "ar"
    body = page(client, busy["people"]["inhouse_lead"])
    assert '<html lang="ar" dir="rtl">' in body
    assert "bootstrap.rtl.min.css" in body
    assert tile(body, "created")[0] == "4"
    assert "28/02/2026" in body  # the day format of helpdesk/formats/ar


def _more_tickets(desk, n: int) -> None:
    languages = ["en", "es", "fr", "de", "pt", "ar", "ja"]
    queues = [desk["queues"][key] for key in ("inhouse", "north", "atlas", "north_t2")]
    for i in range(n):
        tf.ticket(
            queues[i % 4], language=languages[i % 7], category=f"cat{i % 5}", tags=[f"tag{i % 6}"]
        )
    fold_all()


@pytest.mark.parametrize("extra", [0, 30])
@pytest.mark.parametrize("who", ["admin", "inhouse_lead", "north_lead"])
@pytest.mark.parametrize(
    "path",
    [
        "/analytics/",
        "/analytics/?range=365&slice=language:es",
        "/analytics/agents/",
        "/analytics/vendors/",
    ],
)
def test_each_page_makes_at_most_ten_queries_whatever_the_data(
    busy, client, django_assert_max_num_queries, extra, who, path
):
    _more_tickets(busy, extra)
    if who == "north_lead" and "vendors" in path:
        return  # not theirs (404, tested above)
    client.force_login(busy["people"][who])
    client.get(path)  # warms the per-process caches (visible queues)
    with django_assert_max_num_queries(10):
        response = client.get(path)
    assert response.status_code == 200


def test_a_fresh_process_reads_its_two_shared_caches_once_more(
    busy, client, django_assert_max_num_queries
):
    from core import config_cache

    client.force_login(busy["people"]["north_lead"])
    # As a fresh process: the visible queues, the published SOPs (the banner, on every
    # page) and the queues restricted to cleared people (safety, one query for them and
    # the cleared) and the agent statuses (chat's menu in the header) are read once, then
    # kept per process until the configuration changes: the warm page's ten and these four.
    config_cache._cache.clear()
    with django_assert_max_num_queries(14):
        assert client.get("/analytics/").status_code == 200


def test_a_lead_without_a_team_sees_an_empty_dashboard(client, db):
    from accounts.models import Role

    lead = factories.user(role=Role.LEAD)
    lead.team = None
    lead.save(update_fields=["team"])
    body = page(client, lead)
    assert tile(body, "created")[0] == "0"


def test_the_links_to_the_other_tables_keep_the_range_zone_and_queue_only(busy, client):
    queue = busy["queues"]["inhouse"].pk
    body = page(client, busy["people"]["inhouse_lead"], f"?range=30&slice=queue:{queue}")
    assert f'href="/analytics/agents/?range=30&amp;tz=UTC&amp;slice=queue%3A{queue}"' in body
    body = page(client, busy["people"]["inhouse_lead"], "?range=30&slice=language:es")
    assert 'href="/analytics/agents/?range=30&amp;tz=UTC"' in body
    assert client.get("/analytics/agents/?range=30&tz=UTC").status_code == 200
