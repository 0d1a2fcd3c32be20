from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.utils import OperationalError

from core import heartbeats


def _masked(url: str) -> str:
    parts = urlsplit(url)
    if not parts.password:
        return url
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        parts = parts._replace(netloc=netloc)
    return urlunsplit(parts)


class Command(BaseCommand):
    help = "Check that PostgreSQL and Redis are reachable; say which one is not."

    def handle(self, *args: Any, **options: Any) -> None:
        problems = []
        db = settings.DATABASES["default"]
        where = (
            _masked(settings.DATABASE_URL)
            if settings.DATABASE_URL
            else (f"embedded PostgreSQL ({db['HOST']})")
        )
        try:
            connection.ensure_connection()
            version = connection.cursor().connection.info.server_version
            self.stdout.write(
                f"database: ok — PostgreSQL {version // 10000}.{version % 100} at {where}"
            )
        except OperationalError as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            problems.append(
                f"database: cannot reach PostgreSQL at {where}: {reason}\n"
                "  Start that server or fix DATABASE_URL;"
                " unset DATABASE_URL to use the embedded one."
            )
        redis_where = _masked(settings.REDIS_URL)
        try:
            heartbeats.client().ping()
            self.stdout.write(f"redis: ok — {redis_where}")
        except Exception as exc:  # redis-py raises several unrelated types
            problems.append(
                f"redis: cannot reach Redis at {redis_where}: {exc}\n"
                "  Start that server or fix REDIS_URL; unset REDIS_URL to use the embedded one."
            )
        if problems:
            raise CommandError("\n".join(problems))
