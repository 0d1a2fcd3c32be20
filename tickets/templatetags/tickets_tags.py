from typing import Any

from django import template
from django.http import QueryDict
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from core import bidi
from tickets import remote_images
from tickets.models import Message, Ticket
from tickets.presenters import sla_badge as badge_for
from tickets.shields import Shield

register = template.Library()


@register.simple_tag
def sla_badge(ticket: Ticket) -> str:
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


# ------------------------------------------------------- mail hygiene (issue 14 item 7)


@register.filter
def bidi_clean(value: Any, kind: str = "subject") -> str:
    """Bidirectional overrides, embeddings and isolates removed from a subject (or with
    ``"name"``, a person's name: marks too); see core/bidi.py."""
    text = "" if value is None else str(value)
    return bidi.clean_name(text) if kind == "name" else bidi.clean_subject(text)


@register.simple_tag
def shielded_body(shield: Shield, message: Message) -> SafeString:
    """A message's body as a shield shows it (tickets.shields), safe HTML."""
    if shield.body is None:  # the template asks only when it is set
        raise ValueError("this shield leaves message bodies as they are")
    return shield.body(message)


@register.simple_tag(takes_context=True)
def message_html(context: template.Context, message: Message) -> str:
    """A message's stored HTML with its remote images held back, and a "Load remote
    images" link; once asked for (``?remote_images=<id>``) shown, with this response's
    CSP allowing their origins (tickets/remote_images.py)."""
    request = context.get("request")
    asked = request.GET.getlist("remote_images") if request is not None else []
    load = str(message.pk) in asked
    rendered = remote_images.render(message.body_html, load=load)
    body = mark_safe(rendered.html)  # noqa: S308 - nh3-sanitised at intake and again here
    if not rendered.images:
        return body
    anchor = f"remote-images-{message.pk}"
    query = request.GET.copy() if request is not None else QueryDict(mutable=True)
    if load and request is not None:  # (load implies a request)
        remote_images.allow_on_response(request, rendered.origins)
        query.setlist("remote_images", [pk for pk in asked if pk != str(message.pk)])
        text, link = _("Remote images are shown for this message."), _("Hide them")
    else:
        query.setlist("remote_images", [*asked, str(message.pk)])
        text = _("Remote images in this message are not shown, so its sender cannot tell "
                 "when it was read.")  # fmt: skip
        link = _("Load remote images")
    href = f"?{query.urlencode()}#{anchor}"
    notice = format_html(
        '<p class="small text-body-secondary remote-images" id="{}" data-testid="remote-images">'
        '{} <a href="{}">{}</a></p>',
        anchor, text, href, link,
    )  # fmt: skip
    return notice + body
