"""How safety's events read on a ticket's timeline (registered with tickets.timeline)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _


def _report_added(event: Any, c: Any) -> str:
    return _("Report %(report)s about the same item joined this case (%(count)s in all).") % {
        "report": event.after.get("report", ""),
        "count": event.after.get("reports", 1),
    }


def _decided(event: Any, c: Any) -> str:
    return _("%(actor)s decided: %(outcome)s.") % {
        "actor": c.actor, "outcome": event.after.get("outcome_label", "")}  # fmt: skip


def _appeal_received(event: Any, c: Any) -> str:
    return _("Appeal %(appeal)s received against the decision.") % {
        "appeal": event.after.get("appeal", "")}  # fmt: skip


def _appeal_decided(event: Any, c: Any) -> str:
    return _("%(actor)s decided appeal %(appeal)s: %(outcome)s.") % {
        "actor": c.actor, "appeal": event.after.get("appeal", ""),
        "outcome": event.after.get("outcome_label", "")}  # fmt: skip


def _marked(event: Any, c: Any) -> str:
    return _("%(actor)s marked this ticket sensitive (%(category)s).") % {
        "actor": c.actor, "category": event.after.get("category", "")}  # fmt: skip


def _unmarked(event: Any, c: Any) -> str:
    return _("%(actor)s removed the sensitive mark.") % {"actor": c.actor}


SENTENCES = {
    "safety_report_added": _report_added,
    "safety_case_decided": _decided,
    "safety_appeal_received": _appeal_received,
    "safety_appeal_decided": _appeal_decided,
    "safety_marked_sensitive": _marked,
    "safety_unmarked_sensitive": _unmarked,
}
