from django import template
from django.utils import timezone
from django.utils.html import format_html

from tickets.presenters import sla_badge as badge_for

register = template.Library()


@register.simple_tag
def sla_badge(ticket) -> str:  # type: ignore[no-untyped-def]
    """The nearest SLA target as a badge, by the same rule as the queue's rows
    (``tickets.presenters.sla_badge``): time left or overdue, coloured by risk; a paused
    ticket says so, and stays red if a target was already missed."""
    badge = None
    if ticket.is_active:
        badge = badge_for(due_at=ticket.sla_due_at, warn_at=ticket.sla_warn_at,
                          paused=ticket.sla_paused, breached=ticket.sla_breached,
                          now=timezone.now())  # fmt: skip
    if badge is None:
        return format_html('<span class="text-body-secondary">{}</span>', "—")
    return format_html('<span class="badge {}" title="{}" data-testid="sla-badge">{}</span>',
                       badge.css, badge.title, badge.text)  # fmt: skip
