"""One date and time format per UI language across the product (helpdesk/formats)."""

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import formats, translation

TEMPLATES = Path(settings.BASE_DIR) / "templates"
# ``|date:"…"`` or ``|time:"…"`` with its argument.
FILTER = re.compile(r"""\|(date|time):["']([^"']*)["']""")
# A machine-readable value for a <time datetime="…"> attribute, not shown to people.
MACHINE = re.compile(r"""datetime=["']\{\{[^}]*\|date:["'](c|Y-m-d)["']\s*\}\}["']""")


def test_every_ui_language_has_one_date_and_one_datetime_format():
    moment = datetime(2025, 6, 3, 14, 5, tzinfo=UTC)
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            assert formats.get_format("DATE_FORMAT") == formats.get_format("SHORT_DATE_FORMAT")
            assert formats.get_format("DATETIME_FORMAT") == formats.get_format(
                "SHORT_DATETIME_FORMAT"
            )
            assert formats.get_format("TIME_FORMAT") == "H:i"
            shown = formats.date_format(moment, "SHORT_DATETIME_FORMAT")
            assert "14:05" in shown and "2025" in shown, (code, shown)


@pytest.mark.parametrize(
    ("code", "expected"),
    [("en", "3 Jun 2025, 14:05"), ("es", "03/06/2025 14:05"), ("de", "03.06.2025 14:05"),
     ("ja", "2025/06/03 14:05"), ("zh-hans", "2025年6月3日 14:05")],
)  # fmt: skip
def test_a_moment_reads_as_its_language_writes_it(code, expected):
    with translation.override(code):
        shown = formats.date_format(
            datetime(2025, 6, 3, 14, 5, tzinfo=UTC), "SHORT_DATETIME_FORMAT"
        )
    assert shown == expected


def test_templates_use_the_shared_formats_never_a_format_of_their_own():
    offenders = []
    for path in TEMPLATES.rglob("*"):
        if path.suffix not in (".html", ".txt"):
            continue
        text = MACHINE.sub("", path.read_text())
        for _filter, argument in FILTER.findall(text):
            if argument not in ("DATE_FORMAT", "SHORT_DATETIME_FORMAT", "TIME_FORMAT"):
                offenders.append(f"{path.relative_to(TEMPLATES)}: {argument!r}")
    assert offenders == []
