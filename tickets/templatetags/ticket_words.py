"""Ticket changes in words for the Django templates (tickets/timeline.py)."""

from django import template

from tickets import timeline
from tickets.models import Macro, Queue

register = template.Library()


@register.filter
def macro_actions(macro: Macro | None) -> str:
    """What sending this macro will change besides the reply, in one sentence ('' if
    nothing): the composer's preview says it before the agent sends."""
    if macro is None:
        return ""
    queue_name = ""
    if macro.set_queue_id:
        # Looked up, not macro.set_queue: macros are cached per process and shared.
        queue_name = Queue.objects.filter(pk=macro.set_queue_id).values_list(
            "name", flat=True).first() or ""  # fmt: skip
    return timeline.macro_actions(macro, queue_name=queue_name)
