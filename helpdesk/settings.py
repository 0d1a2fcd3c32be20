"""Settings for the helpdesk, driven by environment variables (README lists them all).

With no DATABASE_URL / REDIS_URL the project starts (if needed) and uses the
embedded PostgreSQL and Redis under .local/ (see helpdesk/embedded.py).
"""

import warnings
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _
from kombu import Exchange as KombuExchange
from kombu import Queue as KombuQueue

from helpdesk import embedded
from helpdesk.web_address import local_site_url

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)


def _development_secret_key() -> str:
    """A per-checkout random key so a fresh clone runs without configuration."""
    import secrets

    path = embedded.STATE_DIR / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = env.str("SECRET_KEY", default="") or _development_secret_key()
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Links in mail start with this; unset, it follows `make run`'s WEB_HOST and WEB_PORT.
SITE_URL = env.str("SITE_URL", default="") or local_site_url(
    env.str("WEB_HOST", default=""), env.int("WEB_PORT", default=8000)
)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.postgres",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "template_partials",
    "csp",
    "axes",
    "core",
    "helpdesk",
    "accounts",
    "tickets",
    "sops",
    "escalations",
    "exports",
    "safety",
    "chat",
    "quality",
    "analytics",
    "identity",
    "privacy",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "demo",
    "django_ratelimit",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # Before anything reads the session: a NUL anywhere in a request is a 400, not a 500.
    "helpdesk.middleware.RejectNulMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A signed-in person's own UI language wins over the browser's (LocaleMiddleware).
    "helpdesk.middleware.UserLanguageMiddleware",
    "helpdesk.middleware.UserTimezoneMiddleware",
    "helpdesk.middleware.ConfigVersionMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # A signed-in request's session limits, networks and hold for second-factor enrolment.
    "identity.middleware.AccessMiddleware",
    # Reads of tickets, files, searches, exports and the API, for the access log (one
    # Redis push after a successful GET on a registered route).
    "privacy.access.AccessLogMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # One page's "Load remote images" adds those images' origins to its img-src.
    "tickets.remote_images.RemoteImagesCSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Axes must come last: it answers locked-out sign-ins before the view runs.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "helpdesk.urls"
WSGI_APPLICATION = "helpdesk.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "helpdesk.context_processors.navigation",
            ],
        },
    },
    {
        # Only for hot fragments (queue rows); pages stay in Django templates.
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "templates" / "jinja2"],
        "APP_DIRS": False,
        "OPTIONS": {
            "environment": "helpdesk.jinja2.environment",
            "extensions": ["jinja2.ext.i18n"],
        },
    },
]

# ------------------------------------------------------------------ database

DATABASE_URL = env.str("DATABASE_URL", default="")
if DATABASE_URL:
    DATABASES = {"default": env.db_url_config(DATABASE_URL)}
else:
    _pg = embedded.ensure_postgres()
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            # Another database on the same embedded server (benchmarks use their own).
            "NAME": env.str("EMBEDDED_DATABASE_NAME", default=embedded.DATABASE_NAME),
            "USER": embedded.DATABASE_USER,
            "HOST": str(_pg.socket_dir),
            "PORT": str(_pg.port),
        }
    }
DATABASES["default"].setdefault("OPTIONS", {})
DATABASES["default"]["OPTIONS"].setdefault(
    "connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", 5)
)
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# DATABASE_POOL_SIZE: a pool of this many connections (psycopg_pool) instead of persistent
# ones. The push server (helpdesk.asgi) sets it: its requests run their sync parts in
# threads that come and go, so a connection kept per thread would sit idle, and one opened
# per lookup costs a connection's set-up each time (several per stream opening).
DATABASE_POOL_SIZE = env.int("DATABASE_POOL_SIZE", default=0)
if DATABASE_POOL_SIZE:
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"]["pool"] = {
        "min_size": 1,
        "max_size": DATABASE_POOL_SIZE,
        "timeout": env.int("DATABASE_POOL_TIMEOUT", default=10),
        # After a burst (every browser reconnecting) the pool shrinks back within minutes.
        "max_idle": 60,
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# --------------------------------------------------------------------- redis

