"""Masking listed words in the messages of protected tickets: whole words only,
whatever their case, in any script (``\\w`` is Unicode), as "▇▇▇▇" (the same length
whatever the word, so the mask does not tell it).

A plain body is escaped around the masks; an HTML body (sanitised when stored) has only
its text nodes masked: tags and attributes pass through untouched."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

MASK = "▇▇▇▇"
_TAG = re.compile(r"(<[^>]*>)")


@dataclass(frozen=True)
class Masked:
    html: SafeString
    count: int


def pattern(words: Iterable[str]) -> re.Pattern[str] | None:
    """One expression matching any of the words or phrases as whole words; None when
    there are none. Longer phrases first, so "bad word" wins over "bad"."""
    cleaned = sorted({w.strip() for w in words if w and w.strip()}, key=len, reverse=True)
    if not cleaned:
        return None
    alternatives = "|".join(r"\s+".join(map(re.escape, w.split())) for w in cleaned)
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def _mask_escaped(text: str, words: re.Pattern[str]) -> tuple[str, int]:
    """Plain text, escaped, with the words masked."""
    label = escape(_("masked word"))
    mask = f'<span class="safety-mask" role="img" aria-label="{label}">{MASK}</span>'
    out: list[str] = []
    count = 0
    last = 0
    for match in words.finditer(text):
        out.append(escape(text[last : match.start()]))
        out.append(mask)
        last = match.end()
        count += 1
    out.append(escape(text[last:]))
    return "".join(out), count


def mask_text(text: str, words: re.Pattern[str] | None) -> Masked:
    """A plain body as the page shows it (escaped, line breaks kept), words masked."""
    if words is None:
        escaped, count = str(escape(text)), 0
    else:
        escaped, count = _mask_escaped(text, words)
    lines = escaped.replace("\r\n", "\n").replace("\n", "<br>")
    return Masked(mark_safe(lines), count)  # noqa: S308 - escaped above


def mask_html(sanitised: str, words: re.Pattern[str] | None) -> Masked:
    """Sanitised HTML with the words in its text nodes masked."""
    if words is None:
        return Masked(mark_safe(sanitised), 0)  # noqa: S308 - sanitised when stored
    out: list[str] = []
    count = 0
    for part in _TAG.split(sanitised):
        if not part:
            continue
        if part.startswith("<"):
            out.append(part)
            continue
        masked, n = _mask_escaped(html.unescape(part), words)
        out.append(masked)
        count += n
    return Masked(mark_safe("".join(out)), count)  # noqa: S308 - tags kept, text escaped
