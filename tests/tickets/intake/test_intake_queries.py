"""A new ticket costs at most twelve SQL statements whichever way it comes in (help
center, email, in-app, API), with everything intake does: the requester, the ticket and
its first message, search text, the audit event, SLA clocks, escalation rules, the
receipt through the outbox. Configuration comes from the per-process caches, so the
first ticket of a process warms them and the next ones are counted."""

from __future__ import annotations

import itertools

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from escalations.models import EscalationReason
from tests.tickets import factories as tf
from tickets.intake import email as email_services
from tickets.intake.help_center import help_center_submit
from tickets.intake.inapp import app_client_create, inapp_request_create
from tickets.models import ConfigVersion
from tickets.services import requester_get_or_create, ticket_create

pytestmark = pytest.mark.django_db(transaction=True)
BUDGET = 12
_seq = itertools.count()


@pytest.fixture
def intake(desk, settings):
    cache.clear()
    # A transactional test starts from an emptied database: the configuration version's
    # row (which migrations create) is put back, or no configuration would be cached.
    ConfigVersion.objects.get_or_create(pk=1)
    queue = desk["queues"]["inhouse"]
    settings.HELP_CENTER_QUEUE = settings.INBOUND_EMAIL_QUEUE = queue.slug
    tf.sla_policy(name="Standard", queues=[queue])
    EscalationReason.objects.create(
        name="Self-harm", target_team=desk["teams"]["inhouse"], severity=1,
        trigger=EscalationReason.Trigger.CATEGORY, match_tags=["self-harm"],
    )  # fmt: skip
    client, _key = app_client_create(name="Bench app", queue=queue)
    return {**desk, "queue": queue, "app": client}


def help_center(intake) -> None:  # type: ignore[no-untyped-def]
    n = next(_seq)
    help_center_submit(email=f"help-{n}@example.net", name="Zoe", subject="Cannot sign in",
                       body="My password stopped working.", category="account",
                       language="en")  # fmt: skip


def email(intake) -> None:  # type: ignore[no-untyped-def]
    n = next(_seq)
    raw = (f"From: Zoe <mail-{n}@example.net>\r\nTo: support@example.com\r\n"
           f"Subject: Cannot sign in\r\nMessage-ID: <intake-{n}@example.net>\r\n"
           "\r\nMy password stopped working this morning.\r\n").encode()  # fmt: skip
    assert email_services.email_ingest(raw).outcome == "new_ticket"


def in_app(intake) -> None:  # type: ignore[no-untyped-def]
    n = next(_seq)
    inapp_request_create(
        client=intake["app"], user_id=f"user-{n}", email="", name="", language="en",
        subject="The app closes", description="It closes when I open settings.",
        category="", app_version="5.2.1", device="Pixel 8", extra={},
    )  # fmt: skip


def api(intake) -> None:  # type: ignore[no-untyped-def]
    n = next(_seq)
    admin = intake["people"]["admin"]
    requester = requester_get_or_create(actor=admin, email=f"api-{n}@example.net")
    ticket_create(actor=admin, requester=requester, queue=intake["queue"], subject="By API",
                  body="Filed by an integration.", channel="api")  # fmt: skip


@pytest.mark.parametrize("path", [help_center, email, in_app, api], ids=lambda p: p.__name__)
def test_a_new_ticket_costs_at_most_twelve_statements_on_every_path(intake, path):
    path(intake)  # warms the process's configuration caches
    with CaptureQueriesContext(connection) as captured:
        path(intake)
    statements = [q["sql"][:160] for q in captured.captured_queries]
    print(f"\n{path.__name__}: {len(statements)}\n  " + "\n  ".join(statements))
    assert len(statements) <= BUDGET, statements
