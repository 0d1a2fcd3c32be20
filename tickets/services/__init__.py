"""Every write in the tickets app, one function per state change (see ``tickets.py``),
and the SLA clocks those changes move (``sla.py``)."""

from tickets.services.common import TicketConflict, TicketError
from tickets.services.tickets import (
    MAX_BODY_CHARS,
    MAX_TAGS,
    TRANSITIONS,
    macro_apply,
    macro_render,
    message_attach,
    requester_get_or_create,
    sanitize_html,
    ticket_add_tags,
    ticket_assign,
    ticket_change_status,
    ticket_claim_next,
    ticket_create,
    ticket_link,
    ticket_merge,
    ticket_move_queue,
    ticket_reply,
    ticket_requester_reply,
    ticket_respond,
    ticket_set_priority,
    ticket_set_tags,
    ticket_update_properties,
    tickets_close_quiet_solved,
)
from tickets.sla.services import (
    sla_config_changed,
    sla_policy_for,
    sla_recompute,
    sla_sweep,
)

__all__ = [
    "MAX_BODY_CHARS", "MAX_TAGS", "TRANSITIONS", "TicketConflict", "TicketError",
    "macro_apply", "macro_render", "message_attach", "requester_get_or_create", "sanitize_html",
    "sla_config_changed", "sla_policy_for", "sla_recompute", "sla_sweep",
    "ticket_add_tags", "ticket_assign", "ticket_change_status", "ticket_claim_next",
    "ticket_create", "ticket_link", "ticket_merge", "ticket_move_queue", "ticket_reply",
    "ticket_requester_reply", "ticket_respond", "ticket_set_priority", "ticket_set_tags",
    "ticket_update_properties", "tickets_close_quiet_solved",
]  # fmt: skip
