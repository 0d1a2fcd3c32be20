"""A task for tests only: which PostgreSQL backend served it (the worker loads this module
through ``worker_settings``)."""

import redis
from celery import shared_task
from django.conf import settings
from django.db import connection


@shared_task(name="tests.probe_backend_pid")
def probe_backend_pid(key: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    redis.Redis.from_url(settings.REDIS_URL).rpush(key, pid)
