"""Absolute URLs for links that leave the site (mail, webhooks, pages), built from the
URLconf and SITE_URL rather than by hand."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import get_script_prefix, reverse


def absolute_url(name_or_path: str, *args: Any, **kwargs: Any) -> str:
    """SITE_URL followed by the path: `name_or_path` is a URL name for `reverse()` (with
    its args or kwargs), or a path starting with "/" joined as it is.

    SITE_URL is the site's root as the outside world sees it, mount point included, so
    the script prefix reverse() adds inside a request is taken off again: a link is the
    same whether a request, a worker or a command builds it."""
    if name_or_path.startswith("/"):
        path = name_or_path
    else:
        path = reverse(name_or_path, args=args or None, kwargs=kwargs or None)
        prefix = get_script_prefix()
        if prefix != "/" and path.startswith(prefix):
            path = "/" + path[len(prefix) :]
    return f"{settings.SITE_URL}{path}"
