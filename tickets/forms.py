from typing import Any, cast

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from core.forms import StyledFormMixin
from tickets import bulk
from tickets.models import Channel, Priority, Status
from tickets.selectors import ANY_SORTS, SORTS, VIEWS, QueueFilters

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
    sort = forms.ChoiceField(label=_("Sort"), choices=[(s, s) for s in SORTS], required=False)
    cursor = forms.CharField(required=False, max_length=500, widget=forms.HiddenInput)
    # Reached from a number on a dashboard (analytics): kept as hidden fields.
    category = forms.CharField(label=_("Category"), max_length=64, required=False)
    team = forms.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    vendor = forms.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    created_from = forms.DateTimeField(required=False)
    created_to = forms.DateTimeField(required=False)
    solved_from = forms.DateTimeField(required=False)
    solved_to = forms.DateTimeField(required=False)

    def __init__(self, data: QueryDict | None = None, *args: Any, **kwargs: Any) -> None:
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
        sort = data.get("sort") or ("newest" if view == "any" else "urgency")
        if view == "any" and sort not in ANY_SORTS:
            sort = "newest"
        return QueueFilters(
            view=view,
            queue=data.get("queue"),
            # In the order the filter lists them, so a view's query string is canonical.
            statuses=[s for s in Status.values if s in (data.get("status") or [])],
            priorities=sorted(data.get("priority") or []),
            language=(data.get("language") or "").strip().lower(),
            channel=data.get("channel") or "",
            tag=(data.get("tag") or "").strip().lower(),
            assignee=assignee,
            sort=sort,
            category=(data.get("category") or "").strip(),
            team=data.get("team"),
            vendor=data.get("vendor"),
            created_from=data.get("created_from"),
            created_to=data.get("created_to"),
            solved_from=data.get("solved_from"),
            solved_to=data.get("solved_to"),
        )


class SavedViewForm(StyledFormMixin, forms.Form):
    """Save the queue as it is shown (its filters and sort) under a name."""

    name = forms.CharField(label=_("Name of this view"), max_length=80)
    share = forms.BooleanField(label=_("Share with my team"), required=False)
    query = forms.CharField(max_length=2000, required=False, widget=forms.HiddenInput)

    def filters(self) -> QueueFilters:
        """The filters in the saved query, read as the queue page reads them (unknown or
        bad values are dropped, the page cursor is not kept)."""
        return QueueFilterForm(QueryDict(self.cleaned_data.get("query", ""))).filters()


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


# Statuses a person may set from the queue: every status but "new" (no ticket goes
# back to new).
BULK_STATUSES = [(value, label) for value, label in Status.choices if value != Status.NEW]


class BulkForm(forms.Form):
    """An action on the selected tickets, with its value from that action's picker."""

    ACTIONS = [
        ("assign", _("Assign to")),
        ("status", _("Set status")),
        ("priority", _("Set priority")),
        ("queue", _("Move to queue")),
        ("tag", _("Add tag")),
    ]
    # Each action's picker, and what to say when it is empty or its value is not offered.
    PICKERS = {
        "assign": ("assignee", _("Choose a person to assign the tickets to.")),
        "status": ("status", _("Choose one of the statuses offered.")),
        "priority": ("priority", _("Choose one of the priorities offered.")),
        "queue": ("queue", _("Choose one of the queues offered.")),
        "tag": ("tag", _("Type a tag of at most 64 characters.")),
    }
    refs = forms.MultipleChoiceField(
        required=True, error_messages={"required": _("Select one or more tickets first.")}
    )  # choices are not known up front
    action = forms.ChoiceField(choices=ACTIONS, error_messages={
        "required": _("Choose what to do with the selected tickets."),
        "invalid_choice": _("Choose what to do with the selected tickets."),
    })  # fmt: skip
    assignee = forms.RegexField(regex=r"^(me|none|[0-9]{1,12})$", required=False)
    status = forms.ChoiceField(choices=BULK_STATUSES, required=False)
    priority = forms.TypedChoiceField(choices=Priority.choices, coerce=int, required=False,
                                      empty_value=None)  # fmt: skip
    queue = forms.IntegerField(min_value=1, max_value=2**31 - 1, required=False)
    tag = forms.CharField(max_length=64, required=False)
    next = forms.CharField(max_length=2000, required=False)

    def __init__(self, data: QueryDict | None = None, *args: Any, **kwargs: Any) -> None:
        # The actions other apps register (tickets.bulk), each with its own picker.
        self.PICKERS = dict(self.PICKERS)
        extra = bulk.registered()
        for action in extra:
            self.PICKERS[action.name] = (action.name, action.missing)
        if data is not None:
            # Older posts (and scripts) sent every action's value as "value".
            data = data.copy()
            picker = self.PICKERS.get(data.get("action", ""), ("", ""))[0]
            if picker and not data.get(picker) and (value := data.get("value")):
                data[picker] = value
        super().__init__(data, *args, **kwargs)
        for action in extra:
            self.fields[action.name] = forms.IntegerField(min_value=1, max_value=2**31 - 1,
                                                          required=False)  # fmt: skip
        cast(forms.ChoiceField, self.fields["action"]).choices = [
            *self.ACTIONS, *((a.name, a.option_label) for a in extra)]  # fmt: skip
        refs = data.getlist("refs") if data is not None else []
        cast(forms.ChoiceField, self.fields["refs"]).choices = [(r, r) for r in refs[:200]]
        self.fields["refs"].error_messages["invalid_choice"] = _("Select at most 200 tickets.")

    def clean(self) -> dict[str, Any]:
        data = cast("dict[str, Any]", super().clean())
        action = data.get("action")
        picker, missing = self.PICKERS.get(action or "", ("", ""))
        # Only the chosen action's picker counts: without JavaScript every picker is
        # posted, and the others' values are not used.
        for name, _message in self.PICKERS.values():
            if name != picker:
                self.errors.pop(name, None)
        if picker and (picker in self.errors or data.get(picker) in (None, "")):
            self.errors.pop(picker, None)
            raise forms.ValidationError(missing)
        return data

    def sentences(self) -> list[str]:
        """Every error as a sentence of its own (shown as messages above the queue)."""
        seen: list[str] = []
        for name in ("refs", "action", "__all__"):
            for error in self.errors.get(name, []):
                if (text := str(error)) not in seen:
                    seen.append(text)
        return seen or [str(_("Select one or more tickets and an action."))]


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search tickets"), max_length=200, required=False)
