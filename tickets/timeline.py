"""Ticket and SOP audit events in words, in the viewer's language and time zone.

Services write events as codes with before/after values (``tickets.models.Event``,
``sops.models.SOPEvent``); people read them here as sentences: "Ana put the ticket on
hold. The first-reply clock paused with 2 h 10 min left." Every kind a service writes
has a sentence (tests/tickets/test_timeline.py finds the kinds in the services' source);
an unknown kind still reads as a sentence, never as a code or a dictionary.

The SLA clock events a change sets off (a status change pausing the clocks, a reply
meeting a target) are told in the same entry as the change itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from tickets.models import Priority, SLAMetric, Status

# ---------------------------------------------------------------- shared words


def when(moment: datetime | str | None) -> str:
    """A moment in the viewer's time zone and language's format ("3 Jun 2025, 14:05")."""
    if isinstance(moment, str):
        try:
            moment = datetime.fromisoformat(moment)
        except ValueError:
            return ""
    if moment is None:
        return ""
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return formats.date_format(moment, "SHORT_DATETIME_FORMAT")


def duration(seconds: float) -> str:
    """'2 d 4 h', '2 h 10 min', '5 min' or 'less than a minute': two units at most."""
    seconds = int(abs(seconds))
    units = [(86400, _("%(n)d d")), (3600, _("%(n)d h")), (60, _("%(n)d min"))]
    parts: list[str] = []
    for size, template in units:
        count, rest = divmod(seconds, size)
        if count and len(parts) < 2:
            parts.append(template % {"n": count})
            seconds = rest
        elif parts:
            break  # '2 d 5 min' would skip the hours: stop at the first gap
    return " ".join(parts) or _("less than a minute")


def join_words(items: Sequence[str]) -> str:
    """'a', 'a and b', 'a, b and c', in the active language."""
    items = [str(item) for item in items if item]
    if len(items) <= 1:
        return "".join(items)
    return _("%(items)s and %(last)s") % {"items": _(", ").join(items[:-1]), "last": items[-1]}


def _status(value: Any) -> str:
    return str(Status(value).label) if value in Status.values else str(value or "—")


def _priority(value: Any) -> str:
    return str(Priority(value).label) if value in Priority.values else str(value or "—")


def _clock(metric: Any) -> str:
    """The clock of an SLA target, as the subject or object of a sentence."""
    names = {
        SLAMetric.FIRST_REPLY: _("the first-reply clock"),
        SLAMetric.NEXT_REPLY: _("the next-reply clock"),
        SLAMetric.RESOLUTION: _("the resolution clock"),
    }
    return names.get(metric, _("an SLA clock"))


def _target(metric: Any) -> str:
    names = {
        SLAMetric.FIRST_REPLY: _("the first-reply target"),
        SLAMetric.NEXT_REPLY: _("the next-reply target"),
        SLAMetric.RESOLUTION: _("the resolution target"),
    }
    return names.get(metric, _("an SLA target"))


def _quoted(text: Any) -> str:
    return _("“%(text)s”") % {"text": str(text or "").strip()}


def _tags(tags: Sequence[str]) -> str:
    return join_words(list(tags))


# ---------------------------------------------------------- macro preview


def macro_actions(macro: Any, *, queue_name: str = "") -> str:
    """What sending a macro will change besides the reply, as one sentence, or '' when
    it changes nothing ("Sending will also set the status to Solved, set the priority
    to High and add the tag refund.")."""
    actions = []
    if macro.set_status:
        actions.append(_("set the status to %(status)s") % {"status": _status(macro.set_status)})
    if macro.set_priority:
        actions.append(_("set the priority to %(priority)s")
                       % {"priority": _priority(macro.set_priority)})  # fmt: skip
    if macro.set_queue_id:
        actions.append(_("move the ticket to %(queue)s") % {"queue": queue_name or "—"})
    if macro.add_tags:
        actions.append(ngettext("add the tag %(tags)s", "add the tags %(tags)s",
                                len(macro.add_tags)) % {"tags": _tags(macro.add_tags)})  # fmt: skip
    if not actions:
        return ""
    return _("Sending will also %(actions)s.") % {"actions": join_words(actions)}


# ----------------------------------------------------------------- entries


@dataclass(slots=True)
class Entry:
    """One line of a timeline: when, who (a name, or '' for the system) and what."""

    kind: str
    created_at: datetime
    actor: str
    text: str
    actor_id: int | None = None
    follow_ups: list[str] = field(default_factory=list)

    @property
    def sentence(self) -> str:
        return " ".join([self.text, *self.follow_ups])


@dataclass(slots=True)
class _Context:
    actor: str  # the actor's name, or "the system" in the viewer's language
    by_person: bool
    queue_names: dict[str, str]

    def queue(self, slug: str | None) -> str:
        """A queue's name, if the viewer may see the queue; otherwise no name at all."""
        return self.queue_names.get(slug or "") or _("another queue")


Sentence = Callable[[Any, _Context], str]


def _name(actor: Any) -> str:
    return actor.get_short_name() if actor is not None else ""


# ------------------------------------------------------------ ticket events


def _created(event: Any, c: _Context) -> str:
    values = {"queue": c.queue(event.after.get("queue")),
              "priority": _priority(event.after.get("priority")), "actor": c.actor}  # fmt: skip
    if c.by_person:
        return _("%(actor)s created the ticket in %(queue)s with %(priority)s priority.") % values
    return _("The ticket arrived in %(queue)s with %(priority)s priority.") % values


def _status_changed(event: Any, c: _Context) -> str:
    old, new = event.before.get("status"), event.after.get("status")
    values = {"actor": c.actor, "old": _status(old), "new": _status(new)}
    if not c.by_person:
        if new == Status.OPEN and old in (Status.PENDING, Status.ON_HOLD, Status.SOLVED):
            return _("The ticket reopened when the requester wrote.")
        if new == Status.CLOSED:
            return _("The ticket closed automatically.")
        return _("The ticket's status changed from %(old)s to %(new)s.") % values
    if new == Status.ON_HOLD:
        return _("%(actor)s put the ticket on hold.") % values
    if new == Status.PENDING:
        return _("%(actor)s set the ticket to pending, waiting on the requester.") % values
    if new == Status.SOLVED:
        return _("%(actor)s solved the ticket.") % values
    if new == Status.CLOSED:
        return _("%(actor)s closed the ticket.") % values
    if new == Status.OPEN and old == Status.NEW:
        return _("%(actor)s opened the ticket.") % values
    if new == Status.OPEN:
        return _("%(actor)s reopened the ticket (it was %(old)s).") % values
    return _("%(actor)s changed the status from %(old)s to %(new)s.") % values


def _assigned(event: Any, c: _Context) -> str:
    new_id, new_name = event.after.get("assignee"), event.after.get("assignee_name")
    old_name = event.before.get("assignee_name")
    if new_id is None:
        if "assignee_name" not in event.before:  # the ticket moved to a queue they don't work
            return _("The ticket became unassigned: its assignee cannot work the new queue.")
        if old_name:
            return _("%(actor)s unassigned %(name)s from the ticket.") % {
                "actor": c.actor, "name": old_name}  # fmt: skip
        return _("%(actor)s unassigned the ticket.") % {"actor": c.actor}
    if c.by_person and event.actor_id == new_id:
        return _("%(actor)s took the ticket.") % {"actor": c.actor}
    return _("%(actor)s assigned the ticket to %(name)s.") % {
        "actor": c.actor, "name": new_name or _("another agent")}  # fmt: skip


def _priority_changed(event: Any, c: _Context) -> str:
    values = {"actor": c.actor, "old": _priority(event.before.get("priority")),
              "new": _priority(event.after.get("priority"))}  # fmt: skip
    reason = event.after.get("reason")
    if reason == "sla_breach":
        return _("The priority rose from %(old)s to %(new)s because an SLA target was "
                 "breached.") % values  # fmt: skip
    if reason == "sla_warning":
        return _("The priority rose from %(old)s to %(new)s because an SLA target was "
                 "at risk.") % values  # fmt: skip
    return _("%(actor)s changed the priority from %(old)s to %(new)s.") % values


def _queue_changed(event: Any, c: _Context) -> str:
    old, new = event.before.get("queue"), event.after.get("queue")
    return _("%(actor)s moved the ticket from %(old)s to %(new)s.") % {
        "actor": c.actor, "old": c.queue(old), "new": c.queue(new)}  # fmt: skip


def _tags_changed(event: Any, c: _Context) -> str:
    old, new = list(event.before.get("tags") or []), list(event.after.get("tags") or [])
    added = [t for t in new if t not in old]
    removed = [t for t in old if t not in new]
    if added and removed:
        return _("%(actor)s added %(added)s and removed %(removed)s from the tags.") % {
            "actor": c.actor, "added": _tags(added), "removed": _tags(removed)}  # fmt: skip
    if removed:
        return ngettext(
            "%(actor)s removed the tag %(tags)s.", "%(actor)s removed the tags %(tags)s.",
            len(removed),
        ) % {"actor": c.actor, "tags": _tags(removed)}  # fmt: skip
    return ngettext("%(actor)s added the tag %(tags)s.", "%(actor)s added the tags %(tags)s.",
                    len(added)) % {"actor": c.actor, "tags": _tags(added)}  # fmt: skip


def _merged_into(event: Any, c: _Context) -> str:
    n = int(event.after.get("messages") or 0)
    return ngettext(
        "%(actor)s merged this ticket into %(ref)s, moving %(n)d message.",
        "%(actor)s merged this ticket into %(ref)s, moving %(n)d messages.", n,
    ) % {"actor": c.actor, "ref": event.after.get("into", "—"), "n": n}  # fmt: skip


def _merged_from(event: Any, c: _Context) -> str:
    n = int(event.after.get("messages") or 0)
    return ngettext(
        "%(actor)s merged %(ref)s into this ticket, moving %(n)d message.",
        "%(actor)s merged %(ref)s into this ticket, moving %(n)d messages.", n,
    ) % {"actor": c.actor, "ref": event.after.get("from", "—"), "n": n}  # fmt: skip


def _clock_list(clocks: Iterable[dict]) -> str:
    parts = []
    for clock in clocks:
        if clock.get("due_at"):
            parts.append(_("%(clock)s is due %(due)s") % {
                "clock": _clock(clock.get("metric")), "due": when(clock["due_at"])})  # fmt: skip
        else:
            parts.append(_("%(clock)s waits (paused)") % {"clock": _clock(clock.get("metric"))})
    return join_words(parts)


def _sla_started(event: Any, c: _Context) -> str:
    return _("SLA policy %(policy)s applies: %(clocks)s.") % {
        "policy": event.after.get("policy") or _clock_policy(event.after),
        "clocks": _clock_list(event.after.get("clocks") or [])}  # fmt: skip


def _clock_policy(after: dict) -> str:
    clocks = after.get("clocks") or [{}]
    return str(clocks[0].get("policy") or "—")


def _sla_fulfilled(event: Any, c: _Context) -> str:
    parts = []
    for clock in event.after.get("clocks") or []:
        target = _target(clock.get("metric"))
        if clock.get("state") == "missed":
            parts.append(capfirst(_("%(target)s was missed.") % {"target": target}))
        else:
            parts.append(capfirst(_("%(target)s was met.") % {"target": target}))
    return " ".join(parts) or _("An SLA target was met.")


def _left(clock: dict) -> str:
    target, used = clock.get("target_seconds"), clock.get("used_seconds")
    metric = _clock(clock.get("metric"))
    if target is None or used is None:
        return capfirst(_("%(clock)s paused.") % {"clock": metric})
    if used > target:
        return capfirst(_("%(clock)s paused %(over)s past its target.")
                        % {"clock": metric, "over": duration(used - target)})  # fmt: skip
    return capfirst(_("%(clock)s paused with %(left)s left.")
                    % {"clock": metric, "left": duration(target - used)})  # fmt: skip


def _sla_paused(event: Any, c: _Context) -> str:
    return " ".join(_left(clock) for clock in event.after.get("clocks") or []) or _(
        "The SLA clocks paused.")  # fmt: skip


def _sla_resumed(event: Any, c: _Context) -> str:
    parts = []
    for clock in event.after.get("clocks") or []:
        if clock.get("due_at"):
            parts.append(capfirst(_("%(clock)s runs again, due %(due)s.") % {
                "clock": _clock(clock.get("metric")), "due": when(clock["due_at"])}))  # fmt: skip
        else:
            parts.append(
                capfirst(_("%(clock)s runs again.") % {"clock": _clock(clock.get("metric"))})
            )
    return " ".join(parts) or _("The SLA clocks run again.")


def _sla_cancelled(event: Any, c: _Context) -> str:
    clocks = [_clock(clock.get("metric")) for clock in event.after.get("clocks") or []]
    return capfirst(ngettext("%(clocks)s stopped without a result.",
                             "%(clocks)s stopped without a result.", len(clocks))
                    % {"clocks": join_words(clocks) or _("an SLA clock")})  # fmt: skip


def _sla_retargeted(event: Any, c: _Context) -> str:
    reason = event.after.get("reason")
    clocks = _clock_list(event.after.get("clocks") or [])
    if reason == "priority changed":
        text = _("The SLA targets moved with the new priority")
    elif reason == "queue changed":
        text = _("The SLA targets moved with the new queue")
    else:
        text = _("The SLA targets moved after a change to the SLA settings")
    if not clocks:
        return _("%(change)s: no clock is running now.") % {"change": text}
    return _("%(change)s: %(clocks)s.") % {"change": text, "clocks": clocks}


def _sla_warning(event: Any, c: _Context) -> str:
    return capfirst(_("%(target)s is at risk (policy %(policy)s).") % {
        "target": _target(event.after.get("metric")),
        "policy": event.after.get("policy", "—")})  # fmt: skip


def _sla_breach(event: Any, c: _Context) -> str:
    return capfirst(_("%(target)s was breached: it was due %(due)s (policy %(policy)s).") % {
        "target": _target(event.after.get("metric")), "due": when(event.after.get("due_at")),
        "policy": event.after.get("policy", "—")})  # fmt: skip


def _sla_escalation_requested(event: Any, c: _Context) -> str:
    return capfirst(_("%(target)s was breached and its policy asks for an escalation, but no "
                      "escalation reason handles SLA breaches.")
                    % {"target": _target(event.after.get("metric"))})  # fmt: skip


def _escalation_values(event: Any, c: _Context) -> dict:
    return {"actor": c.actor, "team": event.after.get("team", "—"),
            "severity": event.after.get("severity", "—"), "reason": event.after.get("reason", "—"),
            "note": _quoted(event.after.get("note")),
            "outcome": _quoted(event.after.get("outcome")),
            "owner": event.after.get("owner", "—")}  # fmt: skip


def _escalation_raised(event: Any, c: _Context) -> str:
    values = _escalation_values(event, c)
    if event.after.get("automatic") or not c.by_person:
        return _("The ticket was escalated automatically to %(team)s (%(severity)s, "
                 "%(reason)s).") % values  # fmt: skip
    return _("%(actor)s escalated the ticket to %(team)s (%(severity)s, %(reason)s).") % values


def _escalation(template: str) -> Sentence:
    return lambda event, c: _(template) % _escalation_values(event, c)


def _incident_linked(event: Any, c: _Context) -> str:
    return _("%(actor)s linked the ticket to the incident %(title)s.") % {
        "actor": c.actor, "title": _quoted(event.after.get("title"))}  # fmt: skip


def _incident_unlinked(event: Any, c: _Context) -> str:
    return _("%(actor)s removed the ticket from the incident %(title)s.") % {
        "actor": c.actor, "title": _quoted(event.after.get("title"))}  # fmt: skip


def _sop_step(event: Any, c: _Context) -> str:
    values = {"actor": c.actor, "step": event.after.get("step", "?"),
              "sop": _quoted(event.after.get("sop")),
              "text": event.after.get("text", "")}  # fmt: skip
    if event.kind == "sop_step_undone":
        return _("%(actor)s unticked step %(step)s of %(sop)s: %(text)s") % values
    return _("%(actor)s ticked step %(step)s of %(sop)s: %(text)s") % values


def _simple(template: str) -> Sentence:
    """A sentence that names only the actor. The template is marked for translation
    where it is listed (TICKET_SENTENCES) and translated when it is shown."""
    return lambda event, c: _(template) % {"actor": c.actor}


def _requester_replied(event: Any, c: _Context) -> str:
    return _("The requester wrote again.")


def _linked(event: Any, c: _Context) -> str:
    return _("%(actor)s linked this ticket to %(ref)s.") % {
        "actor": c.actor, "ref": event.after.get("ticket", "—")}  # fmt: skip


def _macro_applied(event: Any, c: _Context) -> str:
    return _("%(actor)s used the macro %(macro)s.") % {
        "actor": c.actor, "macro": _quoted(event.after.get("macro"))}  # fmt: skip


def _escalation_note(event: Any, c: _Context) -> str:
    values = _escalation_values(event, c)
    if values["team"] == "—":
        return _("%(actor)s added a note to the escalation: %(note)s") % values
    return _("%(actor)s added a note to the escalation to %(team)s: %(note)s") % values


TICKET_SENTENCES: dict[str, Sentence] = {
    "created": _created,
    "status_changed": _status_changed,
    "assigned": _assigned,
    "priority_changed": _priority_changed,
    "queue_changed": _queue_changed,
    "tags_changed": _tags_changed,
    "note_added": _simple(gettext_noop("%(actor)s added an internal note.")),
    "reply_sent": _simple(gettext_noop("%(actor)s replied to the requester.")),
    "requester_replied": _requester_replied,
    "macro_applied": _macro_applied,
    "merged_into": _merged_into,
    "merged_from": _merged_from,
    "linked": _linked,
    "sla_started": _sla_started,
    "sla_fulfilled": _sla_fulfilled,
    "sla_paused": _sla_paused,
    "sla_resumed": _sla_resumed,
    "sla_cancelled": _sla_cancelled,
    "sla_retargeted": _sla_retargeted,
    "sla_warning": _sla_warning,
    "sla_breach": _sla_breach,
    "sla_escalation_requested": _sla_escalation_requested,
    "escalation_raised": _escalation_raised,
    "escalation_requested": _escalation(
        gettext_noop("%(actor)s asked for an escalation to %(team)s.")
    ),
    "escalation_accepted": _escalation(
        gettext_noop("%(actor)s accepted the escalation to %(team)s.")
    ),
    "escalation_in_progress": _escalation(
        gettext_noop("%(actor)s started work on the escalation to %(team)s.")
    ),
    "escalation_resolved": _escalation(
        gettext_noop("%(actor)s resolved the escalation to %(team)s: %(outcome)s")
    ),
    "escalation_returned": _escalation(
        gettext_noop("%(actor)s returned the escalation to %(team)s to the agent: %(note)s")
    ),
    "escalation_rejected": _escalation(
        gettext_noop("%(actor)s rejected the escalation to %(team)s: %(note)s")
    ),
    "escalation_assigned": _escalation(
        gettext_noop("%(actor)s gave the escalation to %(team)s to %(owner)s.")
    ),
    "escalation_note": _escalation_note,
    "incident_linked": _incident_linked,
    "incident_unlinked": _incident_unlinked,
    "page_acknowledged": _simple(gettext_noop("%(actor)s acknowledged the on-call page.")),
    "sop_step_done": _sop_step,
    "sop_step_undone": _sop_step,
}


def register_sentences(sentences: Mapping[str, Sentence]) -> None:
    """An app above tickets tells its own event kinds (from its ``AppConfig.ready``)."""
    for kind, sentence in sentences.items():
        existing = TICKET_SENTENCES.setdefault(kind, sentence)
        if existing is not sentence:
            raise ValueError(f"the event kind {kind!r} already has a sentence")


# The SLA clock events a change sets off are told with that change: same person, same
# moment, and the change that moves that clock (a status change names its new status in
# the clock event; a reply meets a reply target; a new ticket or a requester's message
# starts clocks; a new priority or queue moves them; a merge cancels them).
_CLOCK_KINDS = {"sla_started", "sla_fulfilled", "sla_paused", "sla_resumed", "sla_cancelled",
                "sla_retargeted"}  # fmt: skip
_SAME_MOMENT = timedelta(seconds=2)
_NEARBY = 4  # events either side


def _set_off_by(clock: Any, cause: Any) -> bool:
    if cause.kind in _CLOCK_KINDS or cause.actor_id != clock.actor_id:
        return False
    if abs(clock.created_at - cause.created_at) > _SAME_MOMENT:
        return False
    status = clock.after.get("status")
    if cause.kind == "status_changed":
        return status is not None and status == cause.after.get("status")
    if status is not None:
        return False
    return (
        (cause.kind == "reply_sent" and clock.kind == "sla_fulfilled")
        or (cause.kind in ("created", "requester_replied") and clock.kind == "sla_started")
        or (cause.kind == "merged_into" and clock.kind == "sla_cancelled")
        or (clock.kind == "sla_retargeted"
            and (cause.kind, clock.after.get("reason")) in (
                ("priority_changed", "priority changed"), ("queue_changed", "queue changed")))
    )  # fmt: skip


def _unknown(event: Any, c: _Context) -> str:
    if c.by_person:
        return _("%(actor)s changed the ticket.") % {"actor": c.actor}
    return _("The ticket changed.")


def _context(event: Any, queue_names: dict[str, str]) -> _Context:
    name = _name(event.actor)
    return _Context(actor=name or _("The system"), by_person=bool(name), queue_names=queue_names)


def ticket_entries(events: Sequence[Any], *, queue_names: dict[str, str] | None = None
                   ) -> list[Entry]:  # fmt: skip
    """The events (newest first, as the timeline lists them) as entries, newest first.
    ``queue_names`` maps the queue slugs events name to the queues' names."""
    names = queue_names or {}
    ordered = list(reversed(list(events)))  # oldest first
    texts = [TICKET_SENTENCES.get(e.kind, _unknown)(e, _context(e, names)) for e in ordered]
    causes: dict[int, int] = {}  # clock event index -> the index of the change behind it
    for i, event in enumerate(ordered):
        if event.kind not in _CLOCK_KINDS:
            continue
        # The change is written just before its clock events, or (a reply) just after;
        # other changes of the same moment (a status change a reply made) may be between.
        for step in (-1, 1):
            j = i + step
            while 0 <= j < len(ordered) and abs(i - j) <= _NEARBY:
                if _set_off_by(event, ordered[j]):
                    causes[i] = j
                    break
                j += step
            if i in causes:
                break
    entries: dict[int, Entry] = {}
    for i, event in enumerate(ordered):
        if i not in causes:
            entries[i] = Entry(kind=event.kind, created_at=event.created_at,
                               actor=_name(event.actor), text=texts[i],
                               actor_id=event.actor_id)  # fmt: skip
    for i, j in causes.items():
        entries[j].follow_ups.append(texts[i])
    return [entries[i] for i in sorted(entries, reverse=True)]


def queue_slugs(events: Iterable[Any]) -> set[str]:
    """The queue slugs these events name (to look their names up in one query)."""
    slugs: set[str] = set()
    for event in events:
        if event.kind in ("created", "queue_changed"):
            slugs.update(v for v in (event.before.get("queue"), event.after.get("queue")) if v)
    return slugs


# --------------------------------------------------------------- SOP events


def _version(event: Any) -> Any:
    if event.version_id and event.version is not None:
        return event.version.number
    return event.after.get("version", "?")


_SOP_FIELDS = {
    "title": lambda: _("the title"), "summary": lambda: _("the summary"),
    "owner": lambda: _("the owner"), "queues": lambda: _("the queues"),
    "categories": lambda: _("the categories"), "tags": lambda: _("the tags"),
    "languages": lambda: _("the languages"), "vendors": lambda: _("the vendors"),
    "body": lambda: _("the procedure"), "steps": lambda: _("the checklist"),
    "macros": lambda: _("the linked macros"), "change_summary": lambda: _("the change summary"),
    "effective_on": lambda: _("the effective date"),
    "requires_acknowledgement": lambda: _("whether it needs acknowledging"),
}  # fmt: skip


def _fields(keys: Iterable[str]) -> str:
    return join_words([_SOP_FIELDS[k]() if k in _SOP_FIELDS else k for k in keys])


def _sop_values(event: Any, c: _Context) -> dict:
    return {"actor": c.actor, "n": _version(event),
            "from": event.after.get("from_version") or event.before.get("replaces"),
            "note": _quoted(event.after.get("note"))}  # fmt: skip


def _draft_started(event: Any, c: _Context) -> str:
    values = _sop_values(event, c)
    if values["from"]:
        return _("%(actor)s started draft version %(n)s from version %(from)s.") % values
    return _("%(actor)s started draft version %(n)s.") % values


def _version_published(event: Any, c: _Context) -> str:
    values = _sop_values(event, c)
    if values["from"]:
        return _("%(actor)s published version %(n)s; it replaces version %(from)s.") % values
    return _("%(actor)s published version %(n)s.") % values


def _sop_simple(template: str) -> Sentence:
    return lambda event, c: _(template) % _sop_values(event, c)


def _draft_saved(event: Any, c: _Context) -> str:
    return _("%(actor)s saved draft version %(n)s, changing %(fields)s.") % {
        **_sop_values(event, c), "fields": _fields(event.after.get("changed") or [])}  # fmt: skip


def _sop_settings_changed(event: Any, c: _Context) -> str:
    return _("%(actor)s changed %(fields)s of the SOP.") % {
        "actor": c.actor, "fields": _fields(event.after.keys())}  # fmt: skip


SOP_SENTENCES: dict[str, Sentence] = {
    "sop_created": _sop_simple(gettext_noop("%(actor)s created the SOP (draft version %(n)s).")),
    "sop_settings_changed": _sop_settings_changed,
    "draft_started": _draft_started,
    "draft_saved": _draft_saved,
    "version_submitted": _sop_simple(gettext_noop("%(actor)s proposed version %(n)s for review.")),
    "version_returned": _sop_simple(
        gettext_noop("%(actor)s returned version %(n)s to draft: %(note)s")
    ),
    "version_archived": _sop_simple(
        gettext_noop("Version %(n)s was archived when a newer version was published.")
    ),
    "version_published": _version_published,
    "sop_retired": _sop_simple(
        gettext_noop("%(actor)s retired the SOP; version %(n)s is archived.")
    ),
    "version_imported": _sop_simple(gettext_noop("%(actor)s imported version %(n)s from a file.")),
}


def _sop_unknown(event: Any, c: _Context) -> str:
    return _("%(actor)s changed the SOP.") % {"actor": c.actor}


def sop_entries(events: Sequence[Any]) -> list[Entry]:
    """An SOP's audit events (newest first) as entries, newest first."""
    entries = []
    for event in events:
        context = _context(event, {})
        text = SOP_SENTENCES.get(event.kind, _sop_unknown)(event, context)
        entries.append(Entry(kind=event.kind, created_at=event.created_at, actor=_name(event.actor),
                             text=text, actor_id=event.actor_id))  # fmt: skip
    return entries
