"""The main navigation, and the chrome's other per-person values, registered by the apps.

Each app adds its entries from its ``AppConfig.ready()``::

    navigation.register(navigation.NavEntry(
        key="sops", label=_("SOPs"), url_name="sops:library", order=200))

and the header (``core.chrome.header``, ``templates/jinja2/partials/header.html``) shows
the entries the signed-in person may see, by ``order``: the project's Home is 0, the
apps' pages 100 to 799 (tickets 100, SOPs 200, escalations 300), people 800 and
Administration 900. ``visible_to`` is a predicate on the user (None: everyone signed
in); ``badge``, a count shown beside the label (None or 0: nothing), is called only when
the header is rendered, never for htmx fragments, so it may cost a query.

``register_landing`` makes an app's page where the people it applies to land after
signing in (a lead's dashboard); the first registered that applies wins, and everyone
else lands on LOGIN_REDIRECT_URL (the project's Home).

``register_header_widget`` puts an app's control in the header beside the person's
name (the chat app's status menu); its ``render(request, user, csrf_token)`` returns safe
HTML, or "" for someone it does not apply to.

``register_page_value`` gives every signed-in page's template context a value computed
for the person (the SOP banner's pending list); return a callable to defer the work to
the template that uses it.

The registry is filled once per process, at start; the context processor
(``helpdesk.context_processors.navigation``) reads it on every request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.urls import get_script_prefix, reverse


@dataclass(frozen=True, slots=True)
class NavEntry:
    key: str  # data-nav="<key>" in the header; unique
    label: Any  # a lazily translated string
    url_name: str
    order: int
    visible_to: Callable[[Any], bool] | None = None
    badge: Callable[[Any], int | None] | None = None


_entries: dict[str, NavEntry] = {}
_landings: dict[str, tuple[str, Callable[[Any], bool]]] = {}
_page_values: dict[str, Callable[[Any], object]] = {}
_header_widgets: dict[str, tuple[int, Callable[[Any, Any, object], str]]] = {}
# script prefix -> the entries in order with their URLs, reversed once per process.
_resolved: dict[str, list[tuple[NavEntry, str]]] = {}


def register(entry: NavEntry) -> None:
    """Add an entry, or replace the one with the same key."""
    _entries[entry.key] = entry
    _resolved.clear()


def register_landing(key: str, url_name: str, applies_to: Callable[[Any], bool]) -> None:
    """Send the people ``applies_to`` accepts to ``url_name`` after they sign in."""
    _landings[key] = (url_name, applies_to)


def landing_url(user: Any) -> str | None:
    """Where this person lands after signing in, if an app claims them; None otherwise."""
    for url_name, applies_to in _landings.values():
        if applies_to(user):
            return reverse(url_name)
    return None


def register_page_value(name: str, factory: Callable[[Any], object]) -> None:
    """Put ``factory(user)`` in every signed-in page's context as ``name``."""
    _page_values[name] = factory


def register_header_widget(key: str, render: Callable[[Any, Any, object], str], *,
                           order: int = 100) -> None:  # fmt: skip
    _header_widgets[key] = (order, render)


def header_widgets(request: Any, user: Any, csrf_token: object) -> list[str]:
    """The header's widgets for this person, rendered, in order (empty ones left out)."""
    rendered = (
        render(request, user, csrf_token)
        for _order, render in sorted(_header_widgets.values(), key=lambda w: w[0])
    )
    return [html for html in rendered if html]


def entries() -> list[NavEntry]:
    # sorted() is stable: entries with the same order keep the order they were registered.
    return sorted(_entries.values(), key=lambda entry: entry.order)


def _entries_with_urls() -> list[tuple[NavEntry, str]]:
    prefix = get_script_prefix()
    if prefix not in _resolved:
        _resolved[prefix] = [(entry, reverse(entry.url_name)) for entry in entries()]
    return _resolved[prefix]


def nav_items(user: Any) -> list[dict[str, Any]]:
    """The entries ``user`` may see: key, label, URL and badge (a callable, or None)."""
    return [
        {"key": entry.key, "label": entry.label, "url": url,
         "badge": partial(entry.badge, user) if entry.badge else None}
        for entry, url in _entries_with_urls()
        if entry.visible_to is None or entry.visible_to(user)
    ]  # fmt: skip


def page_values(user: Any) -> dict[str, object]:
    return {name: factory(user) for name, factory in _page_values.items()}
