"""Forms of protected viewing: the organisation's and an agent's own protection, the
word lists, marking a ticket sensitive."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from core.forms import StyledFormMixin
from safety.models import HarmCategory, Level, Protection


class ProtectionForm(StyledFormMixin, forms.Form):
    level = forms.TypedChoiceField(label=_("Images and videos"), choices=Level.choices,
                                   coerce=int, widget=forms.RadioSelect)  # fmt: skip
    mask_words = forms.BooleanField(label=_("Mask listed words in messages"), required=False)
    reblur_seconds = forms.IntegerField(
        label=_("Blur again after (seconds)"), min_value=1, max_value=600,
        help_text=_("A revealed image or text is hidden again after this long, or as soon "
                    "as you look away from it."),
    )  # fmt: skip

    def __init__(self, *args: Any, minimum: Protection | None = None, **kwargs: Any) -> None:
        """``minimum``: the organisation's row, for an agent's own setting."""
        super().__init__(*args, **kwargs)
        self.minimum = minimum

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.minimum is not None and not self.errors:
            from safety.viewing import ViewingError, check_own

            try:
                check_own(self.minimum, level=data["level"], mask_words=data["mask_words"],
                          reblur_seconds=data["reblur_seconds"])  # fmt: skip
            except ViewingError as exc:
                self.add_error(exc.field, str(exc))
        return data


class MaskWordForm(StyledFormMixin, forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    word = forms.CharField(label=_("Word or phrase"), max_length=120)


class MarkForm(StyledFormMixin, forms.Form):
    category = forms.TypedChoiceField(label=_("Category"), coerce=int)

    def __init__(self, *args: Any, categories: list[HarmCategory], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.categories = {c.pk: c for c in categories}
        field = cast(forms.ChoiceField, self.fields["category"])
        field.choices = [(c.pk, c.name) for c in categories]

    def chosen(self) -> HarmCategory:
        return self.categories[self.cleaned_data["category"]]
