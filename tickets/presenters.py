"""What a queue row shows, computed once per request in plain Python.

A queue page renders 50 rows every few seconds for every agent; resolving lazy
translated labels and ``timesince`` inside the template for each row cost more
than the SQL. Labels are translated once per request here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from tickets.models import Priority, SLAClock, SLAMetric, Status
from tickets.selectors import QueueRow

# The row template is Jinja2, which makemessages does not read: its strings are
# listed here so they stay in the catalogues.
ROW_TEMPLATE_STRINGS = [
    gettext_noop("Select"), gettext_noop("Next target"), gettext_noop("Ticket"),
    gettext_noop("Requester"), gettext_noop("Queue"), gettext_noop("Status"),
    gettext_noop("Priority"), gettext_noop("Lang."), gettext_noop("Assignee"), gettext_noop("Age"),
    gettext_noop("VIP"), gettext_noop("No tickets here."),
]  # fmt: skip


def _units() -> list[tuple[int, str]]:
    return [(86400, _("%(n)dd")), (3600, _("%(n)dh")), (60, _("%(n)dm"))]


def short_duration(seconds: float, units: list[tuple[int, str]]) -> str:
    """'3d 4h', '5h 10m', '12m' or '<1m': two units at most, compact for a table."""
    seconds = int(abs(seconds))
    parts = []
    for size, template in units:
        if seconds >= size or parts:
            count, seconds = divmod(seconds, size)
            if count or parts:
                parts.append(template % {"n": count})
        if len(parts) == 2:
            break
    return " ".join(p for p in parts if not p.startswith("0")) or _("<1m")


@dataclass(slots=True)
class RowView:
    """One queue row as the row template shows it. Attributes rather than dict keys:
    Jinja2 tries an attribute first and a key only after that lookup fails, and at
    50 rows of 18 values a dict's failed lookups cost half the rendering."""

    reference: str
    url: str
    subject: str
    tags: list[str]
    requester: str
    high_profile: bool
    queue: str
    status: str
    status_label: str
    priority: int
    priority_label: str
    language: str
    assignee: str
    created_iso: str
    created_ago: str
    sla_css: str
    sla_text: str
    sla_iso: str


def queue_rows(tickets: list[QueueRow], now: datetime | None = None) -> list[RowView]:
    """Labels are translated once per call, not once per row."""
    now = now or timezone.now()
    units = _units()
    statuses = {value: str(label) for value, label in Status.choices}
    priorities = {value: str(label) for value, label in Priority.choices}
    overdue, left = _("%(time)s overdue"), _("%(time)s left")
    paused_text, paused_title = _("Paused"), _("Waiting on the requester or on hold")
    rows = []
    for t in tickets:
        sla_css = sla_text = sla_iso = ""
        done = t.status in (Status.SOLVED, Status.CLOSED)
        if not done and t.sla_due_at is not None:
            # Red once overdue; amber from the warning point (the policy's share of the
            # target); green before that.
            remaining = (t.sla_due_at - now).total_seconds()
            text = short_duration(remaining, units)
            if remaining <= 0:
                sla_css, sla_text = "text-bg-danger", overdue % {"time": text}
            else:
                at_risk = t.sla_warn_at is not None and t.sla_warn_at <= now
                sla_css = "text-bg-warning" if at_risk else "text-bg-success"
                sla_text = left % {"time": text}
            sla_iso = t.sla_due_at.isoformat()
        elif not done and t.sla_paused:
            sla_css, sla_text, sla_iso = "text-bg-secondary", paused_text, paused_title
        rows.append(RowView(
            reference=t.reference,
            url=f"/tickets/{t.reference}/",
            subject=t.subject,
            tags=t.tags[:4],
            requester=t.requester_label,
            high_profile=t.requester_is_high_profile,
            queue=t.queue_name,
            status=t.status,
            status_label=statuses[t.status],
            priority=t.priority,
            priority_label=priorities[t.priority],
            language=t.language or "—",
            assignee=t.assignee_short_name or "—",
            created_iso=t.created_at.isoformat(),
            created_ago=short_duration((now - t.created_at).total_seconds(), units),
            sla_css=sla_css,
            sla_text=sla_text,
            sla_iso=sla_iso,
        ))  # fmt: skip
    return rows


def rows_html(
    rows: list[RowView], *, selectable: bool, caption: str, empty_text: str = ""
) -> SafeString:
    """The rows as an HTML table, rendered by Jinja2 (several times faster than the
    Django engine for this loop); autoescaped like any template."""
    from django.template.loader import render_to_string  # noqa: PLC0415

    html = render_to_string(
        "tickets/rows.html",
        {"rows": rows, "selectable": selectable, "caption": caption, "empty_text": empty_text},
        using="jinja2",
    )
    # Jinja2 autoescaped every value while rendering; Django's backend returns a plain str.
    return mark_safe(html)  # noqa: S308


def sla_panel(clocks: list[SLAClock], now: datetime | None = None) -> list[dict]:
    """The ticket page's SLA panel: each target, its state and how it stands."""
    now = now or timezone.now()
    units = _units()
    rows = []
    for clock in clocks:
        css, text = "text-bg-secondary", SLAClock.State(clock.state).label
        if clock.state == SLAClock.State.RUNNING and clock.due_at is not None:
            remaining = (clock.due_at - now).total_seconds()
            if remaining <= 0:
                css = "text-bg-danger"
                text = _("%(time)s overdue") % {"time": short_duration(remaining, units)}
            else:
                at_risk = clock.warn_at is not None and clock.warn_at <= now
                css = "text-bg-warning" if at_risk else "text-bg-success"
                text = _("%(time)s left") % {"time": short_duration(remaining, units)}
        elif clock.state == SLAClock.State.PAUSED:
            left = max(0, clock.target_seconds - clock.used_seconds)
            text = _("Paused, %(time)s left") % {"time": short_duration(left, units)}
        elif clock.state == SLAClock.State.MET:
            css = "text-bg-success"
        elif clock.state == SLAClock.State.MISSED:
            css = "text-bg-danger"
        rows.append({
            "metric": SLAMetric(clock.metric).label, "policy": clock.policy.name,
            "css": css, "text": text, "due_at": clock.due_at,
            "live": clock.state in (SLAClock.State.RUNNING, SLAClock.State.PAUSED),
            "breached": clock.breached_at is not None,
        })  # fmt: skip
    return rows
