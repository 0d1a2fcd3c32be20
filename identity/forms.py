from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, Vendor
from core.forms import StyledFormMixin
from identity.models import ApiToken, IdentityProvider, SecurityEvent, validate_networks


class SignInForm(StyledFormMixin, AuthenticationForm):
    """Sign in with an email address; addresses are compared case-insensitively."""

    # 254: the longest address there is, and what django-axes can record of an attempt.
    username = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    error_messages = {
        "invalid_login": _(
            "That email address and password do not match an account. Check them and try again."
        ),
        "inactive": _("This account is inactive. Ask your lead or an admin to reactivate it."),
    }

    def clean_username(self) -> str:
        return self.cleaned_data["username"].strip().lower()


class SingleSignOnForm(StyledFormMixin, forms.Form):
    email = forms.EmailField(
        label=_("Work email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "username"}),
    )


class CodeForm(StyledFormMixin, forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        help_text=_("The 6 digits your authenticator app shows, or one of your recovery codes."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}
        ),
    )


class TotpConfirmForm(StyledFormMixin, forms.Form):
    device = forms.IntegerField(widget=forms.HiddenInput)
    code = forms.CharField(
        label=_("Code from the app"),
        max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


_EXPIRY = [
    ("30", _("30 days")),
    ("90", _("90 days")),
    ("365", _("1 year")),
    ("", _("Never")),
]


class TokenForm(StyledFormMixin, forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=80, help_text=_("What uses it, for example “Reporting script”.")
    )
    scope = forms.ChoiceField(label=_("Access"), choices=ApiToken.Scope.choices,
                              initial=ApiToken.Scope.READ)  # fmt: skip
    expires = forms.ChoiceField(label=_("Expires after"), choices=_EXPIRY, initial="90",
                                required=False)  # fmt: skip


class RolePolicyForm(StyledFormMixin, forms.Form):
    require_second_factor = forms.BooleanField(label=_("Second factor required"), required=False)
    idle_minutes = forms.IntegerField(label=_("Idle timeout (minutes)"), min_value=5,
                                      max_value=24 * 60)  # fmt: skip
    lifetime_hours = forms.IntegerField(label=_("Absolute lifetime (hours)"), min_value=1,
                                        max_value=24 * 30)  # fmt: skip


class OrganisationPolicyForm(StyledFormMixin, forms.Form):
    vendor = forms.ModelChoiceField(
        label=_("Organisation"),
        queryset=Vendor.objects.none(),
        required=False,
        empty_label=_("In-house"),
    )
    require_second_factor = forms.BooleanField(
        label=_("Second factor required for everyone"), required=False
    )
    sso_only = forms.BooleanField(label=_("Single sign-on only"), required=False)
    networks = forms.CharField(
        label=_("Allowed networks"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "One address or range (CIDR) per line, such as 203.0.113.0/24; empty: anywhere."
        ),
    )

    def __init__(self, *args: Any, vendors: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["vendor"].queryset = vendors  # type: ignore[attr-defined]

    def clean_networks(self) -> list[str]:
        values = [
            line.strip() for line in self.cleaned_data["networks"].splitlines() if line.strip()
        ]
        try:
            validate_networks(values)
        except forms.ValidationError:
            raise
        return values


class ProviderForm(StyledFormMixin, forms.ModelForm):
    email_domains = forms.CharField(
        label=_("Email domains"),
        required=False,
        help_text=_("Comma-separated, for example northwind.example, nw.example."),
    )
    role_map = forms.JSONField(label=_("Roles by claim value"), required=False, initial=dict)
    team_map = forms.JSONField(label=_("Teams by claim value"), required=False, initial=dict)

    class Meta:
        model = IdentityProvider
        fields = ["name", "slug", "vendor", "issuer", "client_id", "client_secret", "scopes",
                  "email_domains", "role_claim", "role_map", "default_role", "team_claim",
                  "team_map", "default_team", "is_active"]  # fmt: skip
        widgets = {"client_secret": forms.PasswordInput(render_value=True)}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["email_domains"] = ", ".join(self.instance.email_domains)

    def clean_email_domains(self) -> list[str]:
        raw = self.cleaned_data.get("email_domains") or ""
        return [part.strip().lower().lstrip("@") for part in raw.split(",") if part.strip()]

    def _clean_map(self, name: str, allowed: set[str] | None) -> dict[str, str]:
        value = self.cleaned_data.get(name) or {}
        if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            raise forms.ValidationError(_('Give an object of text to text, such as {"a": "b"}.'))
        if allowed is not None:
            bad = sorted(set(value.values()) - allowed)
            if bad:
                raise forms.ValidationError(
                    _("Not a role: %(values)s."), params={"values": ", ".join(bad)}
                )
        return value

    def clean_role_map(self) -> dict[str, str]:
        return self._clean_map("role_map", set(Role.values))

    def clean_team_map(self) -> dict[str, str]:
        return self._clean_map("team_map", None)


class LogSearchForm(forms.Form):
    email = forms.CharField(label=_("Person or address"), max_length=254, required=False)
    kind = forms.ChoiceField(
        label=_("What happened"),
        required=False,
        choices=[("", _("Anything"))] + list(SecurityEvent.Kind.choices),
    )
    after = forms.CharField(required=False, widget=forms.HiddenInput)
