"""The chrome every page shows (the header and navigation, the banner of SOPs to
acknowledge, the language switcher), rendered by Jinja2 from base.html's tags.

base.html stays a Django template that every page extends; these three parts were
two thirds of its rendering (about 0.8 ms of every page), and Jinja2 renders them
several times faster. Autoescaping is on, translations come from Django's catalogues.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import (
    get_language,
    get_language_info,
    gettext_noop,
    ngettext_lazy,
)

from core import navigation

# makemessages does not read Jinja2 templates: their strings are listed here so they
# stay in the catalogues.
CHROME_STRINGS = [
    gettext_noop("Skip to main content"), gettext_noop("Main navigation"),
    gettext_noop("Helpdesk"), gettext_noop("Toggle navigation"), gettext_noop("Search tickets"),
    gettext_noop("Search tickets ( / )"), gettext_noop("Sign out"), gettext_noop("Language"),
    gettext_noop("Change language"), gettext_noop("version %(n)s"),
    gettext_noop("SOPs to acknowledge"), gettext_noop("review"), gettext_noop("Acknowledge"),
    gettext_noop("Acknowledge %(title)s, version %(n)s"),
    gettext_noop("Open them in the SOP library"),
    gettext_noop("Thank you: no SOP is waiting for your acknowledgement."),
    ngettext_lazy("%(num)d SOP needs your acknowledgement",
                  "%(num)d SOPs need your acknowledgement", 1),
]  # fmt: skip


@cache
def ui_languages() -> list[dict[str, str]]:
    """The language switcher's choices: each language named in itself."""
    return [{"code": code, "name_local": get_language_info(code)["name_local"]}
            for code, _name in settings.LANGUAGES]  # fmt: skip


def _render(name: str, request: HttpRequest | None, context: dict[str, Any]) -> SafeString:
    html = render_to_string(name, context, request=request, using="jinja2")
    # Jinja2 autoescaped every value while rendering; Django's backend returns a plain str.
    return mark_safe(html)  # noqa: S308


# The page's CSRF token is passed in (as page_csrf_token: Django's Jinja2 backend sets
# its own csrf_token) rather than read by each part: Django masks the token afresh, 32
# random characters, every time it is asked for one.


def header(request: HttpRequest | None, user: Any, nav_items: list[dict] | None,
           csrf_token: object) -> SafeString:  # fmt: skip
    widgets = navigation.header_widgets(request, user, csrf_token) if nav_items else []
    context = {"user": user, "nav_items": nav_items, "page_csrf_token": csrf_token,
               "header_widgets": widgets}  # fmt: skip
    return _render("partials/header.html", request, context)


def footer(request: HttpRequest | None, csrf_token: object) -> SafeString:
    context = {"ui_languages": ui_languages(), "current_language": get_language(),
               "page_csrf_token": csrf_token}  # fmt: skip
    return _render("partials/footer.html", request, context)


def sop_banner_slot(request: HttpRequest | None, pending: list, *, oob: bool = False,
                    csrf_token: object = None) -> SafeString:  # fmt: skip
    """The banner's slot, empty when nothing waits: one line (how many SOPs wait, and
    "review", which opens the list with an Acknowledge button for each). ``oob`` swaps it
    in from an htmx answer, the list left open. A page passes its own CSRF token."""
    if csrf_token is None and request is not None and pending:
        csrf_token = get_token(request)
    return _render("partials/sop_banner_slot.html", request,
                   {"pending": pending, "oob": oob, "page_csrf_token": csrf_token})  # fmt: skip
