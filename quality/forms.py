"""The CSAT forms: the requester's rating, the lead's follow-up, the admin's settings."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.forms import StyledFormMixin
from core.webhook_targets import validate_webhook_url
from quality.models import REASONS, NegativeAction, Scale, SurveySettings
from quality.services import COMMENT_MAX, score_choices


class RatingForm(forms.Form):
    score = forms.TypedChoiceField(
        label=gettext_lazy("How did we do?"), coerce=int, widget=forms.RadioSelect
    )
    reason = forms.ChoiceField(label=gettext_lazy("What went wrong?"), required=False)
    comment = forms.CharField(
        label=gettext_lazy("Anything you want to add? (optional)"),
        required=False,
        max_length=COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(
        self, *args: Any, scale: str, reasons: list[str], decision: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["score"]).choices = score_choices(scale)
        if decision:
            self.fields["score"].label = _("How clear and fair was our decision?")
        cast(forms.ChoiceField, self.fields["reason"]).choices = [("", _("Choose…"))] + [
            (key, REASONS[key]) for key in reasons if key in REASONS
        ]
        self.fields["comment"].widget.attrs["class"] = "form-control"
        self.fields["reason"].widget.attrs["class"] = "form-select"


class FollowUpForm(StyledFormMixin, forms.Form):
    note = forms.CharField(
        label=gettext_lazy("What was done"),
        max_length=COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class SettingsForm(StyledFormMixin, forms.ModelForm):
    excluded_categories = forms.CharField(
        label=gettext_lazy("Categories never surveyed"),
        required=False,
        max_length=2000,
        help_text=gettext_lazy("Contact reasons separated by commas, e.g. enforcement."),
    )
    decision_categories = forms.CharField(
        label=gettext_lazy("Categories surveyed about the decision"),
        required=False,
        max_length=2000,
        help_text=gettext_lazy(
            "Their tickets get a survey about how clear and fair the "
            "decision was, kept apart from CSAT."
        ),
    )
    webhook_url = forms.URLField(
        label=gettext_lazy("Webhook URL"),
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text=gettext_lazy("Each rating is posted here as csat.submitted (optional)."),
    )
    reasons = forms.MultipleChoiceField(
        label=gettext_lazy("Reasons offered for a bad rating"),
        choices=list(REASONS.items()),
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = SurveySettings
        fields = [
            "enabled",
            "delay_hours",
            "per_requester_days",
            "sample_percent",
            "scale",
            "negative_action",
            "change_days",
            "webhook_url",
        ]
        widgets = {
            "scale": forms.Select(choices=Scale.choices),
            "negative_action": forms.Select(choices=NegativeAction.choices),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        instance = self.instance
        if not self.is_bound:
            self.initial["excluded_categories"] = ", ".join(instance.excluded_categories)
            self.initial["decision_categories"] = ", ".join(instance.decision_categories)
            self.initial["reasons"] = list(instance.reasons)
        self.fields["reasons"].widget.attrs["class"] = ""

    def _bounded(self, name: str, low: int, high: int) -> int:
        value = self.cleaned_data[name]
        if not low <= value <= high:
            raise ValidationError(
                _("Enter a number from %(low)d to %(high)d.") % {"low": low, "high": high}
            )
        return int(value)

    def clean_delay_hours(self) -> int:
        return self._bounded("delay_hours", 0, 720)

    def clean_per_requester_days(self) -> int:
        return self._bounded("per_requester_days", 0, 365)

    def clean_sample_percent(self) -> int:
        return self._bounded("sample_percent", 1, 100)

    def clean_change_days(self) -> int:
        return self._bounded("change_days", 1, 365)

    def clean_excluded_categories(self) -> list[str]:
        return self._categories("excluded_categories")

    def clean_decision_categories(self) -> list[str]:
        return self._categories("decision_categories")

    def _categories(self, name: str) -> list[str]:
        raw = self.cleaned_data.get(name) or ""
        found = [part.strip().lower() for part in raw.split(",") if part.strip()]
        for category in found:
            if len(category) > 64:
                raise ValidationError(_("A category has at most 64 characters."))
        return sorted(set(found))

    def clean_reasons(self) -> list[str]:
        chosen = self.cleaned_data.get("reasons") or []
        return [key for key in REASONS if key in chosen]

    def clean_webhook_url(self) -> str:
        url = (self.cleaned_data.get("webhook_url") or "").strip()
        if url:
            validate_webhook_url(url)
        return url

    def values(self) -> dict[str, Any]:
        return {
            **{name: self.cleaned_data[name] for name in self.Meta.fields},
            "excluded_categories": self.cleaned_data["excluded_categories"],
            "decision_categories": self.cleaned_data["decision_categories"],
            "reasons": self.cleaned_data["reasons"],
        }
