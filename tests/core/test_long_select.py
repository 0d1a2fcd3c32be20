"""core.forms.LongSelect writes the markup Django's Select would, without a template per
option."""

from html.parser import HTMLParser

from django import forms

from core.forms import LongSelect

CHOICES = [("a", "A"), ("Europe/Paris", "Europe/Paris"), ('x"<y>&', "<b>bold</b> & co")]


class _Parsed(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.items: list[tuple] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.items.append((tag, tuple(sorted(attrs))))

    def handle_data(self, data: str) -> None:
        if data.strip():
            self.items.append(("text", data.strip()))


def parsed(html: str) -> list[tuple]:
    parser = _Parsed()
    parser.feed(html)
    return parser.items


def test_the_markup_is_djangos_select_with_the_same_attributes_selection_and_escaping():
    attrs = {"class": "form-select is-invalid", "aria-invalid": "true", "id": "id_tz",
             "required": True, "disabled": False}  # fmt: skip
    for value in ("Europe/Paris", 'x"<y>&', None):
        ours = LongSelect(choices=CHOICES, attrs=attrs).render("tz", value)
        django = forms.Select(choices=CHOICES, attrs=attrs).render("tz", value)
        assert parsed(ours) == parsed(django), value
    html = LongSelect(choices=CHOICES).render("tz", "a")
    assert "<b>" not in html and "&lt;b&gt;bold&lt;/b&gt; &amp; co" in html
    assert html.count(" selected") == 1
