from django import forms
from django.utils.translation import gettext_lazy as _

from helpdesk.forms import StyledFormMixin
from tickets.models import Channel, Priority, Status
from tickets.selectors import VIEWS, QueueFilters

_LANGUAGE_CHOICES = [("", _("Any language"))]


class QueueFilterForm(StyledFormMixin, forms.Form):
    view = forms.ChoiceField(choices=[(v, v) for v in VIEWS], required=False)
    queue = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    status = forms.MultipleChoiceField(label=_("Status"), choices=Status.choices, required=False)
    priority = forms.TypedMultipleChoiceField(
        label=_("Priority"), choices=Priority.choices, coerce=int, required=False
    )
    language = forms.CharField(label=_("Language"), max_length=16, required=False)
    channel = forms.ChoiceField(
        label=_("Channel"), choices=[("", _("Any channel")), *Channel.choices], required=False
    )
    tag = forms.CharField(label=_("Tag"), max_length=64, required=False)
    assignee = forms.CharField(label=_("Assignee"), max_length=12, required=False)
    cursor = forms.CharField(required=False, max_length=500, widget=forms.HiddenInput)

    def __init__(self, data=None, *args, **kwargs):  # type: ignore[no-untyped-def]
        # "Any status" / "Any priority" submit an empty value; it means no filter.
        if data is not None:
            data = data.copy()
            for key in ("status", "priority"):
                data.setlist(key, [value for value in data.getlist(key) if value])
        super().__init__(data, *args, **kwargs)

    def filters(self) -> QueueFilters:
        # A bad value drops that one filter, not the whole view.
        self.is_valid()
        data = self.cleaned_data
        assignee = data.get("assignee", "")
        if assignee not in ("", "me", "none") and not assignee.isdigit():
            assignee = ""
        view = data.get("view") or ("queue" if data.get("queue") else "mine")
        return QueueFilters(
            view=view,
            queue=data.get("queue"),
            statuses=data.get("status") or [],
            priorities=data.get("priority") or [],
            language=(data.get("language") or "").strip().lower(),
            channel=data.get("channel") or "",
            tag=(data.get("tag") or "").strip().lower(),
            assignee=assignee,
        )


class ReplyForm(StyledFormMixin, forms.Form):
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 6}),
                           max_length=100_000)  # fmt: skip
    internal = forms.BooleanField(label=_("Internal note (not sent to the requester)"),
                                  required=False)  # fmt: skip
    status = forms.ChoiceField(
        label=_("Then set status"),
        choices=[("", _("Keep status")), (Status.PENDING, Status.PENDING.label),
                 (Status.ON_HOLD, Status.ON_HOLD.label), (Status.SOLVED, Status.SOLVED.label),
                 (Status.OPEN, Status.OPEN.label)],
        required=False,
    )  # fmt: skip
    macro = forms.IntegerField(required=False, widget=forms.HiddenInput)
    # The newest message the agent had on screen: a newer one is shown before sending.
    seen = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean_seen(self) -> int | None:
        """A message id, or None (no check) for anything else: a page from before this
        field existed, or a value someone edited."""
        value = self.cleaned_data["seen"]
        return int(value) if value.isascii() and value.isdigit() and len(value) < 19 else None


class TicketUpdateForm(StyledFormMixin, forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Status.choices)
    priority = forms.TypedChoiceField(label=_("Priority"), choices=Priority.choices, coerce=int)
    queue = forms.IntegerField(label=_("Queue"))
    assignee = forms.CharField(
        label=_("Assignee"), required=False, max_length=254,
        help_text=_("An email address, “me”, or empty for nobody."),
    )  # fmt: skip
    tags = forms.CharField(
        label=_("Tags"), required=False, max_length=1000,
        help_text=_("Separate tags with commas."),
    )  # fmt: skip


class ReferenceForm(StyledFormMixin, forms.Form):
    reference = forms.CharField(label=_("Ticket reference"), max_length=16)

    def clean_reference(self) -> str:
        return self.cleaned_data["reference"].strip().upper()


class BulkForm(forms.Form):
    ACTIONS = [
        ("assign", _("Assign to")),
        ("status", _("Set status")),
        ("priority", _("Set priority")),
        ("queue", _("Move to queue")),
        ("tag", _("Add tag")),
        ("incident", _("Link to incident")),
    ]
    refs = forms.MultipleChoiceField(required=True)  # choices are not known up front
    action = forms.ChoiceField(choices=ACTIONS)
    value = forms.CharField(max_length=64, required=False)
    next = forms.CharField(max_length=2000, required=False)

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        data = args[0] if args else kwargs.get("data")
        refs = data.getlist("refs") if data is not None else []
        self.fields["refs"].choices = [(r, r) for r in refs[:200]]
        self.fields["refs"].error_messages["invalid_choice"] = _("Select at most 200 tickets.")


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search tickets"), max_length=200, required=False)
