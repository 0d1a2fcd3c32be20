"""The Celery application: worker and beat for SLA sweeps, delivery and timers."""

import os
from typing import Any

from celery import Celery, bootsteps
from celery.beat import PersistentScheduler
from celery.signals import task_postrun, task_prerun, worker_shutdown

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")

app = Celery("helpdesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


class WorkerHeartbeat(bootsteps.StartStopStep):
    """Writes the worker's liveness to Redis every HEARTBEAT_INTERVAL seconds."""

    requires = ("celery.worker.components:Timer",)

    # `worker` is the WorkController; the Timer step this one requires has set its timer.
    def __init__(self, worker: Any, **kwargs: Any) -> None:
        super().__init__(worker, **kwargs)
        self.tref = None

    def start(self, worker: Any) -> None:
        from django.conf import settings

        from core import heartbeats

        heartbeats.record_worker(worker.hostname)
        self.tref = worker.timer.call_repeatedly(
            settings.HEARTBEAT_INTERVAL, heartbeats.record_worker, (worker.hostname,), priority=10
        )

    def stop(self, worker: Any) -> None:
        if self.tref is not None:
            self.tref.cancel()
            self.tref = None


app.steps["worker"].add(WorkerHeartbeat)


@worker_shutdown.connect
def _forget_worker(sender: Any = None, **kwargs: Any) -> None:
    # A cleanly stopped worker is down at once, not after HEARTBEAT_MAX_AGE.
    from core import heartbeats

    if sender is not None:
        heartbeats.forget_worker(sender.hostname)


@task_prerun.connect
@task_postrun.connect
def _close_old_connections(sender: Any = None, **kwargs: Any) -> None:
    # With CELERY_DB_REUSE_MAX set, the worker keeps its connection across tasks (see
    # settings). As around a request, a connection older than CONN_MAX_AGE is closed,
    # and one whose task failed is closed if it no longer works; with CONN_HEALTH_CHECKS
    # the next task's first query also checks it and reconnects if the server dropped it.
    # A task run eagerly runs inside its caller's connection (and maybe its transaction):
    # that one is not the task's to close, as in Celery's own fixup.
    if getattr(getattr(sender, "request", None), "is_eager", False):
        return
    from django.db import close_old_connections

    close_old_connections()


class HeartbeatScheduler(PersistentScheduler):
    """Celery beat's scheduler, which also records that beat is alive."""

    def tick(self, *args: Any, **kwargs: Any) -> float:
        from django.conf import settings

        from core import heartbeats

        heartbeats.record_beat()
        next_in = super().tick(*args, **kwargs)
        return min(next_in, settings.HEARTBEAT_INTERVAL)
