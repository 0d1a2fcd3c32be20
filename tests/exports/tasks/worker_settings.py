"""Settings for a test worker that writes exports where the test reads them: the test
settings keep files in memory, which another process cannot see."""

import os

from helpdesk.settings_test import *  # noqa: F403
from helpdesk.settings_test import STORAGES

STORAGES = {
    **STORAGES,
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": os.environ["TEST_EXPORTS_ROOT"]},
    },
}
