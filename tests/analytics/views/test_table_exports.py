"""The dashboards' tables as CSV exports: every row, numbers as numbers, the page's
controls, scoped as the page is."""

from __future__ import annotations

import pytest
from django.urls import reverse

from exports import services, sources
from exports.sources import ExportError
from tests.exports.conftest import read_csv, start

pytestmark = pytest.mark.django_db


def _export(person, params: str, source: str, **kwargs):  # type: ignore[no-untyped-def]
    job = start(person, params, source=source, **kwargs)
    services.export_run(job.pk)
    job.refresh_from_db()
    return job


def test_the_queue_table_exports_every_row_in_numbers(busy):
    job = _export(busy["people"]["admin"], "range=7", "analytics.by_queue")
    assert job.state == "done", job.error
    rows = read_csv(job)
    assert rows[0] == [
        "Queue",
        "Language",
        "Created",
        "Solved",
        "First reply, median (minutes)",
        "First reply, p90 (minutes)",
        "SLA attainment (%)",
        "Reopen rate (%)",
        "One-touch (%)",
        "CSAT, good ratings (%)",
        "CSAT responses",
        "CSAT response rate (%)",
        "IQS (0–100)",
        "QA reviews",
    ]
    # A language as people read it, its code beside: "Spanish (es)".
    by_key = {(row[0], row[1].rpartition("(")[2].rstrip(")")): row for row in rows[1:]}
    assert by_key[("T&S", "es")][2:4] == ["2", "1"]
    assert by_key[("T&S", "en")][2] == "2"  # one two days ago, one half an hour ago
    # 30 minutes, read from the histogram: within its bucket (1/6 of a doubling).
    assert float(by_key[("T&S", "es")][4]) == pytest.approx(30, rel=0.125)


def test_a_vendors_lead_exports_only_their_vendor(busy):
    for source in ("analytics.by_queue", "analytics.over_time", "analytics.agents"):
        job = _export(busy["people"]["north_lead"], "range=30", source)
        text = "\n".join(",".join(row) for row in read_csv(job))
        assert job.state == "done", job.error
        assert "Atlas" not in text and "T&S" not in text and "inhouse" not in text
    rows = read_csv(_export(busy["people"]["north_lead"], "range=30", "analytics.by_queue"))
    assert {row[0] for row in rows[1:]} == {"Northwind"}
    assert not sources.get("analytics.by_vendor").offered_to(busy["people"]["north_lead"])


def test_the_slice_and_zone_chosen_shape_the_file(busy):
    job = _export(
        busy["people"]["inhouse_lead"],
        "range=7&slice=channel:email&tz=Asia/Tokyo",
        "analytics.by_queue",
    )
    assert read_csv(job)[0][:2] == ["Queue", "Channel"]
    job = _export(busy["people"]["inhouse_lead"], "range=7&tz=Asia/Tokyo", "analytics.over_time")
    rows = read_csv(job)
    assert rows[0][:2] == ["From (Asia/Tokyo)", "To (Asia/Tokyo)"]
    assert rows[1][0].endswith("00:00:00") and len(rows) == 8  # seven local days


def test_a_slice_out_of_scope_fails_with_a_sentence(busy):
    atlas = busy["queues"]["atlas"].pk
    job = _export(busy["people"]["north_lead"], f"slice=queue:{atlas}", "analytics.by_queue")
    assert job.state == "failed" and "not something you can see" in job.error
    with pytest.raises(ExportError):
        start(busy["people"]["north_lead"], "range=12", source="analytics.by_queue")
    with pytest.raises(ExportError):
        start(busy["people"]["north_lead"], "status=open", source="analytics.by_queue")


def test_agents_get_no_dashboard_export(busy, client):
    client.force_login(busy["people"]["north_agent"])
    response = client.post(
        reverse("exports:start"), {"source": "analytics.by_queue", "params": "range=7"}
    )
    assert response.status_code in (400, 404)


def test_every_dashboard_table_has_its_button(busy, client):
    client.force_login(busy["people"]["admin"])
    body = client.get(reverse("analytics:dashboard")).content.decode()
    for source in ("analytics.by_queue", "analytics.by_vendor", "analytics.over_time"):
        assert f'name="source" value="{source}"' in body
    assert 'name="params" value="range=7&amp;bucket=day&amp;tz=' in body
    body = client.get(reverse("analytics:agents")).content.decode()
    assert 'value="analytics.agents"' in body
