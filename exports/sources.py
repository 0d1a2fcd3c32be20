"""The tables a person can export as CSV, registered by the apps that own them.

A source is a key, a translated title, the CSV header and a function that yields the
rows: ``rows(person, params)``. It must read through its app's scoping function
(``visible_tickets``, ``queue_tickets``, …), so an export holds exactly what the person
may see on the page the export was started from, and it must stream (a server-side
cursor, or keyset batches): an export may be a million rows. ``params`` is the page's
query string, checked by the source's ``parse`` and kept as JSON on the job; ``rows``
and ``count`` receive what ``parse`` returned.

An app registers its tables from its ``AppConfig.ready()``, in one line::

    from exports import sources
    sources.register(sources.ExportSource(
        key="analytics.by_queue", title=_("Tickets by queue and language"),
        header=[_("Queue"), _("Language"), _("Created"), _("Solved")],
        rows=by_queue_rows, parse=parse_slice, count=count_by_queue))

and its page offers the button with one include (the form posts the page's filters)::

    {% include "exports/partials/button.html" with source="analytics.by_queue" params=query %}

The rows are written by ``exports.services``: ``None`` becomes an empty cell, a datetime
the person's wall-clock time as spreadsheets read it ("2025-01-15 09:30:00"; name the
zone in the header, ``timezone.get_current_timezone_name()``), a list its items joined
by ", ", a boolean yes or no in the person's language; text that a spreadsheet would
take for a formula (starting with ``=``, ``+``, ``-``, ``@``) is prefixed with an
apostrophe. The header and rows are made under the person's language and time zone
(``translation.override``, ``timezone.override``), so what a source translates comes out
in their language. Many timestamps are cheaper formatted by PostgreSQL (``to_char`` of
``timezone(zone, column)``, as the ticket list does) than read into Python.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, BinaryIO

from django.core.exceptions import ImproperlyConfigured
from django.http import QueryDict
from django.utils.translation import gettext as _

from core.errors import Invalid

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

    from accounts.models import User

Params = dict[str, Any]
# A writer's progress report: (items done, items expected or None).
Progress = Callable[[int, int | None], None]


class ExportError(Invalid):
    """An export that cannot be made as asked; the message says why (shown to the person)."""


def no_params(data: QueryDict) -> Params:
    """The ``parse`` of a source that takes no parameters: anything given is refused."""
    if any(value for value in data.values()):
        raise ExportError(_("This export takes no filters."))
    return {}


@dataclass(frozen=True)
class ExportSource:
    key: str  # "<app>.<table>": lower case letters, digits, "_", "." and "-"
    title: str | StrPromise
    # The CSV's first row; a function of the person when a column depends on who asks.
    header: Sequence[str | StrPromise] | Callable[[User], Sequence[str | StrPromise]]
    # (person, parsed params) → the rows, each a sequence as long as the header.
    rows: Callable[[User, Params], Iterable[Sequence[object]]]
    # The page's query string → JSON-ready params; raises ExportError with a sentence.
    parse: Callable[[QueryDict], Params] = no_params
    # (person, parsed params) → how many rows the export will hold (the progress bar's
    # end); None: the progress shows rows written only.
    count: Callable[[User, Params], int] | None = None
    # Who may export it at all (None: everyone who is signed in); the page's own rule.
    visible_to: Callable[[User], bool] | None = None
    filename: str = ""  # the download's name without date and ".csv"; default the key
    # The header when it depends on the parameters too (a column named after the slice
    # chosen); it replaces ``header``.
    heading: Callable[[User, Params], Sequence[str | StrPromise]] | None = None
    # A file that is not a CSV (a ZIP of JSON and files): (person, params, the open
    # binary file to write, progress(done, expected)) → the number of items written. The
    # job's claim, progress, expiry, signed link and audit are the same as a CSV's.
    writer: Callable[[User, Params, BinaryIO, Progress], int] | None = None
    extension: str = "csv"
    content_type: str = "text/csv; charset=utf-8"

    def header_for(self, user: User, params: Params | None = None) -> list[str]:
        if self.heading is not None:
            labels = self.heading(user, params or {})
        else:
            labels = self.header(user) if callable(self.header) else self.header
        return [str(label) for label in labels]

    def offered_to(self, user: User) -> bool:
        return self.visible_to is None or bool(self.visible_to(user))


_KEY = re.compile(r"[a-z0-9][a-z0-9_.\-]{0,63}")
_sources: dict[str, ExportSource] = {}


def register(source: ExportSource) -> ExportSource:
    """Offer a table for export. Registering the same source again changes nothing."""
    if not _KEY.fullmatch(source.key):
        raise ImproperlyConfigured(f"export source key {source.key!r}: use [a-z0-9_.-], at most 64")
    existing = _sources.get(source.key)
    if existing is not None and existing != source:
        raise ImproperlyConfigured(f"an export source named {source.key!r} is already registered")
    _sources[source.key] = source
    return source


def unregister(key: str) -> None:
    _sources.pop(key, None)


def get(key: str) -> ExportSource | None:
    return _sources.get(key)


def registered() -> list[ExportSource]:
    return sorted(_sources.values(), key=lambda source: source.key)
