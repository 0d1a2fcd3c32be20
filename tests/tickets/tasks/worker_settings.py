"""Settings for a test worker that keeps connections as production does: the test
settings close them after every use (CONN_MAX_AGE 0), production keeps them a minute."""

from helpdesk.settings_test import *  # noqa: F403
from helpdesk.settings_test import DATABASES

DATABASES["default"]["CONN_MAX_AGE"] = 60
CELERY_IMPORTS = ("tests.tickets.tasks.worker_probe",)