REDIS_URL = env.str("REDIS_URL", default="") or embedded.redis_url(db=0)

CACHES = {
    "default": {
        "BACKEND": "helpdesk.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "helpdesk",
        "TIMEOUT": 300,
    }
}

# -------------------------------------------------------------------- celery


def celery_broker_url(redis_url: str) -> str:
    """Kombu spells a Unix-socket Redis URL differently from redis-py."""
    if redis_url.startswith("unix://"):
        path, _, query = redis_url.removeprefix("unix://").partition("?")
        db = dict(part.split("=", 1) for part in query.split("&") if "=" in part).get("db", "0")
        return f"redis+socket://{path}?virtual_host={db}"
    return redis_url


CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="") or celery_broker_url(REDIS_URL)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
# At-least-once delivery: a task is acknowledged only after it ran, and comes
# back if its worker dies. Tasks are written to be safe to run twice.
CELERY_TASK_ACKS_LATE = True
# Workers consume both queues, in turn (the Redis transport rotates between them).
# "timers" carries the beat sweeps and what they hand over (retries, sends a killed
# worker left), so deadlines and redeliveries never wait behind a backlog of first
# deliveries in "celery".
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES = (
    KombuQueue("celery", KombuExchange("celery"), routing_key="celery"),
    KombuQueue("timers", KombuExchange("timers"), routing_key="timers"),
)
CELERY_TASK_ROUTES = {
    "tickets.tasks.sweep_notifications": {"queue": "timers"},
    "tickets.tasks.sweep_sla": {"queue": "timers"},
    "escalations.tasks.sweep_pages": {"queue": "timers"},
    "exports.tasks.sweep_exports": {"queue": "timers"},
    "safety.tasks.sweep_derivatives": {"queue": "timers"},
}
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
# Unacknowledged messages return to the queue after this many seconds
# (Redis's default is an hour). Must exceed the task time limit.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=360),
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Celery's Django fixup closes the worker's database connections before and after every
# task (a new PostgreSQL backend process per task) unless this is set; it then closes
# them only every this many tasks. helpdesk/celery.py closes them as Django does after a
# request instead: once older than CONN_MAX_AGE, or broken.
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=1000)
CELERY_BEAT_SCHEDULER = "helpdesk.celery:HeartbeatScheduler"
CELERY_BEAT_SCHEDULE_FILENAME = str(
    env.path("CELERY_BEAT_SCHEDULE_FILENAME", default=embedded.STATE_DIR / "celerybeat-schedule")
)
# Every periodic task of the project is declared here, and only here.
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    # Live chat: offers past their time, waiting chats, idle requesters, silent agents.
    "chat-sweep": {
        "task": "chat.tasks.sweep",
        "schedule": env.float("CHAT_SWEEP_SECONDS", default=5.0),
    },
    "tickets-sweep-notifications": {
        "task": "tickets.tasks.sweep_notifications",
        "schedule": env.float("NOTIFICATION_SWEEP_SECONDS", default=10.0),
    },
    # Facts into the dashboards' rollups: a change shows within this and a page load.
    "analytics-fold": {
        "task": "analytics.tasks.fold",
        "schedule": env.float("ANALYTICS_FOLD_SECONDS", default=10.0),
    },
    # Scheduled reports go out at whole hours; checking each minute sends them on time.
    "analytics-send-reports": {
        "task": "analytics.tasks.send_reports",
        "schedule": env.float("ANALYTICS_REPORTS_SECONDS", default=60.0),
    },
    # The last three weeks' weekly rollups against their days (a worker left running
    # older code folds days only); rebuilt where they differ, and logged.
    "analytics-check-weeks": {
        "task": "analytics.tasks.check_weeks",
        "schedule": crontab(hour=3, minute=17),
    },
    "analytics-watch-spikes": {
        "task": "analytics.tasks.schedule_spike_watch",
        "schedule": crontab(minute="*/10"),
    },
    "tickets-refresh-queue-counts": {
        "task": "tickets.tasks.refresh_queue_counts",
        "schedule": 5.0,
    },
    # The counts follow the ticket changes; this recount corrects and logs any drift.
    "tickets-recount-queue-counts": {
        "task": "tickets.tasks.recount_queue_counts",
        "schedule": 600.0,
    },
    "tickets-refresh-queue-facets": {
        "task": "tickets.tasks.refresh_queue_facets",
        # Inside the cached copy's ten minutes, so no request pays for the recount.
        "schedule": 300.0,
    },
    "tickets-sweep-sla": {
        "task": "tickets.tasks.sweep_sla",
        "schedule": env.float("SLA_SWEEP_SECONDS", default=10.0),
    },
    "tickets-close-quiet-solved": {
        "task": "tickets.tasks.close_quiet_solved_tickets",
        "schedule": 300.0,
    },
    "tickets-poll-mailboxes": {
        "task": "tickets.tasks.poll_mailboxes",
        "schedule": env.float("IMAP_POLL_SECONDS", default=60.0),
    },
    "escalations-sweep-pages": {
        "task": "escalations.tasks.sweep_pages",
        "schedule": env.float("PAGE_SWEEP_SECONDS", default=20.0),
    },
    # Satisfaction surveys fall due a delay after each solve; sent within the minute.
    "quality-send-surveys": {
        "task": "quality.tasks.send_surveys",
        "schedule": env.float("CSAT_SEND_SECONDS", default=60.0),
    },
    "quality-remind-disputes": {
        "task": "quality.tasks.remind_disputes",
        "schedule": 3600.0,
    },
    "exports-sweep": {
        "task": "exports.tasks.sweep_exports",
        "schedule": env.float("EXPORT_SWEEP_SECONDS", default=60.0),
    },
    # Erasure requests whose grace period has passed (and those a released hold frees).
    # Reads recorded by the access log's middleware, moved from Redis into PostgreSQL.
    "privacy-drain-access-log": {
        "task": "privacy.tasks.drain_access_log",
        "schedule": env.float("PRIVACY_ACCESS_DRAIN_SECONDS", default=5.0),
    },
    # Retention policies: a short run every 10 minutes, up to the day's cap.
    "privacy-run-retention": {
        "task": "privacy.tasks.run_retention",
        "schedule": crontab(minute="*/10"),
    },
    "privacy-run-erasures": {
        "task": "privacy.tasks.run_erasures",
        "schedule": env.float("PRIVACY_SWEEP_SECONDS", default=600.0),
    },
    # Protected previews a lost task left pending (a broker down when the file came).
    "safety-sweep-derivatives": {
        "task": "safety.tasks.sweep_derivatives",
        "schedule": 300.0,
    },
}
# Trust & safety: where a decision on a reported item is sent for the affected account
# (the signed webhook "safety.decision"; none when empty), and the window of exposure
# that counts toward the caps (a rolling "shift" of this many hours).
SAFETY_WEBHOOK_URL = env.str("SAFETY_WEBHOOK_URL", default="")
SAFETY_WEBHOOK_SECRET = env.str("SAFETY_WEBHOOK_SECRET", default="")
SAFETY_SHIFT_HOURS = env.int("SAFETY_SHIFT_HOURS", default=9)
# Live chat (chat/): the queue chats start in (migration chat 0002 creates "chat"), the
# queue a left message goes to ("" keeps it in the chat queue), how long an offer waits
# for the agent, when an idle requester is reminded and the chat ended, when an agent whose
# signs of life stopped is set offline, when the page sets an inactive agent away, and
# when the chat offers to leave a message instead (line longer than, or wait above).
CHAT_QUEUE = env.str("CHAT_QUEUE", default="chat")
CHAT_FALLBACK_QUEUE = env.str("CHAT_FALLBACK_QUEUE", default="")
CHAT_OFFER_SECONDS = env.int("CHAT_OFFER_SECONDS", default=30)
# An agent who let a chat's offer go is skipped for it until this long after the last
# pass; then the chat, if still waiting, is offered to everyone available again.
# (At least a second: at 0 the agent who just declined would be offered it again at once.)
CHAT_REOFFER_SECONDS = max(1, env.int("CHAT_REOFFER_SECONDS", default=60))
CHAT_IDLE_REMIND_SECONDS = env.int("CHAT_IDLE_REMIND_SECONDS", default=180)
CHAT_IDLE_CLOSE_SECONDS = env.int("CHAT_IDLE_CLOSE_SECONDS", default=360)
CHAT_OFFLINE_AFTER_SECONDS = env.int("CHAT_OFFLINE_AFTER_SECONDS", default=90)
CHAT_AWAY_AFTER_SECONDS = env.int("CHAT_AWAY_AFTER_SECONDS", default=600)
CHAT_MAX_LINE = env.int("CHAT_MAX_LINE", default=20)
CHAT_MAX_WAIT_SECONDS = env.int("CHAT_MAX_WAIT_SECONDS", default=600)
# A chat in line whose requester has given no sign of life this long (the page closed)
# becomes an email ticket, as if they had left a message (chat.services.sweep_abandoned).
CHAT_ABANDON_SECONDS = env.int("CHAT_ABANDON_SECONDS", default=300)
# How much of an agent's conversation limit a ticket in hand uses, by channel (a live chat
# 1; other channels nothing unless set, e.g. CHAT_CAPACITY_WEIGHTS=chat=1,email=0.25).
CHAT_CAPACITY_WEIGHTS = {key: float(value) for key, value in env.dict(
    "CHAT_CAPACITY_WEIGHTS", default={"chat": "1"}).items()}  # fmt: skip
