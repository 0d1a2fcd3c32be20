"""The dashboards' controls: a GET form read into what the selectors need (range,
bucket, one slice, time zone). A bad value is told by its field in a sentence and
replaced by its default: a hand-edited or stale link never makes a 500."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, cast
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import User
from analytics.fold import day_zones
from analytics.models import WEEKDAYS
from analytics.selectors import Names, Period, Slice
from core.forms import StyledFormMixin
from tickets.models import Channel, Priority

# Range key -> local days up to and including today.
RANGES: dict[str, int] = {"today": 1, "7": 7, "30": 30, "90": 90, "365": 365}
RANGE_LABELS = {
    "today": _("Today"),
    "7": _("Last 7 days"),
    "30": _("Last 30 days"),
    "90": _("Last 90 days"),
    "365": _("Last 365 days"),
}
DEFAULT_RANGE = "7"
BUCKET_LABELS = {"hour": _("By hour"), "day": _("By day"), "week": _("By week")}
BUCKET_NOUNS = {"hour": _("hour"), "day": _("day"), "week": _("week")}
# The buckets a range may be drawn in (at most a few hundred points), the first its default.
BUCKETS_FOR: dict[int, tuple[str, ...]] = {
    1: ("hour", "day"),
    7: ("day", "hour"),
    30: ("day", "week"),
    90: ("day", "week"),
    365: ("week", "day"),
}
# The slices the dashboard's filter offers ("queue" narrows to one queue of the scope).
SLICE_DIMS = ("queue", "language", "channel", "category", "priority", "tag", "vendor", "team")
SLICE_LABELS = {
    "queue": _("Queue"),
    "language": _("Language"),
    "channel": _("Channel"),
    "category": _("Category"),
    "priority": _("Priority"),
    "tag": _("Tag"),
    "vendor": _("Vendor"),
    "team": _("Team"),
    "agent": _("Agent"),
}


@cache
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def default_zone(user: User) -> str:
    """The person's own time zone, else the site's."""
    zone = getattr(user, "time_zone", "") or ""
    return zone if zone in _zones() else settings.TIME_ZONE


@dataclass(frozen=True)
class Controls:
    """What a dashboard shows: valid values only."""

    range: str
    bucket: str
    tz: str
    slice_dim: str = ""  # "", "queue", or one of analytics.measures.SLICES
    slice_value: str = ""

    @property
    def days(self) -> int:
        return RANGES[self.range]

    @property
    def slice_key(self) -> str:
        """The slice as the filter's option value ("language:es"), or ""."""
        return f"{self.slice_dim}:{self.slice_value}" if self.slice_dim else ""

    @property
    def slice(self) -> Slice:
        if self.slice_dim == "queue":
            return Slice(queue_id=int(self.slice_value))
        if self.slice_dim:
            return Slice(dim=self.slice_dim, value=self.slice_value)
        return Slice()

    def period(self, now: datetime) -> Period:
        return Period.last_days(self.days, tz=self.tz, now=now, bucket=self.bucket)

    @property
    def query(self) -> str:
        """These controls as the other dashboards' query string: the range, the time
        zone and a queue (the agent and vendor tables take no other slice)."""
        pairs = [("range", self.range), ("tz", self.tz)]
        if self.slice_dim == "queue":
            pairs.append(("slice", self.slice_key))
        return urlencode(pairs)

    @property
    def full_query(self) -> str:
        """Every control as a query string: what an export of the page's tables reads."""
        pairs = [("range", self.range), ("bucket", self.bucket), ("tz", self.tz)]
        if self.slice_dim:
            pairs.append(("slice", self.slice_key))
        return urlencode(pairs)


