"""How the survey events read on a ticket's timeline (registered with tickets.timeline)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from quality.models import REASONS


def _skip_reason(key: str) -> str:
    return {
        "recent": _("the requester had a survey recently"),
        "sample": _("the ticket was not in the surveyed sample"),
        "category": _("its category is never surveyed"),
        "no_address": _("the requester has no address to send it to"),
        "disabled": _("surveys are switched off"),
        "reopened": _("the ticket was reopened"),
        "merged": _("the ticket was merged"),
    }.get(key, key)


def _score(after: dict) -> str:
    if after.get("scale") == "two":
        return _("good") if after.get("positive") else _("bad")
    return pgettext("a rating out of five", "%(score)s out of 5") % {"score": after.get("score")}


def _sent(event: Any, c: Any) -> str:
    if event.after.get("by_email"):
        return _("A satisfaction survey was sent to the requester.")
    return _("A satisfaction survey was offered to the requester (in the help center and the "
             "app: they have no email address).")  # fmt: skip


def _skipped(event: Any, c: Any) -> str:
    return _("No satisfaction survey was sent: %(reason)s.") % {
        "reason": _skip_reason(event.after.get("reason", ""))}  # fmt: skip


def _cancelled(event: Any, c: Any) -> str:
    return _("The satisfaction survey waiting to go out was cancelled: %(reason)s.") % {
        "reason": _skip_reason(event.after.get("reason", ""))}  # fmt: skip


def _rated(event: Any, c: Any) -> str:
    after = event.after
    values = {"score": _score(after), "reason": REASONS.get(after.get("reason", ""), "")}
    if event.before:
        text = _("The requester changed their rating to %(score)s.") % values
    else:
        text = _("The requester rated the support %(score)s.") % values
    if values["reason"]:
        text += " " + _("Reason: %(reason)s.") % values
    return text


def _reviewed(event: Any, c: Any) -> str:
    return _("A QA review of this ticket was submitted.")


def _rescored(event: Any, c: Any) -> str:
    return _("%(actor)s changed the score of this ticket's QA review after a dispute.") % {
        "actor": c.actor}  # fmt: skip


SENTENCES = {"csat_sent": _sent, "csat_skipped": _skipped, "csat_cancelled": _cancelled,
             "csat_rated": _rated, "qa_reviewed": _reviewed, "qa_rescored": _rescored}  # fmt: skip