# Sites that may embed the chat (its script calls our API from their pages).
CHAT_EMBED_ORIGINS = env.list("CHAT_EMBED_ORIGINS", default=[])
# The push server (uvicorn, `push` in the Procfile) serves the event streams under
# /push/. Browsers reach it at PUSH_URL: the site's own URL when a proxy sends /push/ to
# it; `make run` sets http://<host>:8001; empty, there is no push and pages poll.
# PUSH_STREAM_SECONDS: a stream's lifetime before the browser reconnects (and is checked
# again); PUSH_ALLOWED_ORIGINS: pages that may read agents' streams from another port or
# host (with their cookies); SITE_URL's always may.
PUSH_URL = env.str("PUSH_URL", default="").rstrip("/")
PUSH_STREAM_SECONDS = env.int("PUSH_STREAM_SECONDS", default=300)
PUSH_ALLOWED_ORIGINS = env.list("PUSH_ALLOWED_ORIGINS", default=[])
# Each open stream waits on Redis with a connection of its own: this is the most streams a
# push server process holds (redis-py's own default, 100, refused the 101st).
PUSH_MAX_STREAMS = env.int("PUSH_MAX_STREAMS", default=5000)
# How long an erasure request waits before it runs (cancellable until then).
PRIVACY_ERASURE_GRACE_DAYS = env.int("PRIVACY_ERASURE_GRACE_DAYS", default=30)
# Redaction suggestions: the region phone numbers are read in when the requester's is not
# known, and extra regular expressions to suggest (PRIVACY_REDACTION_PATTERNS, separated
# by "||", e.g. an internal account-number format: "ACC-[0-9]{8}").
# The access log (privacy.access): months kept (partitions older are dropped), and when a
# person's ticket views in a window raise an alert to the admins: at least MIN_VIEWS, and
# FACTOR times their average window over the past 14 days.
PRIVACY_ACCESS_LOG_MONTHS = env.int("PRIVACY_ACCESS_LOG_MONTHS", default=13)
PRIVACY_ACCESS_ALERT_MINUTES = env.int("PRIVACY_ACCESS_ALERT_MINUTES", default=10)
PRIVACY_ACCESS_ALERT_FACTOR = env.float("PRIVACY_ACCESS_ALERT_FACTOR", default=5.0)
PRIVACY_ACCESS_ALERT_MIN_VIEWS = env.int("PRIVACY_ACCESS_ALERT_MIN_VIEWS", default=100)
# Retention (privacy.retention): at most this many tickets a day, in batches of this many.
PRIVACY_RETENTION_DAILY_CAP = env.int("PRIVACY_RETENTION_DAILY_CAP", default=200_000)
PRIVACY_RETENTION_BATCH = env.int("PRIVACY_RETENTION_BATCH", default=500)
# Each run (every 10 minutes) works this long at most, resting between batches.
PRIVACY_RETENTION_RUN_SECONDS = env.float("PRIVACY_RETENTION_RUN_SECONDS", default=60.0)
PRIVACY_RETENTION_PAUSE_SECONDS = env.float("PRIVACY_RETENTION_PAUSE_SECONDS", default=3.0)
PRIVACY_PHONE_REGION = env.str("PRIVACY_PHONE_REGION", default="US")
PRIVACY_REDACTION_PATTERNS = [pattern for pattern in env.str(
    "PRIVACY_REDACTION_PATTERNS", default="").split("||") if pattern]  # fmt: skip
