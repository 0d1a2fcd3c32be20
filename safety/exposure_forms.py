"""Forms of the wellbeing pages: ask to opt out, grant an override, grant clearance."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core.forms import StyledFormMixin
from safety.exposure import MAX_OVERRIDE_HOURS
from safety.models import HarmCategory


class OptOutForm(StyledFormMixin, forms.Form):
    category = forms.ModelChoiceField(label=_("Category"), queryset=HarmCategory.objects.none())
    reason = forms.CharField(
        label=_("Reason"), max_length=2000, required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Only your lead reads it."))  # fmt: skip

    def __init__(self, *args: Any, choices: list[HarmCategory], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["category"])
        field.queryset = HarmCategory.objects.filter(pk__in=[c.pk for c in choices])


class OverrideForm(StyledFormMixin, forms.Form):
    agent = forms.ModelChoiceField(label=_("Person"), queryset=User.objects.none())
    category = forms.ModelChoiceField(label=_("Category"), queryset=HarmCategory.objects.none())
    reason = forms.CharField(label=_("Reason"), max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 2}))  # fmt: skip
    until = forms.DateTimeField(
        label=_("Until"), required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("At most 12 hours from now; empty: the end of the shift window."),
    )  # fmt: skip

    def __init__(self, *args: Any, people: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        agent = cast(forms.ModelChoiceField, self.fields["agent"])
        category = cast(forms.ModelChoiceField, self.fields["category"])
        agent.queryset = people.order_by("full_name", "pk")
        category.queryset = HarmCategory.objects.filter(graphic=True, is_active=True)

    def clean_until(self) -> Any:
        until = self.cleaned_data.get("until")
        if until is None:
            return None
        now = timezone.now()
        if until <= now:
            raise forms.ValidationError(_("Choose a time in the future."))
        if until > now + timedelta(hours=MAX_OVERRIDE_HOURS):
            raise forms.ValidationError(_("An override lasts at most 12 hours."))
        return until


class ClearanceForm(StyledFormMixin, forms.Form):
    email = forms.EmailField(label=_("Email of the person to clear"), max_length=254)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def clean_email(self) -> User:
        email = self.cleaned_data["email"]
        user = User.objects.filter(email__iexact=email, is_active=True).first()
        if user is None:
            raise forms.ValidationError(_("Nobody active has this email address."))
        return user
