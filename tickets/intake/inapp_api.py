"""In-app requests: an app posts for its signed-in user, authenticated by its own key
(`Authorization: AppKey hdk_…`), not by a person's token."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import extend_schema
from rest_framework import authentication, exceptions, serializers, status, throttling
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tickets.intake.inapp import app_client_for_key, inapp_request_create
from tickets.models import AppClient


class AppRequest(Request):
    """A request that passed IsAppClient: its ``auth`` is the app's client."""

    auth: AppClient


class AppKeyAuthentication(authentication.BaseAuthentication):
    keyword = "AppKey"

    def authenticate(self, request: Request) -> tuple[None, AppClient] | None:
        header = authentication.get_authorization_header(request).decode("latin-1").split()
        if not header or header[0] != self.keyword:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Use: Authorization: AppKey <key>.")
        client = app_client_for_key(header[1])
        if client is None:
            raise exceptions.AuthenticationFailed("Unknown or disabled app key.")
        return (None, client)

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class AppKeyScheme(OpenApiAuthenticationExtension):
    """How the OpenAPI schema describes the app key."""

    target_class = "tickets.intake.inapp_api.AppKeyAuthentication"
    name = "AppKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "apiKey", "in": "header", "name": "Authorization",
                "description": "`AppKey <key>`: an in-app client's key."}  # fmt: skip


class IsAppClient(BasePermission):
    def has_permission(self, request: Request, view: APIView) -> bool:
        return isinstance(request.auth, AppClient)


class AppRateThrottle(throttling.SimpleRateThrottle):
    scope = "inapp"

    def get_rate(self) -> str:
        return settings.INAPP_RATE_LIMIT

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        client = request.auth
        return f"throttle_inapp_{client.pk}" if isinstance(client, AppClient) else None


class AppUserSerializer(serializers.Serializer):
    """The app's signed-in user, as every in-app call names them (a request, a chat). Limits
    are those of the columns each value lands in (Requester.external_id, Requester.email…):
    a longer value is a 400, never a database error."""

    user_id = serializers.CharField(max_length=128)
    email = serializers.EmailField(required=False, allow_blank=True, default="",
                                   max_length=254)  # fmt: skip
    name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    language = serializers.CharField(max_length=16, required=False, allow_blank=True,
                                     default="")  # fmt: skip


class InAppRequestApi(APIView):
    authentication_classes = [AppKeyAuthentication]
    permission_classes = [IsAppClient]
    throttle_classes = [AppRateThrottle]

    class InputSerializer(AppUserSerializer):
        subject = serializers.CharField(max_length=250)
        description = serializers.CharField(max_length=100_000)
        category = serializers.CharField(max_length=64, required=False, allow_blank=True,
                                         default="")  # fmt: skip
        app_version = serializers.CharField(max_length=64, required=False, allow_blank=True,
                                            default="")  # fmt: skip
        device = serializers.CharField(max_length=200, required=False, allow_blank=True,
                                       default="")  # fmt: skip
        extra = serializers.DictField(required=False, default=dict)

    class OutputSerializer(serializers.Serializer):
        reference = serializers.CharField()
        status = serializers.CharField()

    @extend_schema(request=InputSerializer, responses={201: OutputSerializer})
    def post(self, request: AppRequest) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ticket = inapp_request_create(client=request.auth, **data.validated_data)
        return Response(self.OutputSerializer(ticket).data, status=status.HTTP_201_CREATED)
