"""The protected file on a ticket page (the safety shield's attachment template)."""

from __future__ import annotations

from typing import Any

from django import template

from safety import derivatives
from safety.models import Derivative, Level

register = template.Library()


@register.inclusion_tag("safety/viewing/attachment.html", takes_context=True)
def protected_attachment(context: template.Context, shield: Any, item: Any) -> dict[str, Any]:
    """``shield.context`` holds the ticket's category, the viewer's effective protection
    and the derivatives by attachment id (one query for the page, in viewing.shield_for)."""
    made: Derivative | None = shield.context["derivatives"].get(item.pk)
    state = made.state if made is not None else Derivative.State.NONE
    effective = shield.context["effective"]
    return {
        "item": item,
        "kind": derivatives.kind_of(item.content_type),
        "category": shield.context["category"],
        "effective": effective,
        "state": state,
        "pending": state == Derivative.State.PENDING,
        "show_preview": state == Derivative.State.READY and effective.level < Level.HIDDEN,
        # Previews made before the greyscale copy existed serve the blurred one.
        "grey_preview": effective.level == Level.GREY and made is not None and bool(made.grey_file),
        "derivative": made,
        "csrf_token": context.get("csrf_token"),
    }
