from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core.forms import StyledFormMixin
from privacy.models import LegalHold, Mode, RetentionPolicy
from tickets.models import Channel


class FindForm(StyledFormMixin, forms.Form):
    q = forms.CharField(label=_("Email, external user id or ticket reference"), max_length=320)


class ErasureForm(StyledFormMixin, forms.Form):
    mode = forms.ChoiceField(label=_("What to do"), choices=Mode.choices,
                             widget=forms.RadioSelect)  # fmt: skip
    case_number = forms.CharField(
        label=_("Case number"), max_length=64, required=False,
        help_text=_("Your own reference for the request; never the person's name."))  # fmt: skip


class HoldForm(StyledFormMixin, forms.Form):
    scope = forms.ChoiceField(label=_("Hold"), choices=LegalHold.Scope.choices)
    target = forms.CharField(
        label=_("Which"), max_length=320,
        help_text=_("A requester's email or external id, a ticket's reference, a queue's "
                    "name, or a saved search's number."))  # fmt: skip
    case_number = forms.CharField(label=_("Case number"), max_length=64)
    owner: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Owner"), queryset=User.objects.none()
    )
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(
        attrs={"rows": 3}))  # fmt: skip
    review_on = forms.DateField(label=_("Review date"),
                                widget=forms.DateInput(attrs={"type": "date"}))  # fmt: skip

    def __init__(self, *args: Any, owners: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners  # type: ignore[attr-defined]

    def clean_review_on(self) -> Any:
        value = self.cleaned_data["review_on"]
        if value <= timezone.localdate():
            raise forms.ValidationError(_("The review date must be in the future."))
        return value


class RetentionPolicyForm(StyledFormMixin, forms.ModelForm):
    channel = forms.ChoiceField(label=_("Channel"), required=False,
                                choices=[("", _("Any channel")), *Channel.choices])  # fmt: skip

    class Meta:
        model = RetentionPolicy
        fields = ["name", "queue", "category", "channel", "mode", "days"]
        help_texts = {"days": _("Counted from the day the ticket was closed.")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["queue"].empty_label = _("Any queue")  # type: ignore[attr-defined]
        self.fields["days"].min_value = 1  # type: ignore[attr-defined]
        self.fields["days"].widget.attrs["min"] = 1

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not (data.get("queue") or data.get("category") or data.get("channel")):
            raise forms.ValidationError(_("Say which queue, category or channel the policy "
                                          "covers."))  # fmt: skip
        if data.get("days") is not None and data["days"] < 1:
            self.add_error("days", _("At least one day."))
        return data
