"""Bidirectional-text controls from outside, made harmless where subjects and names show.

An override or embedding (U+202A-U+202E) or an isolate (U+2066-U+2069) in a subject or a
name reorders what follows it on screen: "invoice", U+202E, "fdp.exe" shows as "invoiceexe.pdf",
and a name can push the ticket reference or the agent's own words around it. Text needs
none of them to read right in Arabic or Hebrew (the page's dir="auto" and the Unicode
bidi algorithm do that), so they are removed. The marks U+200E, U+200F (and U+061C) only
steer neutral characters; a subject may legitimately carry one, so there runs of them
shrink to one, while names (where an invisible mark makes a look-alike of a colleague's
or a customer's name) lose them all.

Cleaned at intake (tickets, requesters, people), and again where shown, for what was
stored before.
"""

from __future__ import annotations

import re

CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
MARKS = "\u200e\u200f\u061c"
_REMOVE_CONTROLS = str.maketrans(dict.fromkeys(CONTROLS))
_REMOVE_ALL = str.maketrans(dict.fromkeys(CONTROLS + MARKS))
_ANY = re.compile(f"[{CONTROLS}{MARKS}]")
_MARK_RUNS = re.compile(f"[{MARKS}]{{2,}}")


def clean_subject(text: str) -> str:
    # The common cases kept cheap (queue rows call this per row): isascii() is a flag.
    if not text or text.isascii() or not _ANY.search(text):
        return text
    text = text.translate(_REMOVE_CONTROLS)
    return _MARK_RUNS.sub(lambda run: run.group()[0], text)


def clean_name(text: str) -> str:
    if not text or text.isascii() or not _ANY.search(text):
        return text
    return text.translate(_REMOVE_ALL).strip()
