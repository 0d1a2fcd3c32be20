"""The event streams (/push/), served by the push server (uvicorn); see push_views."""

from django.urls import path

from chat import push_views

app_name = "push"

urlpatterns = [
    path("agent/", push_views.agent_stream, name="agent"),
    path("chat/<int:pk>/", push_views.chat_stream, name="chat"),
    path("c/<str:token>/", push_views.requester_stream, name="requester"),
]
