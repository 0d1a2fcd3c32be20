import zoneinfo
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation

from tickets import config_cache


class UserLanguageMiddleware:
    """Pages for a signed-in person are in their chosen UI language (``User.ui_language``),
    whatever the browser asks for; blank leaves LocaleMiddleware's choice (the language
    cookie, then Accept-Language). Runs after AuthenticationMiddleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.ui_language:
            try:
                language = translation.get_supported_language_variant(user.ui_language)
            except LookupError:  # a language since dropped from settings.LANGUAGES
                pass
            else:
                translation.activate(language)
                request.LANGUAGE_CODE = language
        return self.get_response(request)


class UserTimezoneMiddleware:
    """Show times in the signed-in person's own time zone; UTC otherwise."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            try:
                timezone.activate(zoneinfo.ZoneInfo(user.time_zone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        else:
            timezone.deactivate()
        return self.get_response(request)


class ConfigVersionMiddleware:
    """A GET or HEAD request reads the configuration version once (tickets.config_cache):
    its page may use several cached values (visible queues, macros, SOPs, SLA policies)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        with config_cache.read_only_request():
            return self.get_response(request)
