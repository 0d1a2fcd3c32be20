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
