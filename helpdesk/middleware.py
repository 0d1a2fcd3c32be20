import zoneinfo
from collections.abc import Callable, Iterable, Iterator

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core import config_cache


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
    """A GET or HEAD request reads the configuration version once (core.config_cache):
    its page may use several cached values (visible queues, macros, SOPs, SLA policies)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        with config_cache.read_only_request():
            return self.get_response(request)


NUL = "\x00"
API_PREFIX = "/api/"  # helpdesk/urls.py: the REST API, its schema and the email webhook


def _has_nul(values: Iterable[str]) -> bool:
    return any(NUL in value for value in values)


def _form_fields(request: HttpRequest) -> Iterator[str]:
    """A form's field names and values, and its files' names (not their bytes, which
    may hold anything). Only form bodies: a raw body (JSON, an email) is left unread, and
    the API reads its own bodies (its parsers refuse NULs: helpdesk/api.py)."""
    if (
        request.method != "POST"
        or request.path_info.startswith(API_PREFIX)
        or request.content_type not in ("application/x-www-form-urlencoded",
                                        "multipart/form-data")
    ):  # fmt: skip
        return
    for key, values in request.POST.lists():
        yield key
        yield from values
    for key, files in request.FILES.lists():
        yield key
        yield from (upload.name or "" for upload in files)


class RejectNulMiddleware:
    """A request with a NUL character in its path, query string, cookies, headers or form
    fields is answered 400 before any session, form or query sees it: PostgreSQL can
    neither store nor compare text holding a NUL, so it would be a 500 wherever the value
    first reached the database. It sits before anything reads the session (whose key is
    a cookie). JSON bodies are checked, at any depth, by the API's parsers."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        headers = (str(value) for key, value in request.META.items()
                   if key.startswith("HTTP_") or key == "CONTENT_TYPE")  # fmt: skip
        if (
            NUL in request.path_info
            or _has_nul(key + "".join(values) for key, values in request.GET.lists())
            or _has_nul(key + value for key, value in request.COOKIES.items())
            or _has_nul(headers)
            or _has_nul(_form_fields(request))
        ):
            reason = _("The request contains a NUL character, which is not allowed anywhere.")
            return bad_request(request, reason, code="nul_character")
        return self.get_response(request)


def bad_request(request: HttpRequest, reason: str, *, code: str) -> HttpResponse:
    """The answer to input the site does not take: under /api/ the API's JSON error
    (``detail`` and ``code``, as core/api.py gives them), elsewhere the 400 page."""
    if request.path_info.startswith(API_PREFIX):
        return JsonResponse({"detail": reason, "code": code}, status=400)
    return render(request, "400.html", {"reason": reason}, status=400)
