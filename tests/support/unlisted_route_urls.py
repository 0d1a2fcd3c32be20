"""The project's URLs plus one route that no tests/<app>/routes.py lists."""

from django.http import HttpResponse
from django.urls import include, path

urlpatterns = [
    path("", include("helpdesk.urls")),
    path("unlisted/", lambda request: HttpResponse(), name="unlisted"),
]