class DashboardForm(StyledFormMixin, forms.Form):
    range = forms.ChoiceField(label=_("Range"), required=False, choices=list(RANGE_LABELS.items()))
    bucket = forms.ChoiceField(
        label=_("Chart buckets"),
        required=False,
        choices=[("", _("Automatic")), *BUCKET_LABELS.items()],
    )
    slice = forms.CharField(label=_("Show only"), required=False, max_length=100)
    tz = forms.CharField(label=_("Time zone"), required=False, max_length=64)

    def __init__(
        self,
        data: Any,
        *,
        user: User,
        queues: dict[int, str],
        names: Names,
        slices: tuple[str, ...] = SLICE_DIMS,
    ) -> None:
        super().__init__(data)
        self.user, self.queues, self.names, self.slices = user, queues, names, slices

    def clean_tz(self) -> str:
        zone = self.cleaned_data["tz"].strip()
        if zone and zone not in _zones():
            raise forms.ValidationError(
                _("“%(zone)s” is not a time zone we know."), params={"zone": zone}
            )
        return zone

    def clean_slice(self) -> tuple[str, str]:
        raw = self.cleaned_data["slice"].strip()
        if not raw:
            return "", ""
        dim, _sep, value = raw.partition(":")
        if dim not in self.slices or not value or len(value) > 64:
            raise forms.ValidationError(_("Choose what to show from the list."))
        known = {
            "queue": [str(pk) for pk in self.queues],
            "vendor": [str(pk) for pk in self.names.vendors],
            "team": [str(pk) for pk in self.names.teams],
            "priority": [str(value) for value in Priority.values],
            "channel": list(Channel.values),
        }.get(dim)
        if known is not None and value not in known:
            raise forms.ValidationError(
                _("That is not something you can see; showing everything you can.")
            )
        return dim, value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        bucket = data.get("bucket")
        days = RANGES.get(data.get("range") or DEFAULT_RANGE, RANGES[DEFAULT_RANGE])
        if bucket and bucket not in BUCKETS_FOR[days]:
            self.add_error(
                "bucket",
                _("This range is not charted by %(bucket)s; it is charted by %(default)s.")
                % {"bucket": BUCKET_NOUNS[bucket], "default": BUCKET_NOUNS[BUCKETS_FOR[days][0]]},
            )
        return data

    def controls(self) -> Controls:
        """The valid values, each invalid or missing one replaced by its default."""
        self.is_valid()
        data = self.cleaned_data
        range_ = data.get("range") or DEFAULT_RANGE
        allowed = BUCKETS_FOR[RANGES[range_]]
        bucket = data.get("bucket") if data.get("bucket") in allowed else allowed[0]
        dim, value = data.get("slice") or ("", "")
        return Controls(
            range=range_,
            bucket=bucket or allowed[0],
            tz=data.get("tz") or default_zone(self.user),
            slice_dim=dim,
            slice_value=value,
        )

    def zone_choices(self, current: str) -> list[str]:
        """The person's own zone first, then the zones kept by day (fast over long
        ranges), and the one shown if it is neither."""
        own = default_zone(self.user)
        return list(dict.fromkeys([own, *sorted({*day_zones(), current} - {own})]))


def _person_label(person: User) -> str:
    name = person.get_full_name()
    return f"{name} ({person.email})" if name else person.email


class ReportForm(StyledFormMixin, forms.Form):
    """A scheduled report's settings. The slice's options are those of the dashboard
    filter (``slice_options``); the recipients those ``reports.recipient_choices`` gives;
    the webhook field is an admin's only."""

    name = forms.CharField(label=pgettext_lazy("a report's", "Name"), max_length=120)
    page = forms.ChoiceField(label=pgettext_lazy("a dashboard's", "Page"))
    slice = forms.ChoiceField(label=_("Show only"), required=False)
    cadence = forms.ChoiceField(label=_("How often"))
    weekday = forms.TypedChoiceField(label=_("Day of the week (weekly reports)"), coerce=int,
                                     choices=WEEKDAYS, initial=0)  # fmt: skip
    hour = forms.TypedChoiceField(label=_("Hour"), coerce=int, initial=7,
                                  choices=[(h, f"{h:02d}:00") for h in range(24)])  # fmt: skip
    time_zone = forms.CharField(label=_("Time zone"), max_length=64)
    recipients = forms.ModelMultipleChoiceField(
        label=_("Recipients"), queryset=User.objects.none(), required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Each gets the numbers they may see, in their own language."),
    )  # fmt: skip
    webhook_url = forms.URLField(
        label=_("Webhook URL (optional)"), required=False, max_length=500, assume_scheme="https",
        help_text=_("Also post the numbers, signed, to this address."),
    )  # fmt: skip

    def __init__(self, *args: Any, pages: list[tuple[str, Any]], cadences: list[tuple[str, Any]],
                 slices: list[tuple[str, Any]], people: Any, webhook: bool,
                 **kwargs: Any) -> None:  # fmt: skip
        super().__init__(*args, **kwargs)
        for name, choices in (
            ("page", pages),
            ("cadence", cadences),
            ("slice", [("", _("Everything you can see")), *slices]),
        ):
            cast("forms.ChoiceField", self.fields[name]).choices = choices
        recipients = cast("forms.ModelMultipleChoiceField", self.fields["recipients"])
        recipients.queryset = people
        recipients.label_from_instance = _person_label  # type: ignore[method-assign,assignment]
        recipients.widget.attrs["class"] = "form-check-input"
        if not webhook:
            del self.fields["webhook_url"]

    def clean_time_zone(self) -> str:
        zone = self.cleaned_data["time_zone"].strip()
        if zone not in _zones():
            raise forms.ValidationError(
                _("“%(zone)s” is not a time zone we know."), params={"zone": zone}
            )
        return zone

    def clean_webhook_url(self) -> str:
        from core.webhook_targets import validate_webhook_url

        url = self.cleaned_data["webhook_url"].strip()
        if url:
            validate_webhook_url(url)
        return url
