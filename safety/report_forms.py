"""Forms of the report pages: the notice (public help center and agents), a decision, an
appeal entered by an agent, and an appeal's decision. The services check the rules;
their errors are put back next to the field they name (``add_service_error``)."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.forms import StyledFormMixin
from safety import categories
from safety.models import Case, ItemType, Outcome
from safety.reports import ReportError


def add_service_error(form: forms.Form, error: ReportError) -> None:
    """The service's refusal next to its field, or above the form."""
    field = error.field if error.field in form.fields else None
    form.add_error(field, str(error))


def _category_choices() -> list[tuple[str, Any]]:
    return [("", _("Choose…"))] + [(c.key, c.name) for c in categories.active()]


class ReportForm(StyledFormMixin, forms.Form):
    item_type = forms.ChoiceField(label=_("What are you reporting?"), choices=ItemType.choices)
    item_url = forms.CharField(
        label=_("Its address (URL)"), max_length=1000, required=False,
        widget=forms.URLInput(attrs={"placeholder": "https://"}))  # fmt: skip
    item_id = forms.CharField(label=_("Or its id"), max_length=200, required=False)
    category = forms.ChoiceField(label=_("Why is it against the rules?"))
    explanation = forms.CharField(
        label=_("Explain why"), max_length=20_000, widget=forms.Textarea(attrs={"rows": 5})
    )
    evidence_links = forms.CharField(
        label=_("Links to evidence (optional, one a line)"), required=False, max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 2}))  # fmt: skip
    notifier_name = forms.CharField(label=_("Your name"), max_length=200, required=False)
    notifier_email = forms.EmailField(label=_("Your email address"), max_length=254,
                                      required=False)  # fmt: skip
    good_faith = forms.BooleanField(
        label=_("I confirm that the information in this report is accurate and complete, "
                "to the best of my knowledge, and that I make it in good faith."),
        required=False)  # fmt: skip
    # A honeypot: people never see or fill it; form-filling robots do.
    website = forms.CharField(required=False, label=_("Leave this empty"),
                              widget=forms.TextInput(attrs={"tabindex": "-1",
                                                            "autocomplete": "off"}))  # fmt: skip

    def __init__(self, *args: Any, agent: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["category"]).choices = _category_choices()
        anonymous = [c.name for c in categories.active() if c.notifier_optional]
        help_text = _("Required, unless the reason is one of: %(list)s.") % {
            "list": ", ".join(anonymous)} if anonymous else _("Required.")  # fmt: skip
        self.fields["notifier_name"].help_text = help_text
        self.fields["notifier_email"].help_text = help_text
        if agent:
            del self.fields["website"]
            self.fields["notifier_name"].label = _("Notifier's name")
            self.fields["notifier_email"].label = _("Notifier's email address")
            self.fields["good_faith"].label = _(
                "The notifier confirmed that the report is accurate and made in good faith."
            )
            self.fields["account_id"] = forms.CharField(
                label=_("Affected account id (optional)"), max_length=200, required=False
            )
            self.fields["notifier_language"] = forms.CharField(
                label=_("Notifier's language (code, e.g. es)"), max_length=16, required=False
            )

    def links(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["evidence_links"].splitlines()
                if line.strip()]  # fmt: skip


class DecisionForm(StyledFormMixin, forms.Form):
    outcome = forms.ChoiceField(label=_("Decision"), choices=Outcome.choices)
    ground = forms.ChoiceField(label=_("Policy ground"))
    facts = forms.CharField(label=_("Facts and circumstances"), max_length=20_000,
                            widget=forms.Textarea(attrs={"rows": 4}))  # fmt: skip
    automated_detection = forms.BooleanField(label=_("Found by automated means"), required=False)
    automated_decision = forms.BooleanField(label=_("Decided by automated means"),
                                            required=False)  # fmt: skip

    def __init__(self, *args: Any, case: Case | None = None, **kwargs: Any) -> None:
        initial = kwargs.setdefault("initial", {})
        if case is not None:
            initial.setdefault("ground", case.category.key)
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["ground"]).choices = _category_choices()


class AppealForm(StyledFormMixin, forms.Form):
    account_id = forms.CharField(label=_("Affected account id"), max_length=200, required=False)
    explanation = forms.CharField(label=_("The appeal's explanation"), max_length=20_000,
                                  widget=forms.Textarea(attrs={"rows": 3}))  # fmt: skip
    email = forms.EmailField(label=_("Appellant's email (optional)"), required=False)
    language = forms.CharField(label=_("Appellant's language (code, e.g. es)"), max_length=16,
                               required=False)  # fmt: skip


class NotifierAppealForm(StyledFormMixin, forms.Form):
    explanation = forms.CharField(label=_("Why should the decision change?"), max_length=20_000,
                                  widget=forms.Textarea(attrs={"rows": 6}))  # fmt: skip
    # A honeypot, as on the report form.
    website = forms.CharField(required=False, label=_("Leave this empty"),
                              widget=forms.TextInput(attrs={"tabindex": "-1",
                                                            "autocomplete": "off"}))  # fmt: skip


class AppealDecisionForm(StyledFormMixin, forms.Form):
    result = forms.ChoiceField(label=_("Result"), widget=forms.RadioSelect, choices=[
        ("upheld", pgettext_lazy("appeal result", "Upheld: the decision stands")),
        ("reversed", pgettext_lazy("appeal result", "Reversed: a new decision")),
    ])  # fmt: skip
    outcome = forms.ChoiceField(label=_("New decision (when reversed)"), required=False,
                                choices=[("", "—"), *Outcome.choices])  # fmt: skip
    facts = forms.CharField(label=_("Facts and circumstances"), max_length=20_000,
                            widget=forms.Textarea(attrs={"rows": 3}))  # fmt: skip


class CaseFilterForm(forms.Form):
    state = forms.ChoiceField(label=_("State"), required=False,
                              choices=[("", _("Any")), *Case.State.choices])  # fmt: skip
    category = forms.ChoiceField(label=_("Category"), required=False)
    cursor = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["category"]).choices = [("", _("Any"))] + [
            (c.key, c.name) for c in categories.all_categories()]  # fmt: skip
        for field in ("state", "category"):
            self.fields[field].widget.attrs["class"] = "form-select form-select-sm"
