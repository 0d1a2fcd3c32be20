"""The WSGI application gunicorn serves.

Garbage collection: a worker holds some 150,000 long-lived objects (Django, the app,
compiled templates, URL resolvers, translations). Every full collection walked them
all, a 20–90 ms pause a few times a minute per worker under load: the largest part of
the queue's p99 under the mixed load. They are moved out of the collector's reach
(``gc.freeze``) once imported, and again once the worker has served its first requests
and its caches are warm; full collections then take about a millisecond.

Before the first freeze the worker loads what its first requests of each kind would
otherwise load in the middle of a person's request (``helpdesk.startup.warm_up``).
"""

import gc
import os
from collections.abc import Callable, Iterable
from typing import Any

from django.core.wsgi import get_wsgi_application

from helpdesk.startup import import_url_configuration, warm_up

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
WARM_AFTER_REQUESTS = 50


class FreezeWhenWarm:
    """Calls gc.freeze() after the worker's first WARM_AFTER_REQUESTS requests."""

    def __init__(self, app: Callable[..., Iterable[bytes]], after: int) -> None:
        self.app, self.left = app, after

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        if self.left > 0:
            self.left -= 1
            if self.left == 0:
                gc.freeze()
        return self.app(environ, start_response)


django_application = get_wsgi_application()
import_url_configuration()  # before the freeze: the view modules are long-lived too
warm_up()
gc.freeze()
application = FreezeWhenWarm(django_application, WARM_AFTER_REQUESTS)
