"""Chat's API routes (under /api/v1/): a native app starts its user's chat with its key."""

from django.urls import path

from chat.inapp_api import InAppChatApi

urlpatterns = [
    path("inapp/chats/", InAppChatApi.as_view(), name="api-inapp-chats"),
]