# Escalations fall due this many minutes after they are raised, by severity
# (ESCALATION_DUE_MINUTES="60,240,1440,4320" for SEV1..SEV4).
ESCALATION_DUE_MINUTES = dict(
    zip(
        (1, 2, 3, 4),
        (int(m) for m in env.list("ESCALATION_DUE_MINUTES", default=["60", "240", "1440", "4320"])),
        strict=True,
    )
)
# The outbox: retries with exponential backoff (base, cap) and jitter; dead after
# the last attempt; a send still "sending" after the timeout is retried.
NOTIFICATION_MAX_ATTEMPTS = env.int("NOTIFICATION_MAX_ATTEMPTS", default=8)
NOTIFICATION_RETRY_BASE_SECONDS = env.float("NOTIFICATION_RETRY_BASE_SECONDS", default=30)
NOTIFICATION_RETRY_MAX_SECONDS = env.float("NOTIFICATION_RETRY_MAX_SECONDS", default=3600)
# Longer than any one send can take (EMAIL_TIMEOUT, WEBHOOK_TIMEOUT_SECONDS), and short
# enough that a send lost with a killed worker is retried within a minute.
NOTIFICATION_SENDING_TIMEOUT = env.int("NOTIFICATION_SENDING_TIMEOUT", default=30)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=15)
# A due notification handed to the broker is handed over again only after this long
# (its task may still be queued behind others; a lost one is sent again).
NOTIFICATION_REENQUEUE_SECONDS = env.int("NOTIFICATION_REENQUEUE_SECONDS", default=30)
# ...unless the broker already holds more messages than this (they are most likely
# still in it); retries and sends reclaimed from a dead worker are handed over anyway.
NOTIFICATION_REENQUEUE_MAX_BACKLOG = env.int("NOTIFICATION_REENQUEUE_MAX_BACKLOG", default=200)
# Vendor webhooks: connect and read timeouts (seconds), and hosts allowed even though
# they resolve to private or loopback addresses (tests, a receiver on the same host).
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=10.0)
WEBHOOK_ALLOWED_PRIVATE_HOSTS = env.list("WEBHOOK_ALLOWED_PRIVATE_HOSTS", default=[])
# After a secret rotation, webhooks are signed with the old secret too for this long.
WEBHOOK_SECRET_GRACE_HOURS = env.int("WEBHOOK_SECRET_GRACE_HOURS", default=24)
# One SLA sweep works through due clocks for at most this long; the next goes on.
SLA_SWEEP_BUDGET_SECONDS = env.float("SLA_SWEEP_BUDGET_SECONDS", default=50.0)
EMAIL_MESSAGE_ID_DOMAIN = env.str("EMAIL_MESSAGE_ID_DOMAIN", default="helpdesk.localhost")
# CSV exports: how long a finished file (and its signed download links) is kept, the most
# rows one file may hold, how many of a person's exports may be waiting or running at once,
# every how many rows the progress is saved, and after how many seconds a job still
# waiting for a worker is handed over again (its hand-over was lost).
EXPORT_EXPIRY_HOURS = env.float("EXPORT_EXPIRY_HOURS", default=24.0)
EXPORT_MAX_ROWS = env.int("EXPORT_MAX_ROWS", default=1_000_000)
EXPORT_MAX_UNFINISHED = env.int("EXPORT_MAX_UNFINISHED", default=3)
EXPORT_PROGRESS_ROWS = env.int("EXPORT_PROGRESS_ROWS", default=2000)
EXPORT_REQUEUE_SECONDS = env.int("EXPORT_REQUEUE_SECONDS", default=120)
# Solved tickets close after this many hours without a requester reply.
TICKET_AUTO_CLOSE_HOURS = env.int("TICKET_AUTO_CLOSE_HOURS", default=96)
# Largest attachment accepted, in bytes.
ATTACHMENT_MAX_BYTES = env.int("ATTACHMENT_MAX_BYTES", default=20 * 1024 * 1024)
# An agent's files go with their reply by email up to this total (mail servers commonly
# refuse messages over 25 MB, and base64 adds a third); the rest are named in the text.
EMAIL_ATTACHMENTS_MAX_BYTES = env.int("EMAIL_ATTACHMENTS_MAX_BYTES", default=15 * 1024 * 1024)
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# How old a worker's or beat's heartbeat may be before /healthz calls it down.
HEARTBEAT_INTERVAL = env.float("HEARTBEAT_INTERVAL", default=5.0)
HEARTBEAT_MAX_AGE = env.float("HEARTBEAT_MAX_AGE", default=30.0)

