"""Every UI language (settings.LANGUAGES) has a complete catalogue, and the compiled .mo
the server reads says exactly what its .po says.

A catalogue fails when it is missing, when it lacks a string marked in the source (read
the way ``make messages`` reads it: refresh the catalogues), when any entry is
untranslated (an empty msgstr, or any empty plural form) or fuzzy (gettext skips those,
so the page shows English),
when a translation's python-format placeholders differ from its msgid's (a missing or
renamed ``%(name)s`` raises KeyError or drops the value when the string is formatted),
or when its .mo was not compiled from the current .po (``make messages``).
"""

from __future__ import annotations

import contextlib
import re
import shutil
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from django.utils.translation import to_locale

LOCALE_DIR = Path(settings.LOCALE_PATHS[0])
# The source strings are written in LANGUAGE_CODE: it needs no catalogue.
TRANSLATED = [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
# How many offending entries a failure lists (the count says how many there are).
SHOWN = 15

PLACEHOLDER = re.compile(
    r"%(?:\((?P<name>[^)]*)\))?[#0 +\-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?"
    r"(?P<kind>[diouxXeEfFgGcrsa%])"
)


def catalogue_path(code: str, suffix: str = "po") -> Path:
    return LOCALE_DIR / to_locale(code) / "LC_MESSAGES" / f"django.{suffix}"


def load(code: str) -> polib.POFile:
    path = catalogue_path(code)
    if not path.exists():
        pytest.fail(f"{code}: no catalogue at {path.relative_to(settings.BASE_DIR)}")
    return polib.pofile(str(path))


def entries(catalogue: polib.POFile) -> list[polib.POEntry]:
    return [entry for entry in catalogue if not entry.obsolete]


def placeholders(text: str) -> tuple[tuple[tuple[str, str], ...], tuple[str, ...]]:
    """Named placeholders (name, conversion), sorted, and positional conversions in order."""
    named, positional = [], []
    for match in PLACEHOLDER.finditer(text):
        if match["kind"] == "%":
            continue
        if match["name"] is not None:
            named.append((match["name"], match["kind"]))
        else:
            positional.append(match["kind"])
    return tuple(sorted(set(named))), tuple(positional)


def plural_count(catalogue: polib.POFile) -> int:
    match = re.search(r"nplurals\s*=\s*(\d+)", catalogue.metadata.get("Plural-Forms", ""))
    return int(match[1]) if match else 0


def describe(code: str, problem: str, found: list[str]) -> str:
    listed = "\n  ".join(found[:SHOWN])
    more = f"\n  …and {len(found) - SHOWN} more" if len(found) > SHOWN else ""
    return f"{code}: {len(found)} {problem}:\n  {listed}{more}"


def placeholder_problem(entry: polib.POEntry, nplurals: int) -> str | None:
    if not entry.msgid_plural:
        if entry.msgstr and placeholders(entry.msgstr) != placeholders(entry.msgid):
            return f"{entry.msgstr!r} for {entry.msgid!r}"
        return None
    wanted_named, wanted_positional = placeholders(entry.msgid_plural)
    known = set(wanted_named) | set(placeholders(entry.msgid)[0])
    for index, text in sorted(entry.msgstr_plural.items()):
        if not text:
            continue
        named, positional = placeholders(text)
        # A form that stands for one number only ("one", "two" in Arabic) may spell the
        # number out and leave its placeholder unused; the general form (the last) may not.
        # Positional ones cannot be left out: "%d" % (n, m) would raise.
        general = index == nplurals - 1
        if (
            positional != wanted_positional
            or not set(named) <= known
            or (general and set(named) != set(wanted_named))
        ):
            return f"form {index} {text!r} for {entry.msgid_plural!r}"
    return None


@pytest.mark.parametrize("code", TRANSLATED)
def test_every_ui_language_has_a_catalogue_with_its_plural_forms(code):
    catalogue = load(code)
    assert plural_count(catalogue) > 0, f"{code}: the catalogue has no Plural-Forms header"
    assert catalogue_path(code, "mo").exists(), f"{code}: the catalogue is not compiled"


# What `make messages` leaves out of the source (Makefile), and what is not source at all.
NOT_SOURCE = {".venv", "node_modules", "tests", ".local", "locale", "staticfiles",
              "test-artifacts", "__pycache__"}  # fmt: skip


@pytest.fixture(scope="module")
def source_strings(tmp_path_factory) -> set[tuple[str, str]]:
    """(context, msgid) of every string marked for translation, found as ``make messages``
    finds them (makemessages and xgettext), over a symlinked copy of the tree so the real
    catalogues are not touched."""
    if shutil.which("xgettext") is None:
        pytest.fail("xgettext is needed to read the source's strings: install GNU gettext.")
    root = tmp_path_factory.mktemp("source")
    for entry in Path(settings.BASE_DIR).iterdir():
        if not entry.name.startswith(".") and entry.name not in NOT_SOURCE:
            (root / entry.name).symlink_to(entry)
    (root / "locale").mkdir()
    with override_settings(LOCALE_PATHS=[root / "locale"]), contextlib.chdir(root):
        call_command("makemessages", locale=[settings.LANGUAGE_CODE], keep_pot=True,
                     symlinks=True, verbosity=0)  # fmt: skip
    template = polib.pofile(str(root / "locale" / "django.pot"))
    strings = {(entry.msgctxt or "", entry.msgid) for entry in template if entry.msgid}
    assert strings, "no strings found in the source"
    return strings


@pytest.mark.parametrize("code", TRANSLATED)
def test_catalogue_holds_every_string_marked_in_the_source(code, source_strings):
    have = {(entry.msgctxt or "", entry.msgid) for entry in entries(load(code))}
    missing = sorted(
        f"{msgid!r}" + (f" (context {context!r})" if context else "")
        for context, msgid in source_strings - have
    )
    assert not missing, describe(code, "strings missing (run make messages)", missing)


@pytest.mark.parametrize("code", TRANSLATED)
def test_catalogue_has_no_untranslated_entry(code):
    catalogue = load(code)
    nplurals = plural_count(catalogue)
    missing = []
    for entry in entries(catalogue):
        if entry.msgid_plural:
            forms = [entry.msgstr_plural.get(index, "") for index in range(nplurals)]
            if not all(form.strip() for form in forms):
                missing.append(repr(entry.msgid_plural))
        elif not entry.msgstr.strip():
            missing.append(repr(entry.msgid))
    assert not missing, describe(code, "untranslated entries", missing)


@pytest.mark.parametrize("code", TRANSLATED)
def test_catalogue_has_no_fuzzy_entry(code):
    fuzzy = [repr(entry.msgid) for entry in entries(load(code)) if "fuzzy" in entry.flags]
    assert not fuzzy, describe(code, "fuzzy entries (gettext ignores them)", fuzzy)


@pytest.mark.parametrize("code", TRANSLATED)
def test_translations_keep_the_placeholders_of_their_msgid(code):
    catalogue = load(code)
    nplurals = plural_count(catalogue)
    wrong = [
        problem
        for entry in entries(catalogue)
        if "python-format" in entry.flags
        and (problem := placeholder_problem(entry, nplurals)) is not None
    ]
    assert not wrong, describe(code, "translations whose placeholders differ", wrong)


def _compiled_view(catalogue: polib._BaseFile, *, source: bool) -> dict:
    """What gettext will look up: (context, msgid) -> translation(s). From a .po, that is
    what msgfmt keeps (neither fuzzy nor empty); from a .mo, everything but its header."""
    view = {}
    for entry in catalogue:
        if source and (entry.obsolete or "fuzzy" in entry.flags):
            continue
        plural = tuple(text for _index, text in sorted(entry.msgstr_plural.items()))
        if not entry.msgid or not (entry.msgstr or any(plural)):
            continue
        view[(entry.msgctxt or "", entry.msgid)] = (entry.msgid_plural, entry.msgstr, plural)
    return view


@pytest.mark.parametrize("code", TRANSLATED)
def test_compiled_catalogue_matches_its_source(code):
    source = load(code)
    mo_path = catalogue_path(code, "mo")
    assert mo_path.exists(), f"{code}: the catalogue is not compiled (make messages)"
    compiled = polib.mofile(str(mo_path))
    expected, actual = _compiled_view(source, source=True), _compiled_view(compiled, source=False)
    stale = sorted(
        repr(key[1])
        for key in expected.keys() | actual.keys()
        if expected.get(key) != actual.get(key)
    )
    assert not stale, describe(code, "entries where the .mo differs from the .po", stale)
    assert compiled.metadata.get("Plural-Forms") == source.metadata.get("Plural-Forms"), (
        f"{code}: the .mo's plural rule differs from the .po's (make messages)"
    )
