"""The small override for the test suite: same services, separate Redis db."""

import os
from urllib.parse import urlsplit, urlunsplit

os.environ.setdefault("DEBUG", "0")

from helpdesk.settings import *  # noqa: F403
from helpdesk.settings import REDIS_URL, celery_broker_url


def _with_db(url: str, db: int) -> str:
    """The same Redis server, another logical database, so tests never touch dev data."""
    if url.startswith("unix://"):
        return f"{url.partition('?')[0]}?db={db}"
    return urlunsplit(urlsplit(url)._replace(path=f"/{db}"))


def _test_redis_db(base: int, xdist_worker: str) -> int:
    """The Redis database of this test process: TEST_REDIS_DB itself, or under pytest-xdist
    (`make test` runs `pytest -n N`) one per worker counting down from it: gw0 takes the
    base, gw1 the base minus one, and so on. A run with N workers so uses the N databases
    from TEST_REDIS_DB down; give runs that share a Redis server bases N apart."""
    db = base - int(xdist_worker.removeprefix("gw") or 0)
    if db < 1:  # database 0 holds the development data that tests flush
        raise ValueError(
            f"TEST_REDIS_DB={base} leaves xdist worker {xdist_worker} no Redis database above 0;"
            " raise TEST_REDIS_DB or run fewer workers."
        )
    return db


TEST_REDIS_DB = _test_redis_db(
    int(os.environ.get("TEST_REDIS_DB", "15")), os.environ.get("PYTEST_XDIST_WORKER", "")
)
REDIS_URL = _with_db(REDIS_URL, TEST_REDIS_DB)
CACHES = {
    "default": {
        "BACKEND": "helpdesk.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "helpdesk-test",
    }
}
CELERY_BROKER_URL = celery_broker_url(REDIS_URL)

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# A Celery worker started by a test writes its mail where the test can read it.
if os.environ.get("TEST_EMAIL_FILE_PATH"):
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = os.environ["TEST_EMAIL_FILE_PATH"]
# ... or sends it over SMTP to a test server (aiosmtpd) the test started.
if os.environ.get("TEST_SMTP_PORT"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST, EMAIL_PORT = "127.0.0.1", int(os.environ["TEST_SMTP_PORT"])
    EMAIL_USE_TLS = EMAIL_USE_SSL = False
    EMAIL_HOST_USER = EMAIL_HOST_PASSWORD = ""
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
# Retention's rest between batches (privacy.retention.run) would only slow the tests.
PRIVACY_RETENTION_PAUSE_SECONDS = 0.0
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
HEARTBEAT_INTERVAL = 0.5
HEARTBEAT_MAX_AGE = 3.0
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
# Two test runs on one machine (a developer's and a helper's) each need their own test
# database and Redis database: TEST_DATABASE_NAME and TEST_REDIS_DB keep them apart.
# Under pytest-xdist, pytest-django appends the worker's id to the name (test_helpdesk_gw0).
DATABASES["default"]["TEST"] = {  # noqa: F405
    "NAME": os.environ.get("TEST_DATABASE_NAME", "test_helpdesk")
}

# A Celery worker started by the tests runs in another process; it is told the
# name of pytest's test database through this variable.
if os.environ.get("HELPDESK_TEST_DATABASE_NAME"):
    DATABASES["default"]["NAME"] = os.environ["HELPDESK_TEST_DATABASE_NAME"]  # noqa: F405