# ----------------------------------------------------------------------- auth

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "identity:sign_in"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "identity:sign_in"

# Brute-force protection (accounts/lockout.py): failed sign-ins are counted for one
# account from one address (AXES_FAILURE_LIMIT), for one account from any address
# (AXES_ACCOUNT_FAILURE_LIMIT) and from one address for any account
# (AXES_ADDRESS_FAILURE_LIMIT); reaching any limit locks out for the cool-off time.
AXES_HANDLER = "accounts.lockout.LockoutHandler"
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_ACCOUNT_FAILURE_LIMIT = env.int("AXES_ACCOUNT_FAILURE_LIMIT", default=20)
AXES_ADDRESS_FAILURE_LIMIT = env.int("AXES_ADDRESS_FAILURE_LIMIT", default=30)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "username", "ip_address"]
# The sign-in form's field is "username" (holding the email); counting failures
# under the lower-cased address stops "Ana@" and "ana@" being counted apart.
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "accounts.lockout.attempted_username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
TRUSTED_PROXY_COUNT = env.int("AXES_PROXY_COUNT", default=0)
# The proxies (address ranges) whose X-Forwarded-For is believed; when set, it replaces
# the count above (accounts.lockout.client_address).
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
# The client's address behind TRUSTED_PROXY_COUNT proxies, for lockouts and rate limits
# (django-ratelimit: the help center, password resets) alike.
AXES_CLIENT_IP_CALLABLE = "accounts.lockout.client_address"
RATELIMIT_IP_META_KEY = "accounts.lockout.client_address"
AXES_VERBOSE = False
# Sign-in (identity/). Wrong second-factor codes per person, on top of django-otp's
# per-device backoff and the five tries each sign-in gets (django-ratelimit's rate).
SECOND_FACTOR_RATE = env.str("SECOND_FACTOR_RATE", default="10/15m")
# How old the per-process copy of the access policies may be (identity.policy).
IDENTITY_POLICY_SECONDS = env.float("IDENTITY_POLICY_SECONDS", default=5.0)
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Helpdesk")
# WebAuthn: the relying party is the host name the request came to unless set (it must
# be a name, not an address: localhost works over plain HTTP, anything else needs HTTPS).
WEBAUTHN_RP_ID = env.str("WEBAUTHN_RP_ID", default="")
# Password-reset mail (accounts.views.PasswordResetView): at most this many requests per
# address and per account (django-ratelimit's "count/period"); past that the page says
# the link was sent and nothing is sent.
PASSWORD_RESET_RATE_PER_ADDRESS = env.str("PASSWORD_RESET_RATE_PER_ADDRESS", default="10/h")
PASSWORD_RESET_RATE_PER_ACCOUNT = env.str("PASSWORD_RESET_RATE_PER_ACCOUNT", default="3/h")

