from datetime import timedelta

from django import template
from django.utils import timezone
from django.utils.timesince import timeuntil

from core import chrome

register = template.Library()


@register.filter
def duration(value: timedelta | None) -> str:
    """A timedelta in words, in the active language ("14 minutes")."""
    if not isinstance(value, timedelta):
        return ""
    now = timezone.now()
    return timeuntil(now + value, now)


@register.filter
def get_item(mapping: dict | None, key: object) -> object:
    """mapping[key] in a template (None when missing)."""
    return (mapping or {}).get(key)


@register.simple_tag(takes_context=True)
def page_header(context: template.Context) -> str:
    return chrome.header(context.get("request"), context.get("user"),
                         context.get("nav_items", []), context.get("csrf_token"))  # fmt: skip


@register.simple_tag(takes_context=True)
def page_footer(context: template.Context) -> str:
    return chrome.footer(context.get("request"), context.get("csrf_token"))


@register.simple_tag(takes_context=True)
def sop_banner_slot(context: template.Context) -> str:
    pending = context.get("pending_sops") or []
    return chrome.sop_banner_slot(
        context.get("request"), pending() if callable(pending) else pending,
        csrf_token=context.get("csrf_token"),
    )  # fmt: skip
