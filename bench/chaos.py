#!/usr/bin/env python
"""Chaos run for the outbox: N vendor webhooks delivered by real Celery workers that are
killed with SIGKILL every few seconds, while Redis is restarted once. Prints what the
local receiver saw: every notification must arrive (none lost), each idempotency key
acted on once, and how long rows left behind by a killed worker took to go out.

    .venv/bin/python bench/chaos.py --notifications 10000 --kill-every 3

It uses its own database on the embedded PostgreSQL (``helpdesk_bench_chaos``) and
the embedded Redis, which it restarts. ``tests/tickets/tasks/test_chaos.py`` runs
the same ``run`` with 1,000 notifications.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
# Run as a script, this folder comes first on the path, and its queue.py would shadow
# the standard library's queue module (which psycopg imports).
_BENCH = str(Path(__file__).resolve().parent)
sys.path[:] = [p for p in sys.path if p not in (_BENCH, "")]
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))

PROCESS_ENV = {
    "WEBHOOK_ALLOWED_PRIVATE_HOSTS": "127.0.0.1",
}


@dataclass
class Report:
    notifications: int = 0
    delivered: int = 0
    seconds: float = 0.0
    kills: int = 0
    redis_restarts: int = 0
    received_requests: int = 0
    acted_keys: int = 0
    duplicates: int = 0
    rejected: int = 0  # a request cut off by a kill arrives short and fails its signature
    missing: int = 0
    dead: int = 0
    stranded: int = 0  # rows a killed worker left "sending"
    redelivery_seconds: list[float] = field(default_factory=list)

    def lines(self) -> list[str]:
        again = sorted(self.redelivery_seconds) or [0.0]
        p50, p99 = again[len(again) // 2], again[min(len(again) - 1, int(len(again) * 0.99))]
        return [
            f"notifications            {self.notifications}",
            f"delivered (state sent)   {self.delivered}",
            f"lost (never received)    {self.missing}",
            f"dead                     {self.dead}",
            f"worker SIGKILLs          {self.kills}",
            f"Redis restarts           {self.redis_restarts}",
            f"requests at receiver     {self.received_requests}",
            f"keys acted on (once)     {self.acted_keys}",
            f"duplicates dropped       {self.duplicates}",
            f"refused (bad signature)  {self.rejected}",
            f"left mid-send by a kill  {self.stranded}",
            f"their redelivery         p50 {p50:.1f} s, p99 {p99:.1f} s, max {again[-1]:.1f} s",
            f"total time               {self.seconds:.1f} s "
            f"({self.delivered / max(self.seconds, 0.001):.0f} notifications/s)",
        ]


def _kill(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)


def _restart_redis() -> None:
    from helpdesk import embedded

    embedded.stop_redis()
    time.sleep(1)
    embedded.ensure_redis()


def run(
    *,
    count: int,
    start_worker: Callable[[], subprocess.Popen],
    start_beat: Callable[[], subprocess.Popen],
    kill_every: float = 3.0,
    restart_redis: bool = True,
    timeout: float = 600.0,
    log: Callable[[str], None] = lambda _line: None,
) -> Report:
    """Needs Django set up, with this process's settings allowing 127.0.0.1 webhooks."""
    from django.utils import timezone

    from accounts import services as account_services
    from accounts.models import Vendor
    from helpdesk.celery import app
    from tests.support.webhook_receiver import Receiver
    from tickets.models import Notification
    from tickets.tasks import deliver_notification

    app.control.purge()  # leftovers of an interrupted run would skew the figures
    report = Report(notifications=count)
    run_id = f"{time.time_ns():x}"
    with Receiver(secret="") as receiver:
        vendor = Vendor.objects.filter(slug="chaos-vendor").first() or (
            account_services.vendor_create(actor=None, name="Chaos Vendor")
        )
        vendor = account_services.vendor_webhook_set(actor=None, vendor=vendor, url=receiver.url)
        receiver.secret = vendor.webhook_secret
        now = timezone.now()
        created = Notification.objects.bulk_create(
            (Notification(kind="sla_breach", channel=Notification.Channel.WEBHOOK,
                          recipient=receiver.url, vendor=vendor, payload={"n": n, "run": run_id},
                          idempotency_key=f"chaos-{run_id}-{n}", next_attempt_at=now)
             for n in range(count)), batch_size=2000,
        )  # fmt: skip
        ids = [n.pk for n in created]
        keys = {f"chaos-{run_id}-{n}" for n in range(count)}
        started = time.monotonic()
        for notification_id in ids:
            deliver_notification.delay(notification_id)
        log(f"queued {count} deliveries")
        worker, beat = start_worker(), start_beat()
        pending_stranded: dict[int, float] = {}
        restarted = not restart_redis
        working_since: float | None = None
        delivered_at_start = 0
        try:
            while time.monotonic() - started < timeout:
                sent_ids = Notification.objects.filter(pk__in=ids, state="sent")
                delivered = sent_ids.count()
                if pending_stranded:
                    back = sent_ids.filter(pk__in=list(pending_stranded))
                    for pk in back.values_list("pk", flat=True):
                        report.redelivery_seconds.append(
                            time.monotonic() - pending_stranded.pop(pk)
                        )
                if delivered == count and not pending_stranded:
                    break
                # Kill a worker kill_every seconds after it starts delivering (it takes a
                # few seconds to boot; killing it sooner would stop all progress).
                if working_since is None and delivered > delivered_at_start:
                    working_since = time.monotonic()
                if (working_since is not None and delivered < count
                        and time.monotonic() - working_since >= kill_every):  # fmt: skip
                    _kill(worker)
                    report.kills += 1
                    sending = Notification.objects.filter(pk__in=ids, state="sending")
                    stranded = [pk for pk in sending.values_list("pk", flat=True)
                                if pk not in pending_stranded]  # fmt: skip
                    report.stranded += len(stranded)
                    pending_stranded.update(dict.fromkeys(stranded, time.monotonic()))
                    log(f"{time.monotonic() - started:.0f}s: {delivered}/{count} sent; SIGKILL "
                        f"#{report.kills}, {len(stranded)} left mid-send")  # fmt: skip
                    if not restarted and delivered >= count // 3:
                        _restart_redis()
                        report.redis_restarts += 1
                        restarted = True
                        log("Redis restarted")
                    worker = start_worker()
                    working_since, delivered_at_start = None, delivered
                time.sleep(0.5)
        finally:
            _kill(worker)
            _kill(beat)
        report.seconds = time.monotonic() - started
        report.delivered = Notification.objects.filter(pk__in=ids, state="sent").count()
        report.dead = Notification.objects.filter(pk__in=ids, state="dead").count()
        with receiver.lock:
            got = set(receiver.acted) & keys
            report.acted_keys = len(got)
            report.missing = len(keys - got)
            report.received_requests = sum(receiver.deliveries[k] for k in keys)
            report.duplicates = sum(receiver.deliveries[k] - 1 for k in got)
            report.rejected = receiver.rejected
    return report


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--notifications", type=int, default=10_000)
    parser.add_argument("--kill-every", type=float, default=3.0)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=900.0)
    args = parser.parse_args()

    from bench.common import bench_env, celery_process, ensure_database, manage

    database = "helpdesk_bench_chaos"
    ensure_database(database)
    env = bench_env(database, **PROCESS_ENV)
    manage(env, "migrate", "--noinput")
    os.environ.update(env)
    import django

    django.setup()

    def start_worker() -> subprocess.Popen:
        return celery_process(env, "worker", concurrency=args.concurrency, name="chaos")

    def start_beat() -> subprocess.Popen:
        return celery_process(env, "beat", name="chaos")

    report = run(count=args.notifications, start_worker=start_worker, start_beat=start_beat,
                 kill_every=args.kill_every, timeout=args.timeout,
                 log=lambda line: print(f"  {line}", flush=True))  # fmt: skip
    print()
    print("\n".join(report.lines()))
    ok = report.missing == 0 and report.dead == 0 and report.delivered == report.notifications
    print("\nresult: " + ("every notification delivered" if ok else "NOT ALL DELIVERED"))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
