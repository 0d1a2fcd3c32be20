"""Sign-in and access: the policies (second factor, session lifetimes, single sign-on
only, office networks), identity providers, security keys, sign-in sessions, API tokens
and the security log. TOTP devices and recovery codes are django-otp's models."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, Team, Vendor


def validate_networks(values: list[str]) -> None:
    bad = []
    for value in values:
        try:
            ipaddress.ip_network(value, strict=False)
        except ValueError:
            bad.append(value)
    if bad:
        raise ValidationError(
            _("Not an address or range (such as 203.0.113.0/24): %(values)s."),
            params={"values": ", ".join(bad)},
        )


class RolePolicy(models.Model):
    """What each role's sign-in needs and how long its sessions last. One row per role
    (migration 0002 writes the defaults: a second factor for admins and leads)."""

    role = models.CharField(_("role"), max_length=16, choices=Role.choices, unique=True)
    require_second_factor = models.BooleanField(_("second factor required"), default=False)
    idle_minutes = models.PositiveIntegerField(
        _("idle timeout (minutes)"),
        default=120,
        help_text=_("A session unused this long ends."),
    )
    lifetime_hours = models.PositiveIntegerField(
        _("absolute lifetime (hours)"),
        default=12,
        help_text=_("A session ends this long after sign-in, however busy."),
    )

    class Meta:
        ordering = ["role"]
        verbose_name = _("role policy")
        verbose_name_plural = _("role policies")

    def __str__(self) -> str:
        return str(self.get_role_display())


class OrganisationPolicy(models.Model):
    """A vendor's rules for its people (vendor empty: the in-house staff's)."""

    vendor = models.OneToOneField(
        Vendor,
        verbose_name=_("vendor"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="access_policy",
    )
    require_second_factor = models.BooleanField(
        _("second factor required for everyone"),
        default=False,
        help_text=_("Agents too, whatever their role's policy says."),
    )
    sso_only = models.BooleanField(
        _("single sign-on only"),
        default=False,
        help_text=_("No password sign-in: these people sign in through their identity provider."),
    )
    networks = ArrayField(
        models.CharField(max_length=64),
        verbose_name=_("allowed networks"),
        default=list,
        blank=True,
        validators=[validate_networks],
        help_text=_("Addresses or ranges (CIDR) these people may work from; empty: anywhere."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("organisation policy")
        verbose_name_plural = _("organisation policies")
        constraints = [
            models.UniqueConstraint(
                fields=["vendor"], name="identity_one_policy_per_vendor", nulls_distinct=False
            )
        ]

    def __str__(self) -> str:
        return str(self.vendor) if self.vendor_id else str(_("In-house"))


class IdentityProvider(models.Model):
    """An OpenID Connect provider the people of one vendor (or the in-house staff) sign
    in through. Accounts are created at their first sign-in and updated at each."""

    name = models.CharField(_("name"), max_length=120, help_text=_("Shown on the button."))
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    vendor = models.ForeignKey(
        Vendor,
        verbose_name=_("vendor"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="identity_providers",
        help_text=_("Leave empty for the in-house staff."),
    )
    issuer = models.URLField(
        _("issuer"),
        max_length=300,
        help_text=_("Its discovery document is at <issuer>/.well-known/openid-configuration."),
    )
    client_id = models.CharField(_("client ID"), max_length=300)
    client_secret = models.CharField(_("client secret"), max_length=500)
    scopes = models.CharField(_("scopes"), max_length=300, default="openid email profile")
    email_domains = ArrayField(
        models.CharField(max_length=253),
        verbose_name=_("email domains"),
        default=list,
        blank=True,
        help_text=_("The sign-in page offers this provider to addresses at these domains."),
    )
    role_claim = models.CharField(_("role claim"), max_length=100, blank=True, default="groups")
    role_map = models.JSONField(
        _("roles by claim value"),
        default=dict,
        blank=True,
        help_text=_('For example {"helpdesk-leads": "lead", "helpdesk-admins": "admin"}.'),
    )
    default_role = models.CharField(
        _("default role"), max_length=16, choices=Role.choices, default=Role.AGENT
    )
    team_claim = models.CharField(_("team claim"), max_length=100, blank=True, default="groups")
    team_map = models.JSONField(
        _("teams by claim value"),
        default=dict,
        blank=True,
        help_text=_('Claim value to team slug, for example {"tier1": "northwind-tier1"}.'),
    )
    default_team = models.ForeignKey(
        Team,
        verbose_name=_("default team"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("identity provider")
        verbose_name_plural = _("identity providers")

    def __str__(self) -> str:
        return self.name


class ExternalIdentity(models.Model):
    """A person as a provider knows them: the provider's stable subject ("sub")."""

    provider = models.ForeignKey(IdentityProvider, on_delete=models.CASCADE, related_name="+")
    subject = models.CharField(max_length=255)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="external_identities"
    )
    claims = models.JSONField(default=dict, blank=True)
    last_sign_in_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "subject"], name="identity_subject_unique")
        ]

    def __str__(self) -> str:
        return f"{self.subject} at {self.provider_id}"


