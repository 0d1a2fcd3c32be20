"""One codec for the opaque cursors of keyset pages: the last row's sort values, signed
so a client can hand them back but not forge them. Each list has its own salt, so one
list's cursor is garbage to another."""

from __future__ import annotations

import binascii
import json
import zlib
from typing import Any

from django.core import signing


def encode(values: list[Any] | tuple[Any, ...], *, salt: str) -> str:
    """A signed, URL-safe token for JSON-serialisable values (compressed when shorter)."""
    return signing.dumps(values, salt=salt, compress=True)


def decode(cursor: str, *, salt: str) -> list[Any] | None:
    """The values `encode` signed with this salt; None for an empty cursor, garbage, a
    tampered or foreign-salted token, or a payload that is not a list. Never raises."""
    if not cursor or not isinstance(cursor, str):
        return None
    try:
        values = signing.loads(cursor, salt=salt)
    except (signing.BadSignature, binascii.Error, json.JSONDecodeError, ValueError,
            TypeError, zlib.error):  # fmt: skip
        return None
    return values if isinstance(values, list) else None
