"""Forms of the escalation pages. Every choice list takes the person (``user=``) and
comes from the same scoping selectors as the pages, so an id that is not offered is a
form error, never a silent accept."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Team, User, Vendor
from core.forms import StyledFormMixin
from escalations import selectors
from escalations.models import Incident, Severity
from escalations.selectors import BoardFilters
from tickets.models import Macro


class RaiseForm(StyledFormMixin, forms.Form):
    reason = forms.TypedChoiceField(
        label=_("Reason"), coerce=int, error_messages={"required": _("Choose a reason.")}
    )
    severity = forms.TypedChoiceField(label=_("Severity"), choices=Severity.choices, coerce=int,
                                      initial=Severity.SEV3)  # fmt: skip
    summary = forms.CharField(
        label=_("Summary for the team"), max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What happened, what you tried, what you need from them."),
    )  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # No reason is preselected: the agent chooses one.
        cast(forms.ChoiceField, self.fields["reason"]).choices = [
            ("", _("Choose a reason…")),
            *((r.pk, f"{r.name} → {r.target_team.name}") for r in selectors.reasons()),
        ]


class BoardFilterForm(StyledFormMixin, forms.Form):
    team: forms.ModelChoiceField[Team] = forms.ModelChoiceField(
        label=_("Team"), required=False, queryset=None, empty_label=_("Any team")
    )
    severity = forms.TypedChoiceField(
        label=_("Severity"), choices=[("", _("Any severity")), *Severity.choices], coerce=int,
        required=False, empty_value=None,
    )  # fmt: skip
    vendor: forms.ModelChoiceField[Vendor] = forms.ModelChoiceField(
        label=_("Raised from vendor"), required=False, queryset=None, empty_label=_("Any")
    )
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["team"]).queryset = selectors.board_teams(user)
        cast(forms.ModelChoiceField, self.fields["vendor"]).queryset = selectors.board_vendors(user)

    def filters(self) -> BoardFilters:
        self.is_valid()  # a value that is not offered drops that filter (and says so)
        data = self.cleaned_data
        team, vendor = data.get("team"), data.get("vendor")
        return BoardFilters(
            team=team.pk if team else None, severity=data.get("severity"),
            vendor=vendor.pk if vendor else None, overdue=bool(data.get("overdue")),
        )  # fmt: skip


class NoteForm(forms.Form):
    body = forms.CharField(label=_("Note"), max_length=10_000, required=False)


class AssignForm(forms.Form):
    owner = forms.IntegerField(min_value=1)


class IncidentForm(StyledFormMixin, forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    severity = forms.TypedChoiceField(label=_("Severity"), choices=Severity.choices, coerce=int,
                                      initial=Severity.SEV2)  # fmt: skip
    commander: forms.ModelChoiceField[User] = forms.ModelChoiceField(
        label=_("Commander"), required=False, empty_label=_("Me"), queryset=None
    )
    team: forms.ModelChoiceField[Team] = forms.ModelChoiceField(
        label=_("On-call team to page (SEV1 and SEV2)"), required=False,
        empty_label=_("Nobody (no page)"), queryset=None,
    )  # fmt: skip
    tracker_key = forms.CharField(label=_("Bug tracker key"), max_length=64, required=False)
    tracker_url = forms.URLField(label=_("Bug tracker link"), max_length=500, required=False,
                                 assume_scheme="https")  # fmt: skip

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        commander = cast(forms.ModelChoiceField, self.fields["commander"])
        commander.queryset = selectors.incident_commanders(user)
        cast(forms.ModelChoiceField, self.fields["team"]).queryset = selectors.incident_teams(user)


class IncidentUpdateForm(StyledFormMixin, forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Incident.Status.choices)
    body = forms.CharField(label=_("Update"), max_length=10_000, required=False,
                           widget=forms.Textarea(attrs={"rows": 3}))  # fmt: skip
    notify_requesters = forms.BooleanField(
        label=_("Also send it as a public reply to every linked requester"), required=False
    )
    macro: forms.ModelChoiceField[Macro] = forms.ModelChoiceField(
        label=_("Reply with a macro (in each ticket's language where it has a variant)"),
        required=False, queryset=None, empty_label=_("No macro: send the update's text"),
    )  # fmt: skip
    # The second step of "send to every linked requester": the preview was seen.
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)
    plan = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["macro"]).queryset = selectors.incident_macros(
            user
        )

    def clean(self) -> dict[str, Any]:
        data = cast("dict[str, Any]", super().clean())
        if not (data.get("body") or "").strip() and not data.get("macro"):
            self.add_error("body", _("Write the update, or choose a macro to send."))
        return data


class IncidentCommentForm(StyledFormMixin, forms.Form):
    body = forms.CharField(label=_("Comment"), max_length=10_000,
                           widget=forms.Textarea(attrs={"rows": 3}))  # fmt: skip


class TrackerForm(forms.Form):
    tracker_key = forms.CharField(max_length=64, required=False)
    tracker_url = forms.CharField(max_length=500, required=False)


class AddTicketsForm(forms.Form):
    refs = forms.CharField(max_length=5000, required=False)
    q = forms.CharField(max_length=200, required=False)

    def references(self) -> list[str]:
        raw = self.cleaned_data.get("refs", "") if self.is_valid() else ""
        return [r.strip().upper() for r in raw.replace(",", " ").split() if r.strip()][:500]
