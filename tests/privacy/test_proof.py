"""The proof: one person seeded across every channel and feature, erased, and then not one
occurrence of their email, name, external id or a phrase of theirs is left in a pg_dump
of the database, in the media directory, in Redis, or in search results."""

import os
import subprocess
from pathlib import Path

import pgserver
import pytest
import redis
from django.conf import settings
from django.db import connection

from exports.services import export_run
from privacy import services
from privacy.models import ErasureRequest
from tests.privacy.conftest import NEEDLES
from tickets.models import Notification, Ticket
from tickets.outbox import notification_deliver
from tickets.selectors import search_tickets

PG_DUMP = Path(pgserver.__file__).parent / "pginstall" / "bin" / "pg_dump"


def _dump() -> bytes:
    conn = connection.settings_dict
    env = {**os.environ, "PGPASSWORD": conn.get("PASSWORD") or ""}
    command = [str(PG_DUMP), "--data-only", "--no-owner", "-d", conn["NAME"],
               "-U", conn["USER"] or "postgres"]  # fmt: skip
    if conn.get("HOST"):
        command += ["-h", conn["HOST"]]
    if conn.get("PORT"):
        command += ["-p", str(conn["PORT"])]
    return subprocess.run(command, env=env, capture_output=True, check=True, timeout=120).stdout


def _media() -> bytes:
    root = Path(settings.MEDIA_ROOT)
    return b"\n".join(path.read_bytes() for path in root.rglob("*") if path.is_file())


def _redis() -> bytes:
    client = redis.Redis.from_url(settings.REDIS_URL)
    found: list[bytes] = []
    for key in client.scan_iter(count=1000):
        found.append(key)
        kind = client.type(key)
        if kind == b"string":
            found.append(client.get(key) or b"")
        elif kind == b"list":
            found.extend(client.lrange(key, 0, -1))
        elif kind == b"hash":
            found.extend(b"%s=%s" % pair for pair in client.hgetall(key).items())
        elif kind in (b"set", b"zset"):
            found.extend(client.zrange(key, 0, -1) if kind == b"zset" else client.smembers(key))
    return b"\n".join(found)


def _left(blob: bytes) -> list[str]:
    lowered = blob.lower()
    return [needle for needle in NEEDLES if needle.lower().encode() in lowered]


def _found_by_search(admin) -> list[str]:  # type: ignore[no-untyped-def]
    return [needle for needle in NEEDLES if search_tickets(admin, needle).rows]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("mode", ["delete", "anonymise"])
def test_an_erased_person_leaves_nothing_behind(subject, officer, mode):
    admin = subject["admin"]
    job = services.subject_export(actor=officer, requester=subject["requester"], language="en",
                                  time_zone="UTC")  # fmt: skip
    assert export_run(job.pk) == "done"
    for pk in Notification.objects.filter(state="queued").values_list("pk", flat=True):
        notification_deliver(pk)
    # Everything is there first: each place is searched for something it holds.
    assert _left(_dump()) == list(NEEDLES)
    assert _left(_media()) == [NEEDLES[3]]  # the files hold the phrase
    # (The external id reached the in-app ticket's data, not the requester found by email.)
    assert set(_found_by_search(admin)) >= {NEEDLES[0], NEEDLES[1], NEEDLES[3]}

    request = services.erasure_request(actor=officer, requester=subject["requester"], mode=mode,
                                       case_number="DSR-2026-114")  # fmt: skip
    assert services.erasure_run_now(actor=officer, request=request) == "done"

    assert _left(_dump()) == []
    assert _left(_media()) == []
    assert _left(_redis()) == []
    assert _found_by_search(admin) == []
    request.refresh_from_db()
    assert request.state == ErasureRequest.State.DONE and request.counts["tickets"] == 3
    kept = Ticket.objects.filter(pk__in=[t.pk for t in subject["tickets"]])
    if mode == "delete":
        assert not kept.exists()
    else:
        assert kept.count() == 3
        assert {e.kind for t in kept for e in t.events.all()} >= {"personal_data_erased"}
