"""Users, vendors (outsourced partner companies), teams and roles."""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    AGENT = "agent", _("Agent")
    LEAD = "lead", _("Lead")
    ADMIN = "admin", _("Admin")


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("%(value)s is not a known time zone."), params={"value": value})


def validate_language_codes(values: list[str]) -> None:
    known = {code for code, _name in settings.SKILL_LANGUAGES}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ValidationError(
            _("Unknown language code(s): %(codes)s."), params={"codes": ", ".join(unknown)}
        )


def validate_ui_language(value: str) -> None:
    if value and value not in {code for code, _name in settings.LANGUAGES}:
        raise ValidationError(
            _("%(value)s is not a language the helpdesk is translated into."),
            params={"value": value},
        )


class Vendor(models.Model):
    """An outsourced partner company whose agents work some of our queues."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    # Where the vendor receives notices (SLA warnings and breaches, policy changes),
    # signed with HMAC-SHA256. The previous secret stays valid for a grace period after
    # a rotation, so the vendor can switch without dropping a notice.
    webhook_url = models.URLField(_("webhook URL"), max_length=500, blank=True)
    webhook_secret = models.CharField(_("webhook secret"), max_length=128, blank=True,
                                      editable=False)  # fmt: skip
    webhook_previous_secret = models.CharField(max_length=128, blank=True, editable=False)
    webhook_secret_rotated_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("vendor")
        verbose_name_plural = _("vendors")

    def __str__(self) -> str:
        return self.name


class Team(models.Model):
    """A group of agents; in-house when it has no vendor."""

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    vendor = models.ForeignKey(
        Vendor,
        verbose_name=_("vendor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="teams",
        help_text=_("Leave empty for an in-house team."),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        constraints = [
            models.UniqueConstraint(
                fields=["vendor", "name"],
                name="team_name_unique_per_vendor",
                nulls_distinct=False,
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.vendor})" if self.vendor_id else self.name

    @property
    def is_in_house(self) -> bool:
        return self.vendor_id is None


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email__iexact=username)

    def create_user(self, email: str, password: str | None = None, **fields: object) -> User:
        if not email:
            raise ValueError("Users need an email address.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: object) -> User:
        fields.setdefault("role", Role.ADMIN)
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """An agent, lead or admin. Requesters (end users) are not Users."""

    email = models.EmailField(_("email address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150)
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.AGENT)
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
    )
    languages = ArrayField(
        models.CharField(max_length=16),
        verbose_name=_("languages"),
        default=list,
        blank=True,
        validators=[validate_language_codes],
        help_text=_("Languages this person can answer in (skills), e.g. en, es, ar."),
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="UTC", validators=[validate_time_zone]
    )
    # Pages and mail to this person use it; blank follows the browser. Not a choices
    # field: settings.LANGUAGES can grow without a migration.
    ui_language = models.CharField(
        _("language of the helpdesk"),
        max_length=16,
        blank=True,
        default="",
        validators=[validate_ui_language],
        help_text=_("Pages and email to this person use it; blank follows their browser."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(
        _("staff status"),
        default=False,
        help_text=_("Can sign in to the Django admin site. Set from the role."),
    )
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name", "id"]
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]
        indexes = [models.Index(fields=["team", "role"], name="user_team_role_idx")]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email

    @property
    def vendor(self) -> Vendor | None:
        return self.team.vendor if self.team_id and self.team else None

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN or self.is_superuser

    @property
    def is_lead(self) -> bool:
        return self.role == Role.LEAD


class AccountEvent(models.Model):
    """Append-only audit of changes to users, teams and vendors."""

    class Action(models.TextChoices):
        USER_CREATED = "user_created", _("User created")
        ROLE_CHANGED = "role_changed", _("Role changed")
        ADDED_ROLES_CHANGED = "added_roles_changed", _("Added roles changed")
        TEAM_CHANGED = "team_changed", _("Team changed")
        LANGUAGES_CHANGED = "languages_changed", _("Languages changed")
        PREFERENCES_CHANGED = "preferences_changed", _("Preferences changed")
        ACTIVE_CHANGED = "active_changed", _("Active changed")
        VENDOR_CREATED = "vendor_created", _("Vendor created")
        TEAM_CREATED = "team_created", _("Team created")
        API_TOKEN_ROTATED = "api_token_rotated", _("API token created")
        API_TOKEN_REVOKED = "api_token_revoked", _("API token revoked")
        WEBHOOK_CHANGED = "webhook_changed", _("Vendor webhook changed")
        WEBHOOK_SECRET_ROTATED = "webhook_secret_rotated", _("Vendor webhook secret rotated")

    action = models.CharField(max_length=32, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    target_type = models.CharField(max_length=32)
    target_id = models.BigIntegerField()
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id"], name="acct_event_target_idx")]

    def __str__(self) -> str:
        return f"{self.action} {self.target_type}#{self.target_id}"
