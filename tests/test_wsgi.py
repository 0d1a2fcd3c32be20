"""The WSGI application freezes the worker's long-lived objects out of the garbage
collector once warm, and otherwise passes every request through untouched."""

import gc

from helpdesk import wsgi


def test_the_worker_freezes_its_objects_once_after_its_first_requests(monkeypatch):
    frozen = []
    monkeypatch.setattr(gc, "freeze", lambda: frozen.append(True))
    seen = []

    def app(environ, start_response):  # type: ignore[no-untyped-def]
        seen.append(environ["PATH_INFO"])
        return [b"ok"]

    wrapped = wsgi.FreezeWhenWarm(app, after=3)
    for n in range(6):
        assert wrapped({"PATH_INFO": f"/{n}"}, None) == [b"ok"]
        assert len(frozen) == (1 if n >= 2 else 0)
    assert seen == [f"/{n}" for n in range(6)]


def test_the_application_gunicorn_serves_is_djangos_behind_the_freeze():
    assert isinstance(wsgi.application, wsgi.FreezeWhenWarm)
    assert wsgi.application.app is wsgi.django_application
    gc.unfreeze()  # importing the module froze this test process's objects too


def test_a_worker_loads_what_its_first_requests_would_before_serving_any():
    """Every UI language's catalogue, the holiday calendars (the first SLA count on a
    calendar with holidays) and what the first task sent resolves (Celery's result
    backend, the broker's transport, the router and the producer pool) are loaded when the
    worker imports the application, not in the middle of a person's first request
    (bench/agents.py: 100-200 ms on each worker's first replies), and without connecting
    to the broker. Checked in a fresh interpreter: this one has loaded them long ago."""
    import json
    import os
    import subprocess
    import sys

    from django.conf import settings

    code = (
        "import json, sys\n"
        "import django\n"
        "django.setup()\n"
        "from django.utils.translation import trans_real\n"
        "from helpdesk.celery import app\n"
        "from kombu.transport import TRANSPORT_ALIASES\n"
        "def loaded():\n"
        "    scheme = app.conf.broker_url.split(':', 1)[0].split('+', 1)[0]\n"
        "    transport = TRANSPORT_ALIASES.get(scheme, scheme).partition(':')[0]\n"
        "    celery = [app._backend is not None, 'router' in app.amqp.__dict__,\n"
        "              app.amqp._producer_pool is not None,\n"
        "              transport in sys.modules]\n"
        "    return ['holidays.countries' in sys.modules, sorted(trans_real._translations),\n"
        "            celery]\n"
        "before = loaded()\n"
        "import helpdesk.wsgi\n"
        "print(json.dumps([before, loaded()]))\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": settings.SETTINGS_MODULE}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, cwd=settings.BASE_DIR, timeout=120, check=True)  # fmt: skip
    before, after = json.loads(done.stdout.strip().splitlines()[-1])
    languages = sorted(code for code, _name in settings.LANGUAGES)
    assert before[0] is False and before[1] != languages and before[2] == [False] * 4
    assert after[0] is True
    assert set(languages) <= set(after[1])
    assert after[2] == [True] * 4, after[2]  # backend, router, producer pool, transport
