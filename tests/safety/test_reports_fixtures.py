"""Fixtures of the reports tests (imported by tests/safety/test_reports*.py)."""

from __future__ import annotations

import pytest

from safety import reports
from safety.models import Case, HarmCategory, ItemType, Report
from safety.taxonomy import ensure_defaults
from tickets.models import Queue


@pytest.fixture
def reporting(desk, settings):
    """The default taxonomy; the in-house team works the report queues (and the help
    center's); an in-app client's key."""
    from tickets.intake.inapp import app_client_create

    ensure_defaults()
    inhouse = desk["teams"]["inhouse"]
    for slug in ("safety-reports", "child-safety"):
        Queue.objects.get(slug=slug).teams.add(inhouse)
    settings.HELP_CENTER_QUEUE = desk["queues"]["inhouse"].slug
    settings.SAFETY_WEBHOOK_URL = ""
    _client, key = app_client_create(name="Social app", queue=desk["queues"]["inhouse"])
    return {**desk, "app_key": key, "categories": {c.key: c for c in HarmCategory.objects.all()}}


def notice(**fields: object) -> reports.ReportInput:
    values: dict = {
        "channel": Report.Channel.WEB, "item_type": ItemType.POST, "category": "hate-speech",
        "explanation": "It calls for violence against a group.", "good_faith": True,
        "item_url": "https://social.example/p/123", "notifier_name": "Ana",
        "notifier_email": "ana@example.org", "notifier_language": "en",
    }  # fmt: skip
    values.update(fields)
    return reports.ReportInput(**values)


def submit(**fields: object) -> Report:
    return reports.report_submit(data=notice(**fields))


def decided(case: Case, agent, **fields):  # type: ignore[no-untyped-def]
    values = {"outcome": "content_removed", "ground": "hate-speech",
              "facts": "The post calls for violence against a group.",
              "automated_detection": True}  # fmt: skip
    values.update(fields)
    return reports.case_decide(actor=agent, case=case, **values)
