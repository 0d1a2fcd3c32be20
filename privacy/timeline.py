"""How privacy's events read on a ticket's timeline (registered with tickets.timeline)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _


def _erased(event: Any, c: Any) -> str:
    return _("The requester's personal data on this ticket was erased at their request.")


def _restricted(event: Any, c: Any) -> str:
    return _("The processing of the requester's data was restricted at their request: the "
             "ticket was closed and nothing more is sent to them.")  # fmt: skip


def _redacted(event: Any, c: Any) -> str:
    return _("%(actor)s redacted %(count)s characters of a message: %(reason)s") % {
        "actor": c.actor, "count": event.after.get("characters", 0),
        "reason": event.after.get("reason", "")}  # fmt: skip


def _replaced(event: Any, c: Any) -> str:
    return _("%(actor)s replaced a file by a redaction notice: %(reason)s") % {
        "actor": c.actor, "reason": event.after.get("reason", "")}  # fmt: skip


SENTENCES = {"personal_data_erased": _erased, "processing_restricted": _restricted,
             "message_redacted": _redacted, "attachment_replaced": _replaced}  # fmt: skip
