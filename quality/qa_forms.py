"""QA forms: a sampling cycle, a scorecard and its categories."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User, Vendor
from accounts.selectors import visible_vendors
from core.forms import StyledFormMixin
from quality import qa
from quality.models import Review, Scorecard
from quality.scoring import SCALES
from sops.models import SOPVersion
from tickets.models import Queue, Ticket
from tickets.selectors import visible_queue_list

SCALE_LABELS = {
    "pass_fail": gettext_lazy("Pass or fail"),
    "three": gettext_lazy("3 points"),
    "five": gettext_lazy("5 points"),
}


class CycleForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=120)
    starts_on = forms.DateField(
        label=gettext_lazy("Tickets solved from"), widget=forms.DateInput(attrs={"type": "date"})
    )
    ends_on = forms.DateField(
        label=gettext_lazy("Up to and including"), widget=forms.DateInput(attrs={"type": "date"})
    )
    quota = forms.IntegerField(
        label=gettext_lazy("Reviews per agent"), min_value=1, max_value=100, initial=5
    )
    vendor = forms.ModelChoiceField(
        label=gettext_lazy("Agents of"),
        required=False,
        queryset=Vendor.objects.none(),
        empty_label=gettext_lazy("Everyone"),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        today = timezone.localdate()
        last_monday = today - timedelta(days=today.weekday() + 7)
        self.fields["starts_on"].initial = last_monday
        self.fields["ends_on"].initial = last_monday + timedelta(days=6)
        self.fields["name"].initial = _("Week of %(date)s") % {"date": last_monday.isoformat()}
        vendor_field = self.fields["vendor"]
        assert isinstance(vendor_field, forms.ModelChoiceField)  # noqa: S101 - declared above
        vendor_field.queryset = visible_vendors(user)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("starts_on"), data.get("ends_on")
        if start and end:
            if end < start:
                self.add_error("ends_on", _("The period must end after it starts."))
            zone = timezone.get_current_timezone()
            data["starts_at"] = datetime.combine(start, time.min, zone)
            data["ends_at"] = datetime.combine(end + timedelta(days=1), time.min, zone)
        return data


class ScorecardForm(StyledFormMixin, forms.ModelForm):
    languages = forms.MultipleChoiceField(
        label=gettext_lazy("Languages"),
        required=False,
        choices=settings.LANGUAGES,
        help_text=gettext_lazy("None chosen: every language."),
    )

    class Meta:
        model = Scorecard
        fields = ["name", "description", "queues", "vendors", "pass_mark", "is_active"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        queues = self.fields["queues"]
        vendors = self.fields["vendors"]
        assert isinstance(queues, forms.ModelMultipleChoiceField)  # noqa: S101
        assert isinstance(vendors, forms.ModelMultipleChoiceField)  # noqa: S101
        queues.queryset = Queue.objects.filter(pk__in=[q.pk for q in visible_queue_list(user)])
        vendors.queryset = visible_vendors(user)
        queues.help_text = _("None chosen: every queue.")
        vendors.help_text = _("None chosen: in-house agents and every vendor's.")
        if self.instance.pk and not self.is_bound:
            self.initial["languages"] = list(self.instance.languages)

    def clean_pass_mark(self) -> int:
        value = int(self.cleaned_data["pass_mark"])
        if not 0 <= value <= 100:
            raise ValidationError(
                _("Enter a number from %(low)d to %(high)d.") % {"low": 0, "high": 100}
            )
        return value


class CategoryForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label=gettext_lazy("Category"), max_length=120, required=False)
    weight = forms.FloatField(
        label=gettext_lazy("Weight"), min_value=0.1, max_value=100, initial=1, required=False
    )
    scale = forms.ChoiceField(
        label=gettext_lazy("Scale"), initial="five", choices=[(k, SCALE_LABELS[k]) for k in SCALES]
    )
    allow_na = forms.BooleanField(label=gettext_lazy("Not applicable allowed"), required=False)
    critical = forms.BooleanField(
        label=gettext_lazy("Critical (a fail fails the review)"), required=False
    )


CategoryFormSet = forms.formset_factory(CategoryForm, extra=3, max_num=30, absolute_max=30)


class CalibrationForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=120)
    scorecard = forms.ModelChoiceField(
        label=gettext_lazy("Scorecard"), queryset=Scorecard.objects.none()
    )
    tickets = forms.CharField(
        label=gettext_lazy("Tickets"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("References, separated by spaces or commas (at most 50)."),
    )
    reviewers = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Reviewers (three or more)"), queryset=User.objects.none()
    )
    benchmark = forms.ModelChoiceField(
        label=gettext_lazy("Benchmark reviewer"), queryset=User.objects.none()
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        people = qa.reviewers().order_by("full_name")
        for name, queryset in (
            (
                "scorecard",
                Scorecard.objects.filter(is_active=True, current_version__isnull=False).order_by(
                    "name"
                ),
            ),
            ("reviewers", people),
            ("benchmark", people),
        ):
            field = self.fields[name]
            assert isinstance(field, forms.ModelChoiceField)  # noqa: S101 - declared above
            field.queryset = queryset

    def clean_tickets(self) -> list[Ticket]:
        from tickets.selectors import visible_tickets

        raw = self.cleaned_data.get("tickets") or ""
        references = [part.strip().upper() for part in raw.replace(",", " ").split() if part]
        if not references:
            raise ValidationError(_("Give at least one ticket reference."))
        if len(references) > 50:
            raise ValidationError(_("At most 50 tickets."))
        found = {
            t.reference: t for t in visible_tickets(self.user).filter(reference__in=references)
        }
        unknown = [ref for ref in references if ref not in found]
        if unknown:
            raise ValidationError(
                _("No ticket you can see has the reference %(refs)s.")
                % {"refs": ", ".join(unknown[:5])}
            )
        return [found[ref] for ref in dict.fromkeys(references)]


class CoachingForm(StyledFormMixin, forms.Form):
    category = forms.ChoiceField(label=gettext_lazy("Category to work on"))
    note = forms.CharField(
        label=gettext_lazy("What to work on"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    due_on = forms.DateField(
        label=gettext_lazy("Due"), widget=forms.DateInput(attrs={"type": "date"})
    )
    sop_version = forms.ModelChoiceField(
        label=gettext_lazy("SOP to read again (optional)"),
        required=False,
        queryset=SOPVersion.objects.none(),
    )

    def __init__(self, *args: Any, review: Review, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        names = {c["key"]: c["name"] for c in review.version.categories}
        category = self.fields["category"]
        assert isinstance(category, forms.ChoiceField)  # noqa: S101 - declared above
        category.choices = [
            (key, names.get(key, key))
            for key, score in review.category_scores.items()
            if score is not None and score < 100
        ]
        self.fields["due_on"].initial = timezone.localdate() + timedelta(days=7)
        sop = self.fields["sop_version"]
        assert isinstance(sop, forms.ModelChoiceField)  # noqa: S101 - declared above
        sop.queryset = SOPVersion.objects.filter(state="published").select_related("sop")
        sop.label_from_instance = lambda v: f"{v.sop.title} v{v.number}"  # type: ignore[method-assign,assignment]


class RegradeForm(StyledFormMixin, forms.Form):
    """Grade the graders: an in-house reviewer rescores another reviewer's latest reviews."""

    name = forms.CharField(label=gettext_lazy("Name"), max_length=120)
    reviewer = forms.ModelChoiceField(
        label=gettext_lazy("Reviewer to grade"), queryset=User.objects.none()
    )
    grader = forms.ModelChoiceField(
        label=gettext_lazy("Graded by (in-house)"), queryset=User.objects.none()
    )
    count = forms.IntegerField(
        label=gettext_lazy("Their latest reviews"), min_value=1, max_value=50, initial=10
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix="regrade", **kwargs)
        people = qa.reviewers().order_by("full_name")
        reviewer = self.fields["reviewer"]
        grader = self.fields["grader"]
        assert isinstance(reviewer, forms.ModelChoiceField)  # noqa: S101 - declared above
        assert isinstance(grader, forms.ModelChoiceField)  # noqa: S101 - declared above
        reviewer.queryset = people
        grader.queryset = people.filter(team__vendor__isnull=True)
