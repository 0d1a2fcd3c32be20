"""The project's URLs plus one that fails, for the 500 page's tests."""

from django.urls import path

from helpdesk.urls import urlpatterns as project_urlpatterns


def fail(request):  # type: ignore[no-untyped-def]
    raise RuntimeError("a bug")


urlpatterns = [*project_urlpatterns, path("test-failure/", fail)]