# ------------------------------------------------------------------ language

LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("es", _("Spanish")),
    ("ar", _("Arabic")),
    ("ja", _("Japanese")),
    ("zh-hans", _("Simplified Chinese")),
    ("ru", _("Russian")),
    ("pt", _("Portuguese")),
    ("fr", _("French")),
    ("de", _("German")),
]
# Languages agents can answer in (skills) and requesters can write in; broader
# than the UI languages above.
SKILL_LANGUAGES = [
    ("en", _("English")),
    ("es", _("Spanish")),
    ("pt", _("Portuguese")),
    ("fr", _("French")),
    ("de", _("German")),
    ("it", _("Italian")),
    ("nl", _("Dutch")),
    ("pl", _("Polish")),
    ("tr", _("Turkish")),
    ("ru", _("Russian")),
    ("uk", _("Ukrainian")),
    ("ar", _("Arabic")),
    ("he", _("Hebrew")),
    ("fa", _("Persian")),
    ("hi", _("Hindi")),
    ("id", _("Indonesian")),
    ("th", _("Thai")),
    ("vi", _("Vietnamese")),
    ("ja", _("Japanese")),
    ("ko", _("Korean")),
    ("zh", _("Chinese")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True
# One date and time format per UI language, used across the product.
FORMAT_MODULE_PATH = ["helpdesk.formats"]

# -------------------------------------------------------------------- static

STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
NODE_MODULES = BASE_DIR / "node_modules"
# Third-party assets come from npm (package-lock.json), never copied into the repo.
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/bootstrap", NODE_MODULES / "bootstrap" / "dist"),
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/chartjs", NODE_MODULES / "chart.js" / "dist"),
    ("vendor/simplewebauthn", NODE_MODULES / "@simplewebauthn" / "browser" / "dist" / "bundle"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# In development and tests WhiteNoise serves straight from the finders, so an
# absent STATIC_ROOT (collectstatic not run) is expected, not worth a warning.
warnings.filterwarnings("ignore", message="No directory at", module="whitenoise.base")
MEDIA_ROOT = env.path("MEDIA_ROOT", default=embedded.STATE_DIR / "media")
MEDIA_URL = "/media/"

# --------------------------------------------------------------------- email

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Helpdesk <helpdesk@localhost>")
# Inbound email: the queue new tickets from email land in (a queue slug; without one,
# new mail waits in quarantine), more addresses of ours whose mail is ignored (loops),
# and the bearer token the raw-MIME webhook requires (empty: the webhook is off).
INBOUND_EMAIL_QUEUE = env.str("INBOUND_EMAIL_QUEUE", default="")
INBOUND_EMAIL_OWN_ADDRESSES = env.list("INBOUND_EMAIL_OWN_ADDRESSES", default=[])
INBOUND_EMAIL_WEBHOOK_TOKEN = env.str("INBOUND_EMAIL_WEBHOOK_TOKEN", default="")
# Receipts for new tickets from email (a mailbox's own setting wins for mail sent to
# it), and how many receipts one sender gets at most per window (loops, floods).
INBOUND_EMAIL_ACKNOWLEDGE = env.bool("INBOUND_EMAIL_ACKNOWLEDGE", default=True)
EMAIL_ACK_LIMIT = env.int("EMAIL_ACK_LIMIT", default=3)
EMAIL_ACK_WINDOW_MINUTES = env.int("EMAIL_ACK_WINDOW_MINUTES", default=60)
# IMAP mailboxes (configured in the admin) are polled this often, this many messages
# per mailbox per poll, with this network timeout in seconds.
IMAP_POLL_SECONDS = env.float("IMAP_POLL_SECONDS", default=60.0)
IMAP_BATCH = env.int("IMAP_BATCH", default=200)
IMAP_TIMEOUT = env.int("IMAP_TIMEOUT", default=30)
# The public help center's request form: the queue its tickets land in (a slug; empty
# turns the form off), the categories it offers, and how many requests one address may
# send (django-ratelimit's "count/period" syntax).
HELP_CENTER_QUEUE = env.str("HELP_CENTER_QUEUE", default="general-support")
HELP_CENTER_CATEGORIES = env.list(
    "HELP_CENTER_CATEGORIES", default=["account", "billing", "safety", "privacy", "bugs", "other"]
)
HELP_CENTER_RATE = env.str("HELP_CENTER_RATE", default="5/10m")
# Requests per app key (in-app requests API).
INAPP_RATE_LIMIT = env.str("INAPP_RATE_LIMIT", default="600/minute")
# django-ratelimit only vouches for django-redis; Django's own RedisCache also counts
# with Redis's atomic INCR (cache.add then cache.incr), which is all it needs.
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"]
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# ------------------------------------------------------------------ security

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
if env.bool("BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# /healthz is probed over plain HTTP by load balancers and compose.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# No inline scripts or styles anywhere: every script is a static file.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF, *([PUSH_URL] if PUSH_URL else [])],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# ----------------------------------------------------------------------- API

REST_FRAMEWORK = {
    # DRF's token check and IsAuthenticated, charging refused calls to the "anon" rate
    # (helpdesk/api_throttling.py).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "helpdesk.api_throttling.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["helpdesk.api_throttling.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    # DRF's parsers, refusing NULs anywhere in a body and JSON nested too deep (400).
    "DEFAULT_PARSER_CLASSES": [
        "helpdesk.api.JSONParser",
        "helpdesk.api.FormParser",
        "helpdesk.api.MultiPartParser",
    ],
    # Signed-in callers per person; calls without a sign-in (refused ones included) per
    # address, so guessing tokens or hammering the API from one address is slowed down.
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.UserRateThrottle",
        "helpdesk.api_throttling.AnonRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "user": env.str("API_RATE_LIMIT", default="1200/minute"),
        "anon": env.str("API_ANON_RATE_LIMIT", default="60/minute"),
    },
    # The caller's address: with no proxy in front, the connection's, never a
    # client-sent X-Forwarded-For (which would make every call a new address).
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Helpdesk API",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI's files come from the drf-spectacular-sidecar package, not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {"PriorityEnum": "tickets.models.Priority"},
}

# ------------------------------------------------------------------- logging

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"axes": {"level": "WARNING"}, "pgserver": {"level": "WARNING"}},
}

# Analytics (docs/metrics.md). A team whose on-call rotation is paged for each spike alert
# (its slug; empty: none).
ANALYTICS_SPIKE_PAGE_TEAM = env.str("ANALYTICS_SPIKE_PAGE_TEAM", default="")
# Long ranges read daily and weekly rollups kept per local day and week in each of these
# time zones (each costs the fold more than the hourly rollups); a viewer in another zone
# reads UTC's days inside the range and hours at its edges (slower, as exact).
ANALYTICS_DAY_ZONES = env.list("ANALYTICS_DAY_ZONES", default=["UTC"])
# PostgreSQL's work_mem for the fold's transaction (one fold runs at a time; each sort or
# hash of its statements may take this much, hashes twice with the default
# hash_mem_multiplier): with the server's default 4 MB, a backfill's batch of 400,000
# facts sorts on disk. Lower it on a small database server.
ANALYTICS_FOLD_WORK_MEM = env.str("ANALYTICS_FOLD_WORK_MEM", default="256MB")
