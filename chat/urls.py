from django.urls import path

from chat import views

app_name = "chat"

urlpatterns = [
    path("", views.console, name="console"),
    path("status/", views.status_set, name="status"),
    path("heartbeat/", views.heartbeat, name="heartbeat"),
    path("<int:pk>/accept/", views.accept, name="accept"),
    path("<int:pk>/decline/", views.decline, name="decline"),
    path("<int:pk>/send/", views.agent_send, name="send"),
    path("<int:pk>/typing/", views.agent_typing, name="typing"),
    path("<int:pk>/messages/", views.agent_messages, name="messages"),
    path("<int:pk>/end/", views.end, name="end"),
    path("<int:pk>/transfer/", views.transfer, name="transfer"),
]
