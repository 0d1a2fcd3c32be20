"""Remote images in inbound HTML mail are not loaded unless asked for, per message.

A remote image tells its sender when, from where and in which browser the mail was
read (tracking pixels), so mail clients hold them back. The stored HTML (already
sanitised with nh3 at intake) is rendered with each image's address moved from
``src`` to ``data-remote-src``; a "Load remote images" link asks for the ticket page
again with ``remote_images=<message id>``. That response alone shows those images:
their ``src`` comes back, and its Content-Security-Policy allows exactly their
origins (``RemoteImagesCSPMiddleware``), where every other page keeps
``img-src 'self' data:``.

Why not a proxy that fetches the images for the browser: it would make the server
fetch addresses chosen by whoever writes to us (internal ones included) from the web
workers, and a tracking pixel still fires either way; the browser fetching them after
the agent asked, as a mail client does, needs neither.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape
from html.parser import HTMLParser
from urllib.parse import urlsplit

import nh3
from django.http import HttpRequest
from django.http.response import HttpResponseBase

REMOTE_SRC = "data-remote-src"
MAX_ORIGINS = 30  # images from more hosts than this stay blocked (a header has limits)
_HOST = re.compile(r"^[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?$")
_ATTRIBUTES = {**nh3.ALLOWED_ATTRIBUTES, "img": nh3.ALLOWED_ATTRIBUTES["img"] | {REMOTE_SRC}}


@dataclass
class RenderedHTML:
    html: str
    images: int = 0  # images that have a remote address
    origins: set[str] = field(default_factory=set)  # allowed to load (when loading)


def image_origin(url: str) -> str | None:
    """``scheme://host[:port]`` of an absolute http(s) address, or None if it is not
    one that can be named in a Content-Security-Policy source list."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    host = (parts.hostname or "").rstrip(".")
    if parts.scheme not in ("http", "https") or not host:
        return None
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    if not _HOST.match(host):
        return None
    return f"{parts.scheme}://{host}" + (f":{port}" if port else "")


class _Rewriter(HTMLParser):
    def __init__(self, *, load: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.load = load
        self.out: list[str] = []
        self.result = RenderedHTML(html="")

    def _image_attrs(self, attrs: list[tuple[str, str | None]]) -> list[tuple[str, str | None]]:
        kept = [(name, value) for name, value in attrs if name not in ("src", REMOTE_SRC)]
        src = next((value for name, value in attrs if name == "src" and value), None)
        if src is None:
            return kept
        self.result.images += 1
        origin = image_origin(src) if self.load else None
        if origin is not None and (
            origin in self.result.origins or len(self.result.origins) < MAX_ORIGINS
        ):
            self.result.origins.add(origin)
            return [("src", src), *kept]
        return [(REMOTE_SRC, src), *kept]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            attrs = self._image_attrs(attrs)
        rendered = "".join(
            f" {name}" if value is None else f' {name}="{escape(value, quote=True)}"'
            for name, value in attrs
        )
        self.out.append(f"<{tag}{rendered}>")

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag: str) -> None:
        self.out.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        self.out.append(escape(data, quote=False))


def render(html: str, *, load: bool) -> RenderedHTML:
    """Stored (nh3-sanitised) mail HTML as it is shown: remote images held back, or
    with ``load`` shown (those whose origin can be allowed)."""
    if "<img" not in html:
        return RenderedHTML(html=html)
    rewriter = _Rewriter(load=load)
    rewriter.feed(html)
    rewriter.close()
    result = rewriter.result
    # Sanitised again (the same rules as at intake, plus the data attribute), so what the
    # rewrite produced can be no less safe than what was stored.
    result.html = nh3.clean(
        "".join(rewriter.out), attributes=_ATTRIBUTES,
        link_rel="noopener noreferrer nofollow", url_schemes={"http", "https", "mailto"},
    )  # fmt: skip
    return result


def allow_on_response(request: HttpRequest, origins: set[str]) -> None:
    """Ask RemoteImagesCSPMiddleware to let this response load images from ``origins``."""
    allowed: set[str] = getattr(request, "remote_image_origins", set())
    request.remote_image_origins = allowed | origins  # type: ignore[attr-defined]


class RemoteImagesCSPMiddleware:
    """Adds the origins a page's "Load remote images" asked for to that response's
    img-src (django-csp's per-response update). Listed after CSPMiddleware, so it sees
    the response first."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        origins = getattr(request, "remote_image_origins", None)
        if origins:
            update = dict(getattr(response, "_csp_update", None) or {})
            update["img-src"] = [*update.get("img-src", []), *sorted(origins)]
            response._csp_update = update  # type: ignore[attr-defined]  # django-csp reads it
        return response
