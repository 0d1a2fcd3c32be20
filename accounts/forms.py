import zoneinfo
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import BaseUserCreationForm, UserChangeForm
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.roles import added_roles
from core.forms import LongSelect, StyledFormMixin

_TIME_ZONES = sorted(zoneinfo.available_timezones())


def _ui_language_choices() -> list[tuple[str, str]]:
    """The UI languages, each named in itself (as the footer's switcher names them)."""
    return [("", _("Same as my browser"))] + [
        (code, get_language_info(code)["name_local"]) for code, _name in settings.LANGUAGES
    ]


class LanguageSelect(forms.Select):
    """Options marked with their own language, so screen readers read each name right."""

    def create_option(
        self,
        name: str,
        value: Any,
        label: int | str,
        selected: bool,
        index: int,
        subindex: int | None = None,
        attrs: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        if value:
            option["attrs"]["lang"] = value
        return option


class PreferencesForm(StyledFormMixin, forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=150)
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        choices=[(tz, tz) for tz in _TIME_ZONES],
        widget=LongSelect,
        help_text=_("Times across the helpdesk are shown in this time zone."),
    )
    ui_language = forms.ChoiceField(
        label=_("Display language"),
        choices=_ui_language_choices,
        required=False,
        widget=LanguageSelect,
        help_text=_("Pages and the email we send you use this language."),
    )


class RosterSearchForm(StyledFormMixin, forms.Form):
    q = forms.CharField(label=_("Search by name or email"), required=False, max_length=100)
    after = forms.CharField(required=False, widget=forms.HiddenInput, max_length=300)


class AdminUserCreationForm(BaseUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "full_name", "team")


class AdminUserChangeForm(UserChangeForm):
    # The roles the apps add (accounts.roles.AddedRole), held on top of the main role.
    added_roles = forms.MultipleChoiceField(
        label=_("Added roles"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Held on top of the role above."),
    )

    class Meta:
        model = User
        fields = "__all__"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        declared = added_roles()
        field = self.fields["added_roles"]
        assert isinstance(field, forms.MultipleChoiceField)  # noqa: S101 - declared above
        field.choices = [(role.name, role.label) for role in declared]
        field.help_text = " ".join(
            [str(field.help_text), *(f"{role.label}: {role.description}" for role in declared)]
        )
        if self.instance.pk:
            field.initial = list(
                self.instance.groups.filter(name__in=[role.name for role in declared]).values_list(
                    "name", flat=True
                )
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("added_roles") and not data.get("is_active", True):
            self.add_error("added_roles", _("A deactivated account cannot be given a role."))
        return data
