from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.timesince import timesince, timeuntil
from django.utils.translation import gettext as _

register = template.Library()


@register.simple_tag
def sla_badge(ticket) -> str:  # type: ignore[no-untyped-def]
    """The nearest SLA target as a badge: time left, or how long overdue, coloured by risk."""
    due = ticket.sla_due_at
    if due is None or not ticket.is_active:
        return format_html('<span class="text-body-secondary">{}</span>', "—")
    now = timezone.now()
    seconds_left = (due - now).total_seconds()
    if seconds_left <= 0:
        css, text = "text-bg-danger", _("%(time)s overdue") % {"time": timesince(due, now)}
    elif seconds_left <= 3600:
        css, text = "text-bg-warning", _("%(time)s left") % {"time": timeuntil(due, now)}
    else:
        css, text = "text-bg-success", _("%(time)s left") % {"time": timeuntil(due, now)}
    return format_html('<span class="badge {}" title="{}">{}</span>', css, due.isoformat(), text)
