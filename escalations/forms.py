from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, User
from escalations.models import Incident, Severity
from escalations.selectors import BoardFilters
from helpdesk.forms import StyledFormMixin


class RaiseForm(StyledFormMixin, forms.Form):
    reason = forms.IntegerField(label=_("Reason"))
    severity = forms.TypedChoiceField(label=_("Severity"), choices=Severity.choices, coerce=int,
                                      initial=Severity.SEV3)  # fmt: skip
    summary = forms.CharField(
        label=_("Summary for the team"), max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What happened, what you tried, what you need from them."),
    )  # fmt: skip


class BoardFilterForm(StyledFormMixin, forms.Form):
    team = forms.IntegerField(label=_("Team"), required=False, min_value=1)
    severity = forms.TypedChoiceField(
        label=_("Severity"), choices=[("", _("Any severity")), *Severity.choices], coerce=int,
        required=False, empty_value=None,
    )  # fmt: skip
    vendor = forms.IntegerField(label=_("Vendor"), required=False, min_value=1)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)

    def filters(self) -> BoardFilters:
        self.is_valid()
        data = self.cleaned_data
        return BoardFilters(
            team=data.get("team"), severity=data.get("severity"), vendor=data.get("vendor"),
            overdue=bool(data.get("overdue")),
        )  # fmt: skip


class NoteForm(forms.Form):
    body = forms.CharField(label=_("Note"), max_length=10_000, required=False)


class AssignForm(forms.Form):
    owner = forms.IntegerField(min_value=1)


class IncidentForm(StyledFormMixin, forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    severity = forms.TypedChoiceField(label=_("Severity"), choices=Severity.choices, coerce=int,
                                      initial=Severity.SEV2)  # fmt: skip
    commander = forms.ModelChoiceField(
        label=_("Commander"), required=False, empty_label=_("Me"),
        queryset=User.objects.filter(is_active=True, role__in=[Role.LEAD, Role.ADMIN]),
    )  # fmt: skip
    team = forms.IntegerField(label=_("On-call team to page (SEV1 and SEV2)"), required=False,
                              min_value=1)  # fmt: skip
    tracker_key = forms.CharField(label=_("Bug tracker key"), max_length=64, required=False)
    tracker_url = forms.URLField(label=_("Bug tracker link"), max_length=500, required=False,
                                 assume_scheme="https")  # fmt: skip


class IncidentUpdateForm(StyledFormMixin, forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Incident.Status.choices)
    body = forms.CharField(label=_("Update"), max_length=10_000, required=False,
                           widget=forms.Textarea(attrs={"rows": 3}))  # fmt: skip
    notify_requesters = forms.BooleanField(
        label=_("Also send it as a public reply to every linked requester"), required=False
    )
    macro = forms.IntegerField(
        label=_("Reply with a macro (in each ticket's language where it has a variant)"),
        required=False, min_value=1,
    )  # fmt: skip


class TrackerForm(forms.Form):
    tracker_key = forms.CharField(max_length=64, required=False)
    tracker_url = forms.CharField(max_length=500, required=False)


class AddTicketsForm(forms.Form):
    refs = forms.CharField(max_length=5000, required=False)
    q = forms.CharField(max_length=200, required=False)

    def references(self) -> list[str]:
        raw = self.cleaned_data.get("refs", "") if self.is_valid() else ""
        return [r.strip().upper() for r in raw.replace(",", " ").split() if r.strip()][:500]
