"""How chat's events read on a ticket's timeline (registered with tickets.timeline)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _


def _offered(event: Any, c: Any) -> str:
    return _("The chat was offered to %(agent)s.") % {"agent": event.after.get("agent_name", "")}


def _passed(event: Any, c: Any) -> str:
    agent = event.after.get("agent_name", "")
    if event.after.get("reason") == "declined":
        return _("%(agent)s declined the chat.") % {"agent": agent}
    return _("%(agent)s did not answer the offer in time.") % {"agent": agent}


def _accepted(event: Any, c: Any) -> str:
    return _("%(actor)s accepted the chat.") % {"actor": c.actor}


def _transferred(event: Any, c: Any) -> str:
    return _("%(actor)s transferred the chat to %(to)s.") % {
        "actor": c.actor, "to": event.after.get("to", "")}  # fmt: skip


def _ended(event: Any, c: Any) -> str:
    by = event.after.get("by")
    if by == "requester":
        return _("The requester ended the chat.")
    if by == "idle":
        return _("The chat ended: the requester was idle.")
    return _("%(actor)s ended the chat.") % {"actor": c.actor}


def _left_message(event: Any, c: Any) -> str:
    return _("The requester left a message instead of waiting; the chat became an email "
             "ticket.")  # fmt: skip


def _idle(event: Any, c: Any) -> str:
    return _("The requester was reminded that the chat will close if they stay idle.")


SENTENCES = {
    "chat_offered": _offered,
    "chat_passed": _passed,
    "chat_accepted": _accepted,
    "chat_transferred": _transferred,
    "chat_ended": _ended,
    "chat_left_message": _left_message,
    "chat_idle_reminder": _idle,
}
