"""Outbound email, rendered: every mail we send (replies, acknowledgements,
notifications) comes from a pair of templates, ``templates/email/<name>.txt`` and
``<name>.html``, plus a one-line ``<name>_subject.txt``, in the recipient's language.

Rendering happens when the outbox row is written, so the row holds exactly what
goes out: a retry an hour later sends the same words, and the admin can read them.
Header values are folded to one line here and again when sent; nothing a requester
or an admin types can add a header.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.headerregistry import Address
from email.utils import formataddr, parseaddr
from typing import TYPE_CHECKING

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from core import bidi

if TYPE_CHECKING:
    from accounts.models import User


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def one_line(text: str, limit: int = 250) -> str:
    """A header value: no line breaks (no header injection), bounded length."""
    return " ".join(str(text).split())[:limit]


def supported_language(*candidates: str | None) -> str:
    """The first candidate among the UI languages (settings.LANGUAGES), matched as the
    language middleware matches a browser's: ``es-MX`` counts as ``es``, ``zh`` (a skill
    code) as ``zh-hans``."""
    for code in candidates:
        if not code:
            continue
        try:
            return translation.get_supported_language_variant(code.lower())
        except LookupError:
            continue
    return settings.LANGUAGE_CODE


def language_for(user: User) -> str:
    """The language of mail to a person (agent, lead): their chosen UI language, else
    the first of their languages (skills) the helpdesk is translated into."""
    return supported_language(user.ui_language, *user.languages)


def render(name: str, context: dict, *, language: str) -> RenderedEmail:
    """Subject, plain text and HTML of ``templates/email/<name>.*`` in ``language``.
    The HTML templates autoescape like every page; the text ones are not HTML and
    turn autoescaping off themselves."""
    language = supported_language(language)
    context = {**context, "site_url": settings.SITE_URL, "language": language}
    with translation.override(language):
        subject = render_to_string(f"email/{name}_subject.txt", context)
        text = render_to_string(f"email/{name}.txt", context)
        html = render_to_string(f"email/{name}.html", context)
    # A requester's subject comes back in ours: without its bidi overrides (core/bidi.py).
    return RenderedEmail(one_line(bidi.clean_subject(subject)), text.strip() + "\n", html)


def sender(name: str, address: str) -> str:
    """``"Name" <address>`` with the name folded to one line and quoted as needed."""
    address = parseaddr(address)[1]
    Address(addr_spec=address)  # raises on an address no mail server would take
    return formataddr((one_line(name, 120), address))
