"""The small override for the test suite: same services, separate Redis db."""

import os
from urllib.parse import urlsplit, urlunsplit

os.environ.setdefault("DEBUG", "0")

from helpdesk.settings import *  # noqa: E402, F403
from helpdesk.settings import REDIS_URL, celery_broker_url  # noqa: E402


def _with_db(url: str, db: int) -> str:
    """The same Redis server, another logical database, so tests never touch dev data."""
    parts = urlsplit(url)
    if parts.scheme == "unix":
        return urlunsplit(parts._replace(query=f"db={db}"))
    return urlunsplit(parts._replace(path=f"/{db}"))


TEST_REDIS_DB = int(os.environ.get("TEST_REDIS_DB", "15"))
REDIS_URL = _with_db(REDIS_URL, TEST_REDIS_DB)
CACHES = {  # noqa: F405
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "helpdesk-test",
    }
}
CELERY_BROKER_URL = celery_broker_url(REDIS_URL)

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
STORAGES = {  # noqa: F405
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
HEARTBEAT_INTERVAL = 0.5
HEARTBEAT_MAX_AGE = 3.0
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
