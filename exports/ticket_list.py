"""The queue's ticket list as an export source: the queue page with its filters, every
page of it, in the page's order, read through ``tickets.selectors.queue_tickets`` (built
on ``visible_tickets``), so the file holds what the person's queue shows them."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import CharField, DateTimeField, F, Func, Value
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from core import bidi
from exports.sources import ExportError, ExportSource, Params
from tickets import selectors
from tickets.forms import QueueFilterForm
from tickets.models import Channel, Priority, Status

KEY = "tickets.queue"
# Rows fetched from the server-side cursor at a time.
BATCH = 2000
# What the queue page reads besides its filters: the page's cursor (an export holds
# every page, so it is dropped).
_IGNORED = {"cursor"}

_COLUMNS = (
    "reference", "subject", "status", "priority", "queue__name", "language", "channel",
    "category", "tags", "assignee__full_name", "assignee__email", "requester__email",
)  # fmt: skip
_TIMES = ("created_at", "first_reply_at", "solved_at", "sla_due_at")
# The times as the person's wall clock, as spreadsheets read them; the header names the
# time zone.
_TIME_FORMAT = "YYYY-MM-DD HH24:MI:SS"


def _local_time(column: str, zone: str) -> Func:
    """A time column formatted by PostgreSQL in this time zone. Python reading 400,000
    timestamps (psycopg's timestamptz loader, as Django registers it, is pure Python) was
    three quarters of a 100,000-row export."""
    at_zone = Func(Value(zone), F(column), function="timezone", output_field=DateTimeField())
    return Func(at_zone, Value(_TIME_FORMAT), function="to_char", output_field=CharField())


def shows_requester_emails(user: User) -> bool:
    """Whether the requester's email is a column: as on the page. Everyone who may open a
    ticket sees its requester's address (the ticket page's requester panel; a queue row
    shows it when the requester gave no name), so every role gets the column; a rule
    that hides it on the page must be added here too."""
    return user.is_authenticated and user.is_active


def header(user: User) -> list[str]:
    labels = [
        _("Reference"), _("Subject"), _("Status"), _("Priority"), _("Queue"), _("Language"),
        _("Channel"), _("Category"), _("Tags"), _("Assignee"),
    ]  # fmt: skip
    if shows_requester_emails(user):
        labels.append(_("Requester email"))
    zone = timezone.get_current_timezone_name()
    times = [_("Created"), _("First reply"), _("Solved"), _("SLA due")]
    return [*labels, *(_("%(column)s (%(zone)s)") % {"column": t, "zone": zone} for t in times)]


def parse(data: QueryDict) -> Params:
    """The queue page's query string, read by the page's own form. A value the page would
    quietly drop is refused here, with the field's name: a file silently holding more
    than was asked for is worse than a sentence."""
    unknown = sorted(set(data) - set(QueueFilterForm.base_fields) - _IGNORED)
    if unknown:
        raise ExportError(_("The ticket list has no filter named “%(name)s”.")
                          % {"name": unknown[0][:40]})  # fmt: skip
    form = QueueFilterForm(data)
    if not form.is_valid():
        field, errors = next(iter(form.errors.items()))
        label = (form.fields[field].label or field) if field in form.fields else field
        raise ExportError(_("%(field)s: %(error)s") % {"field": label, "error": errors[0]})
    assignee = form.cleaned_data.get("assignee") or ""
    if assignee not in ("", "me", "none") and not assignee.isdigit():
        raise ExportError(_("Assignee: choose “me”, “none” or a person."))
    return {"query": form.filters().as_query()}


def _filters(params: Params) -> selectors.QueueFilters:
    return QueueFilterForm(QueryDict(str(params.get("query", "")))).filters()


def count(user: User, params: Params) -> int:
    return selectors.queue_tickets(user, _filters(params)).order_by().count()


def rows(user: User, params: Params) -> Iterator[tuple[object, ...]]:
    """Every ticket of the view, streamed from a server-side cursor in batches, its times
    in the person's time zone (the export runs under it)."""
    emails = shows_requester_emails(user)
    statuses = {value: str(label) for value, label in Status.choices}
    priorities = {value: str(label) for value, label in Priority.choices}
    channels = {value: str(label) for value, label in Channel.choices}
    zone = timezone.get_current_timezone_name()
    times = {f"local_{column}": _local_time(column, zone) for column in _TIMES}
    tickets = (selectors.queue_tickets(user, _filters(params)).annotate(**times)
               .values_list(*_COLUMNS, *times))  # fmt: skip
    for (reference, subject, status, priority, queue, language, channel, category, tags,
         assignee_name, assignee_email, requester_email, created, first_reply, solved,
         sla_due) in tickets.iterator(chunk_size=BATCH):  # fmt: skip
        row: tuple[object, ...] = (
            reference, bidi.clean_subject(subject), statuses.get(status, status),
            priorities.get(priority, priority), queue, language, channels.get(channel, channel),
            category, tags, bidi.clean_name(assignee_name or assignee_email or ""),
        )  # fmt: skip
        if emails:
            row += (requester_email,)
        yield (*row, created, first_reply, solved, sla_due)


SOURCE = ExportSource(
    key=KEY, title=gettext_lazy("Ticket list"), header=header, rows=rows, parse=parse,
    count=count, filename="tickets",
)  # fmt: skip
