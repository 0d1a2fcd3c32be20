from datetime import timedelta

from django import template
from django.utils import timezone
from django.utils.timesince import timeuntil

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
