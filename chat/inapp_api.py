"""Live chat from a native app: the app starts the conversation for its signed-in user
with its own key, as it files in-app requests (``tickets.intake.inapp_api``); from then
on the app is the requester's client, talking through the chat's token on the help
center's chat endpoints and reading the push stream, as the web widget does."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from chat import services
from chat import views as chat_views
from chat.models import Chat
from core.urls import absolute_url
from tickets.intake.inapp_api import (
    AppKeyAuthentication,
    AppRateThrottle,
    AppRequest,
    AppUserSerializer,
    IsAppClient,
)

# The requester's endpoints, by the keys the answer gives them under (chat.help_urls).
TOKEN_ENDPOINTS = {"state": "chat_help:state", "send": "chat_help:send",
                   "send_file": "chat_help:send_file", "typing": "chat_help:typing",
                   "end": "chat_help:end",
                   "leave": "chat_help:leave", "transcript": "chat_help:transcript"}  # fmt: skip


def _push_url(token: str) -> str:
    """The chat's event stream on the push server; "" without one (the app polls)."""
    if not settings.PUSH_URL:
        return ""
    # PUSH_URL is the push server's root as SITE_URL is the site's: the same path on it.
    path = absolute_url("push:requester", token=token).removeprefix(settings.SITE_URL)
    return f"{settings.PUSH_URL}{path}"


def chat_urls(token: str) -> dict[str, str]:
    urls = {key: absolute_url(name, token=token) for key, name in TOKEN_ENDPOINTS.items()}
    return {**urls, "push": _push_url(token)}


class InAppChatApi(APIView):
    authentication_classes = [AppKeyAuthentication]
    permission_classes = [IsAppClient]
    throttle_classes = [AppRateThrottle]

    class InAppChatInputSerializer(AppUserSerializer):
        # The requester is found or made as for in-app requests: by the app's user id, else
        # the email. A chat needs a name to greet them by.
        name = serializers.CharField(max_length=150)
        message = serializers.CharField(max_length=20_000)
        client_id = serializers.CharField(max_length=64, required=False, allow_blank=True,
                                          default="")  # fmt: skip
        start_key = serializers.RegexField(
            r"^[A-Za-z0-9_-]{22,64}$", required=False, allow_blank=True, default="",
            help_text="The app's random key for this start (22-64 letters, digits, - or _). "
                      "Send the same key again when retrying a start whose answer was lost: "
                      "the chat the first try made comes back, with its token, not a second one.",
        )  # fmt: skip

        def validate_language(self, value: str) -> str:
            # As the help center's chat: the nearest language we speak, else the default.
            return chat_views.ui_language(value)

    class InAppChatOutputSerializer(serializers.Serializer):
        # The help center's start answer (chat.views.chat_start), and where to go next.
        token = serializers.CharField(help_text="The chat's key: keep it in the app only.")
        state = serializers.ChoiceField(choices=Chat.State.choices)
        reference = serializers.CharField()
        agent = serializers.CharField(help_text="The agent's first name, once one answers.")
        place = serializers.IntegerField(help_text="Place in line; 0 when not waiting.")
        wait_seconds = serializers.IntegerField(help_text="The expected wait in line.")
        fallback = serializers.CharField(
            help_text="Why to offer leaving a message instead of waiting (closed, nobody, "
                      "line, wait); empty: wait.")  # fmt: skip
        reminded = serializers.BooleanField()
        messages = inline_serializer(name="InAppChatMessage", many=True, fields={
            "id": serializers.IntegerField(),
            "from": serializers.CharField(help_text="requester, agent or system"),
            "name": serializers.CharField(), "body": serializers.CharField(),
            "at": serializers.DateTimeField(), "client": serializers.CharField(),
        })  # fmt: skip
        urls = inline_serializer(name="InAppChatUrls", fields={
            "state": serializers.URLField(help_text="GET: the chat's state; ?after=<message "
                                                    "id> for the messages after it."),
            "send": serializers.URLField(help_text='POST {"body", "client_id"}: a message.'),
            "typing": serializers.URLField(help_text="POST: the requester is typing."),
            "end": serializers.URLField(help_text="POST: the requester ends the chat."),
            "leave": serializers.URLField(help_text='POST {"body"}: leave a message instead '
                                                    "of waiting (answered by email)."),
            "transcript": serializers.URLField(help_text="POST: email the transcript."),
            "push": serializers.CharField(help_text="Server-sent events of this chat; empty "
                                                    "without a push server: poll state."),
        })  # fmt: skip

    @extend_schema(
        summary="Start a live chat for the app's user",
        description="The chat starts in line as from the help center; the app then talks "
        "through the token's URLs (the help center's chat endpoints) and reads the push "
        "stream, or polls the state when there is none. When `fallback` is set, offer to "
        "leave a message (`urls.leave`) rather than wait.",
        request=InAppChatInputSerializer,
        responses={
            201: InAppChatOutputSerializer,
            400: OpenApiResponse(
                description="A field is missing or wrong (`{field: [why]}`), "
                "or chat is not set up (`{detail, code}`)."
            ),
            401: OpenApiResponse(description="No app key, or an unknown or disabled one."),
            429: OpenApiResponse(description="The app's rate (INAPP_RATE_LIMIT) is used up."),
        },
    )
    def post(self, request: AppRequest) -> Response:
        data = self.InAppChatInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        chat, token = services.chat_start(
            name=values["name"], email=values["email"], external_id=values["user_id"],
            language=values["language"], body=values["message"], client_id=values["client_id"],
            origin=f"app:{request.auth.name}", start_key=values["start_key"],
        )  # fmt: skip
        answer = {"token": token, **chat_views.state_payload(chat), "urls": chat_urls(token)}
        return Response(answer, status=status.HTTP_201_CREATED)
