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

from core import bidi
from tickets.models import Priority, SLAClock, SLAMetric, Status
from tickets.selectors import QueueRow
from tickets.timeline import when

# The row template is Jinja2, which makemessages does not read: its strings are
# listed here so they stay in the catalogues.
ROW_TEMPLATE_STRINGS = [
    gettext_noop("Select"), gettext_noop("Next target"), gettext_noop("Ticket"),
    gettext_noop("Requester"), gettext_noop("Queue"), gettext_noop("Status"),
    gettext_noop("Priority"), gettext_noop("Lang."), gettext_noop("Assignee"), gettext_noop("Age"),
    gettext_noop("VIP"), gettext_noop("No tickets here."),
]  # fmt: skip


def duration_units(*, seconds: bool = True) -> list[tuple[int, str]]:
    """The units ``short_duration`` writes, translated (make them once per request)."""
    units = [(86400, _("%(n)dd")), (3600, _("%(n)dh")), (60, _("%(n)dm"))]
    return [*units, (1, _("%(n)ds"))] if seconds else units


# Below this, a duration shows its seconds: a chat's targets are a minute or two, and a
# minutes target's last minutes are when they matter.
SECONDS_SHOWN_BELOW = 600


def short_duration(seconds: float, units: list[tuple[int, str]]) -> str:
    """'3d 4h', '5h 10m', '12m' or '<1m': two units at most, compact for a table. Given a
    seconds unit, under ten minutes: '4m 30s', '45s', '0s'."""
    seconds = int(abs(seconds))
    if seconds >= SECONDS_SHOWN_BELOW:
        units = [unit for unit in units if unit[0] >= 60]
    elif units[-1][0] == 1 and seconds == 0:
        return units[-1][1] % {"n": 0}
    parts: list[str] = []
    for size, template in units:
        if seconds >= size or parts:
            count, seconds = divmod(seconds, size)
            if count or parts:
                parts.append(template % {"n": count})
        if len(parts) == 2:
            break
    return " ".join(p for p in parts if not p.startswith("0")) or _("<1m")


@dataclass(frozen=True, slots=True)
class SLABadge:
    """How an SLA target shows, everywhere (queue rows, the ticket header, the SLA panel):
    red once a target has passed (running or paused), amber from the policy's warning
    point, green before it, grey while paused."""

    css: str
    text: str
    title: str


class SLABadgeTexts:
    """The badge's translated texts, made once per request (a queue page has 50 rows)."""

    def __init__(self) -> None:
        self.units = duration_units()
        self.age_units = duration_units(seconds=False)  # a ticket's age: minutes will do
        self.overdue, self.left = _("%(time)s overdue"), _("%(time)s left")
        self.due = _("Due %(when)s")
        self.paused = _("Paused")
        self.paused_title = _("Waiting on the requester or on hold")
        self.breached_paused = _("Overdue, paused")
        self.breached_paused_title = _(
            "A target was missed; the clock is paused while waiting on the requester or on hold"
        )


def sla_badge(*, due_at: datetime | None, warn_at: datetime | None, paused: bool,
              breached: bool, now: datetime,
              texts: SLABadgeTexts | None = None) -> SLABadge | None:  # fmt: skip
    """The badge for a ticket's nearest target (None: no target to show)."""
    texts = texts or SLABadgeTexts()
    if due_at is not None:
        remaining = (due_at - now).total_seconds()
        text = short_duration(remaining, texts.units)
        if remaining <= 0:
            return SLABadge("text-bg-danger", texts.overdue % {"time": text},
                            texts.due % {"when": when(due_at)})  # fmt: skip
        at_risk = warn_at is not None and warn_at <= now
        return SLABadge("text-bg-warning" if at_risk else "text-bg-success",
                        texts.left % {"time": text},
                        texts.due % {"when": when(due_at)})  # fmt: skip
    if paused and breached:
        return SLABadge("text-bg-danger", texts.breached_paused, texts.breached_paused_title)
    if paused:
        return SLABadge("text-bg-secondary", texts.paused, texts.paused_title)
    return None


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
    texts = SLABadgeTexts()
    statuses = {value: str(label) for value, label in Status.choices}
    priorities = {value: str(label) for value, label in Priority.choices}
    rows = []
    for t in tickets:
        sla_css = sla_text = sla_iso = ""
        if t.status not in (Status.SOLVED, Status.CLOSED):
            badge = sla_badge(due_at=t.sla_due_at, warn_at=t.sla_warn_at, paused=t.sla_paused,
                              breached=t.sla_breached, now=now, texts=texts)  # fmt: skip
            if badge is not None:
                sla_css, sla_text, sla_iso = badge.css, badge.text, badge.title
        rows.append(RowView(
            reference=t.reference,
            url=f"/tickets/{t.reference}/",
            subject=bidi.clean_subject(t.subject),
            tags=t.tags[:4],
            requester=bidi.clean_name(t.requester_label),
            high_profile=t.requester_is_high_profile,
            queue=t.queue_name,
            status=t.status,
            status_label=statuses[t.status],
            priority=t.priority,
            priority_label=priorities[t.priority],
            language=t.language or "—",
            assignee=bidi.clean_name(t.assignee_short_name) or "—",
            created_iso=t.created_at.isoformat(),
            created_ago=short_duration((now - t.created_at).total_seconds(), texts.age_units),
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
    from django.template.loader import render_to_string

    html = render_to_string(
        "tickets/rows.html",
        {"rows": rows, "selectable": selectable, "caption": caption, "empty_text": empty_text},
        using="jinja2",
    )
    # Jinja2 autoescaped every value while rendering; Django's backend returns a plain str.
    return mark_safe(html)  # noqa: S308


def presence_box(others: list[dict]) -> str:
    """Who else has the ticket open (tickets.presence), as the page's presence box shows
    it; empty when nobody else is there (no template to render, the usual case)."""
    if not others:
        return ""
    from django.template.loader import render_to_string

    return render_to_string("tickets/partials/presence.html", {"others": others})


def sla_panel(clocks: list[SLAClock], now: datetime | None = None) -> list[dict]:
    """The ticket page's SLA panel: each target, its state and how it stands."""
    now = now or timezone.now()
    texts = SLABadgeTexts()
    units = texts.units
    rows = []
    for clock in clocks:
        css, text = "text-bg-secondary", str(SLAClock.State(clock.state).label)
        if clock.state == SLAClock.State.RUNNING and clock.due_at is not None:
            badge = sla_badge(due_at=clock.due_at, warn_at=clock.warn_at, paused=False,
                              breached=clock.breached_at is not None, now=now,
                              texts=texts)  # fmt: skip
            if badge is not None:  # always, given a due time
                css, text = badge.css, badge.text
        elif clock.state == SLAClock.State.PAUSED:
            left = clock.target_seconds - clock.used_seconds
            if clock.breached_at is not None or left <= 0:
                # A breach stays a breach while the clock is paused.
                css = "text-bg-danger"
                text = _("Paused, %(time)s overdue") % {"time": short_duration(left, units)}
            else:
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
