from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, User, Vendor
from accounts.selectors import visible_users, visible_vendors
from core.forms import StyledFormMixin
from sops.selectors import LibraryFilters, editable_macros
from tickets.models import Macro, Queue
from tickets.selectors import visible_queues

MAX_IMPORT_BYTES = 1_000_000


def _words(text: str, *, lower: bool = True) -> list[str]:
    parts = (part.strip() for part in text.replace("\n", ",").split(","))
    return [part.lower() if lower else part for part in parts if part]


class WordListField(forms.CharField):
    """Comma-separated words (categories, tags, language codes) as a list."""

    def __init__(self, *args: Any, max_word: int = 64, **kwargs: Any) -> None:
        self.max_word = max_word
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 2000)
        super().__init__(*args, **kwargs)

    def prepare_value(self, value: Any) -> Any:
        return ", ".join(value) if isinstance(value, list) else value

    def clean(self, value: Any) -> list[str]:
        words = _words(super().clean(value) or "")
        too_long = [w for w in words if len(w) > self.max_word]
        if too_long:
            raise forms.ValidationError(
                _("Each entry is at most %(n)d characters: %(words)s"),
                params={"n": self.max_word, "words": ", ".join(too_long)},
            )
        return words


class LanguageListField(WordListField):
    def clean(self, value: Any) -> list[str]:
        words = super().clean(value)
        known = {code for code, _name in settings.SKILL_LANGUAGES}
        unknown = [w for w in words if w not in known]
        if unknown:
            raise forms.ValidationError(
                _("Unknown language code(s): %(codes)s."), params={"codes": ", ".join(unknown)}
            )
        return words


class LibraryFilterForm(StyledFormMixin, forms.Form):
    q = forms.CharField(label=_("Search SOPs"), max_length=200, required=False)
    queue = forms.IntegerField(label=_("Queue"), required=False, min_value=1)
    category = forms.CharField(label=_("Category"), max_length=64, required=False)
    tag = forms.CharField(label=_("Tag"), max_length=64, required=False)
    language = forms.CharField(label=_("Language"), max_length=16, required=False)
    pending = forms.BooleanField(label=_("Waiting for my acknowledgement"), required=False)
    drafts = forms.BooleanField(label=_("With a draft or proposal"), required=False)
    cursor = forms.CharField(required=False, max_length=500, widget=forms.HiddenInput)

    def filters(self) -> LibraryFilters:
        self.is_valid()  # a bad value drops that one filter, not the page
        data = self.cleaned_data
        return LibraryFilters(
            q=(data.get("q") or "").strip(),
            queue=data.get("queue"),
            category=(data.get("category") or "").strip().lower(),
            tag=(data.get("tag") or "").strip().lower(),
            language=(data.get("language") or "").strip().lower(),
            pending=bool(data.get("pending")),
            drafts=bool(data.get("drafts")),
        )


class AudienceFieldsMixin(forms.Form):
    """Who an SOP is for. The queue and vendor choices are the ones the editor may see
    (``visible_queues``, ``visible_vendors``): a queue or vendor id outside them is a
    field error."""

    title = forms.CharField(label=_("Title"), max_length=200)
    summary = forms.CharField(
        label=_("Summary"), max_length=1000, required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One or two sentences: which cases this SOP is for."),
    )  # fmt: skip
    queues = forms.ModelMultipleChoiceField(
        label=_("Queues"), queryset=Queue.objects.none(), required=False,
        help_text=_("Leave empty to apply in every queue."),
        widget=forms.SelectMultiple(attrs={"size": 5}),
    )  # fmt: skip
    categories = WordListField(
        label=_("Ticket categories"), help_text=_("Comma-separated; empty applies to any.")
    )
    tags = WordListField(
        label=_("Ticket tags"),
        help_text=_("Comma-separated; applies to tickets with any of them. Empty: any."),
    )
    languages = LanguageListField(
        label=_("Languages"), max_word=16,
        help_text=_("Language codes, e.g. en, es, ar. Empty applies to every language."),
    )  # fmt: skip
    vendors = forms.ModelMultipleChoiceField(
        label=_("Share with vendors"), queryset=Vendor.objects.none(),
        required=False, widget=forms.CheckboxSelectMultiple,
        help_text=_("Vendor agents read only SOPs shared with their vendor."),
    )  # fmt: skip

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["queues"]).queryset = (
            visible_queues(user).filter(is_active=True).order_by("name")
        )
        cast(forms.ModelChoiceField, self.fields["vendors"]).queryset = (
            visible_vendors(user).filter(is_active=True).order_by("name")
        )


class SOPCreateForm(StyledFormMixin, AudienceFieldsMixin):
    pass


class SOPSettingsForm(StyledFormMixin, AudienceFieldsMixin):
    owner = forms.ModelChoiceField(label=_("Owner"), required=False, queryset=User.objects.none())

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        cast(forms.ModelChoiceField, self.fields["owner"]).queryset = (
            visible_users(user).filter(is_active=True, role__in=[Role.ADMIN, Role.LEAD])
            .order_by("full_name")
        )  # fmt: skip


class DraftForm(StyledFormMixin, forms.Form):
    revision = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    body = forms.CharField(
        label=_("Procedure (Markdown)"), required=False, max_length=100_000, strip=False,
        widget=forms.Textarea(attrs={"rows": 18, "class": "font-monospace", "spellcheck": "true"}),
    )  # fmt: skip
    steps = forms.CharField(
        label=_("Checklist steps, one per line, in order"), required=False, max_length=30_000,
        widget=forms.Textarea(attrs={"rows": 6}),
    )  # fmt: skip
    macros = forms.ModelMultipleChoiceField(
        label=_("Linked macros"), queryset=Macro.objects.none(), required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text=_("Agents can insert these from the SOP panel on a ticket."),
    )  # fmt: skip
    change_summary = forms.CharField(label=_("What changed"), max_length=500, required=False)
    effective_on = forms.DateField(
        label=_("Effective from"), required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Empty: the day it is published."),
    )  # fmt: skip
    requires_acknowledgement = forms.BooleanField(
        label=_("Agents must read and acknowledge this version"), required=False
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["macros"]).queryset = editable_macros(user)

    def step_list(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["steps"].splitlines() if line.strip()]


class ReturnForm(forms.Form):
    note = forms.CharField(max_length=2000, required=False)


class VersionActionForm(forms.Form):
    """The version the person saw: an action on a version that has moved on is refused."""

    version = forms.IntegerField(min_value=1)


class ImportForm(StyledFormMixin, forms.Form):
    file = forms.FileField(
        label=_("SOP file (Markdown with front matter)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".md,.markdown,text/markdown"}),
    )  # fmt: skip

    def clean_file(self) -> UploadedFile:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError(_("The file is larger than 1 MB."))
        return upload


class ChecklistTickForm(forms.Form):
    step = forms.IntegerField(min_value=1)
    done = forms.BooleanField(required=False)
