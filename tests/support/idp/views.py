"""The control API the tests set the provider up with: JSON in and out, and the token
given on the command line as a bearer token."""

import functools
import hmac
import json
import secrets
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from oauth2_provider.models import (  # type: ignore[import-untyped]
    AccessToken,
    Application,
    RefreshToken,
)

from tests.support.idp.models import Profile

Json = dict[str, Any]


def control(view: Callable[..., Json]) -> Callable[..., HttpResponse]:
    @csrf_exempt
    @require_POST
    @functools.wraps(view)
    def wrapper(request: HttpRequest, **kwargs: str) -> HttpResponse:
        token = getattr(settings, "IDP_CONTROL_TOKEN", "")
        given = request.headers.get("Authorization", "").encode()
        if not token or not hmac.compare_digest(given, f"Bearer {token}".encode()):
            return JsonResponse({"error": "unauthorized"}, status=401)
        try:
            data = json.loads(request.body or b"{}")
            with transaction.atomic():
                return JsonResponse(view(data, **kwargs))
        except (ValueError, KeyError, TypeError, User.DoesNotExist) as error:
            return JsonResponse({"error": repr(error)}, status=400)

    return wrapper


@control
def clients(data: Json) -> Json:
    """A confidential authorization-code client that skips the consent screen."""
    secret = secrets.token_urlsafe(32)  # DOT stores it hashed: hand the plain one back
    application = Application.objects.create(
        name=data.get("name", "helpdesk"),
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=" ".join(data["redirect_uris"]),
        post_logout_redirect_uris=" ".join(data.get("post_logout_redirect_uris", [])),
        client_secret=secret,
        skip_authorization=True,
        algorithm=Application.RS256_ALGORITHM,
    )
    return {"client_id": application.client_id, "client_secret": secret}


@control
def users(data: Json) -> Json:
    """Creates the user, or updates (and reactivates) the one of that username."""
    user, _ = User.objects.get_or_create(username=data["username"])
    user.set_password(data["password"])
    user.email = data.get("email", "")
    user.is_active = True
    user.save()
    user.groups.set([Group.objects.get_or_create(name=name)[0] for name in data.get("groups", [])])
    Profile.objects.update_or_create(
        user=user, defaults={"name": data.get("name", ""), "claims": data.get("claims") or {}}
    )
    return {"sub": str(user.pk)}


@control
def deactivate(data: Json, username: str) -> Json:
    """The user can no longer sign in, and its tokens stop working."""
    user = User.objects.get(username=username)
    user.is_active = False
    user.save(update_fields=["is_active"])
    AccessToken.objects.filter(user=user).delete()
    RefreshToken.objects.filter(user=user).delete()
    return {"sub": str(user.pk)}
