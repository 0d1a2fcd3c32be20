from typing import TYPE_CHECKING, Any

from django import forms
from django.forms.utils import flatatt
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# The mixin goes before a form class; the type checker is told what it mixes into.
if TYPE_CHECKING:
    _FormBase = forms.BaseForm
else:
    _FormBase = object


class StyledFormMixin(_FormBase):
    """Bootstrap classes on every widget, and error state linked for screen readers."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.HiddenInput):
                continue
            css = "form-select" if isinstance(widget, forms.Select) else "form-control"
            if isinstance(widget, forms.CheckboxInput | forms.RadioSelect):
                css = "form-check-input"  # (CheckboxSelectMultiple is a RadioSelect)
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def full_clean(self) -> None:
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                attrs["class"] = f"{attrs.get('class', '')} is-invalid".strip()
                attrs["aria-invalid"] = "true"
                attrs["aria-describedby"] = f"{self[name].auto_id}_error"


class LongSelect(forms.Select):
    """A select of hundreds of options (the time zones) built in Python. Django renders
    each option through its own template include: 85 ms for the ~600 time zones, on
    every preferences page; this writes the same markup in a few milliseconds."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        final = self.build_attrs(self.attrs, attrs)
        final["name"] = name
        chosen = {str(v) for v in self.format_value(value)}
        options = "".join(
            f'<option value="{escape(key)}"{" selected" if str(key) in chosen else ""}>'
            f"{escape(label)}</option>"
            for key, label in self.choices
        )
        return mark_safe(f"<select{flatatt(final)}>{options}</select>")  # noqa: S308 - escaped above