class SecurityKey(models.Model):
    """A WebAuthn credential (a security key or a passkey) registered as a second factor."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="security_keys"
    )
    name = models.CharField(_("name"), max_length=80)
    credential_id = models.BinaryField(unique=True)
    public_key = models.BinaryField()
    sign_count = models.BigIntegerField(default=0)
    transports = ArrayField(models.CharField(max_length=20), default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.name


class SignInSession(models.Model):
    """One signed-in browser: listed on the person's security page, ended from there,
    by an admin, by a change of role or team, or by its idle or absolute limit."""

    class Method(models.TextChoices):
        PASSWORD = "password", _("Password")
        SECOND_FACTOR = "second_factor", _("Password and second factor")
        SSO = "sso", _("Single sign-on")
        OTHER = "other", _("Other")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sign_in_sessions"
    )
    session_key = models.CharField(max_length=40, unique=True)
    method = models.CharField(max_length=16, choices=Method.choices, default=Method.OTHER)
    address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=32, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["user", "-last_seen_at"],
                name="identity_open_sessions_idx",
                condition=models.Q(ended_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.created_at:%Y-%m-%d %H:%M}"


class ApiToken(models.Model):
    """A named API token. Only its SHA-256 is kept: the key is shown once."""

    class Scope(models.TextChoices):
        READ = "read", _("Read only")
        WRITE = "write", _("Read and write")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=80)
    prefix = models.CharField(max_length=8)
    digest = models.CharField(max_length=64, unique=True)
    scope = models.CharField(_("scope"), max_length=8, choices=Scope.choices, default=Scope.READ)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="identity_token_user_idx")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None and (
            self.expires_at is None or self.expires_at > timezone.now()
        )


class SecurityEvent(models.Model):
    """Append-only: every sign-in (and failed one), factor change, session end, token
    change and refused address. Admins search it on the security log page."""

    class Kind(models.TextChoices):
        SIGNED_IN = "signed_in", _("Signed in")
        SIGN_IN_FAILED = "sign_in_failed", _("Sign-in failed")
        SECOND_FACTOR_FAILED = "second_factor_failed", _("Second factor failed")
        SIGNED_OUT = "signed_out", _("Signed out")
        SESSION_ENDED = "session_ended", _("Session ended")
        FACTOR_ADDED = "factor_added", _("Second factor added")
        FACTOR_REMOVED = "factor_removed", _("Second factor removed")
        FACTORS_RESET = "factors_reset", _("Second factors reset by an admin")
        RECOVERY_CODES_MADE = "recovery_codes_made", _("Recovery codes made")
        RECOVERY_CODE_USED = "recovery_code_used", _("Recovery code used")
        TOKEN_CREATED = "token_created", _("API token created")
        TOKEN_REVOKED = "token_revoked", _("API token revoked")
        ADDRESS_REFUSED = "address_refused", _("Address refused")
        PASSWORD_REFUSED = "password_refused", _("Password sign-in refused (single sign-on only)")
        SSO_REFUSED = "sso_refused", _("Single sign-on refused")
        ACCOUNT_CREATED = "account_created", _("Account created by single sign-on")
        POLICY_CHANGED = "policy_changed", _("Access policy changed")
        PROVIDER_CHANGED = "provider_changed", _("Identity provider changed")

    kind = models.CharField(max_length=32, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    email = models.CharField(max_length=254, blank=True)
    address = models.GenericIPAddressField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="identity_event_time_idx"),
            models.Index(fields=["user", "-created_at"], name="identity_event_user_idx"),
            models.Index(fields=["kind", "-created_at"], name="identity_event_kind_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.email}"
