"""How django-axes names the account a sign-in attempt was for."""

from django.http import HttpRequest


def attempted_username(request: HttpRequest, credentials: dict | None) -> str | None:
    value = (credentials or {}).get("username") or request.POST.get("username")
    return value.strip().lower() if isinstance(value, str) and value.strip() else None
