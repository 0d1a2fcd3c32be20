"""The requester's side of chat, under the help center (/help/chat/)."""

from django.urls import path

from chat import views

app_name = "chat_help"

urlpatterns = [
    path("", views.chat_page, name="page"),
    path("config/", views.chat_config, name="config"),
    path("start/", views.chat_start, name="start"),
    path("s/<str:token>/", views.chat_state, name="state"),
    path("s/<str:token>/messages/", views.chat_send, name="send"),
    path("s/<str:token>/files/", views.chat_send_file, name="send_file"),
    path("s/<str:token>/files/<int:pk>/", views.chat_file, name="file"),
    path("s/<str:token>/typing/", views.chat_typing, name="typing"),
    path("s/<str:token>/end/", views.chat_end, name="end"),
    path("s/<str:token>/leave/", views.chat_leave_message, name="leave"),
    path("s/<str:token>/transcript/", views.chat_transcript, name="transcript"),
]
