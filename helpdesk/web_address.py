"""The address `make run` serves on, for the launcher's banner and the default SITE_URL
(links in mail), so both follow WEB_HOST and WEB_PORT. Importable before Django."""

from __future__ import annotations

_ANY_OR_LOOPBACK = {"", "127.0.0.1", "0.0.0.0", "::", "::1", "localhost"}  # noqa: S104


def local_site_url(host: str | None, port: str | int | None) -> str:
    host = (host or "").strip()
    name = "localhost" if host in _ANY_OR_LOOPBACK else host
    if ":" in name and not name.startswith("["):
        name = f"[{name}]"  # an IPv6 address
    return f"http://{name}:{port or 8000}"
