from typing import Any, ClassVar, cast

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.exceptions import NotRegistered
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts import services
from accounts.forms import AdminUserChangeForm, AdminUserCreationForm
from accounts.http import AuthenticatedRequest
from accounts.models import AccountEvent, Role, Team, User, Vendor
from core import webhook_targets as webhooks
from core.admin import ReadOnlyAdminMixin


class VendorAdminForm(forms.ModelForm):
    webhook_url = forms.URLField(label=_("Webhook URL"), required=False, assume_scheme="https",
                                 max_length=500)  # fmt: skip

    class Meta:
        model = Vendor
        fields = ["name", "slug", "contact_email", "is_active", "webhook_url"]

    def clean_webhook_url(self) -> str:
        url = self.cleaned_data["webhook_url"]
        if url:
            webhooks.validate_webhook_url(url)  # its ValidationError shows by the field
        return url


@admin.register(Vendor)
class VendorAdmin(admin.ModelAdmin):
    form = VendorAdminForm
    list_display = ["name", "slug", "contact_email", "webhook_url", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "slug", "contact_email"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["webhook_secret_rotated_at"]
    actions = ["rotate_webhook_secret"]

    def save_model(self, request: HttpRequest, obj: Vendor, form: Any, change: bool) -> None:
        url = form.cleaned_data.get("webhook_url", "")
        if change:
            obj.webhook_url = Vendor.objects.get(pk=obj.pk).webhook_url  # set by the service
            super().save_model(request, obj, form, change)
        else:
            obj.webhook_url = ""
            super().save_model(request, obj, form, change)
        services.vendor_webhook_set(actor=cast(User, request.user), vendor=obj, url=url)

    @admin.action(description=_("Rotate the webhook signing secret"))
    def rotate_webhook_secret(
        self, request: AuthenticatedRequest, queryset: QuerySet[Vendor]
    ) -> None:
        for vendor in queryset:
            secret = services.vendor_webhook_secret_rotate(actor=request.user, vendor=vendor)
            self.message_user(
                request,
                _("New webhook secret for %(vendor)s (shown once; the old one keeps working "
                  "for %(hours)d hours): %(secret)s")
                % {"vendor": vendor, "hours": settings.WEBHOOK_SECRET_GRACE_HOURS,
                   "secret": secret},
                messages.WARNING,
            )  # fmt: skip


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "vendor", "slug", "created_at"]
    list_filter = ["vendor"]
    search_fields = ["name", "slug"]
    list_select_related = ["vendor"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = AdminUserChangeForm
    add_form = AdminUserCreationForm
    ordering = ["full_name"]
    list_display = ["email", "full_name", "role", "team", "languages", "time_zone", "is_active"]
    list_filter = ["role", "groups", "team__vendor", "team", "is_active"]
    list_select_related = ["team__vendor"]
    search_fields = ["email", "full_name"]
    # Role and languages change through services (audited, groups kept in step),
    # so they are read-only here and changed by the actions below.
    readonly_fields = ["role", "last_login", "date_joined", "is_staff", "groups"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (
            _("Profile"),
            {
                "fields": [
                    "full_name",
                    "team",
                    "role",
                    "added_roles",
                    "languages",
                    "time_zone",
                    "ui_language",
                ]
            },
        ),  # fmt: skip
        (_("Access"), {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"],
                "fields": ["email", "full_name", "team", "password1", "password2"]}),
    ]  # fmt: skip
    filter_horizontal: ClassVar[list[str]] = []

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        """Route the admin's edits through the services so they are audited."""
        actor = cast(User, request.user)  # the admin is for signed-in staff only
        data = form.cleaned_data
        if not change:
            created = services.user_create(
                actor=actor, email=data["email"], full_name=data["full_name"],
                team=data.get("team"), password=data.get("password1"),
            )  # fmt: skip
            obj.pk = created.pk
            obj.refresh_from_db()
            return
        if "languages" in form.changed_data:
            services.user_set_languages(actor=actor, user=obj, languages=data["languages"])
        edits = {f: data[f] for f in ("team", "is_active", "full_name") if f in form.changed_data}
        if edits:
            services.user_update(actor=actor, user=obj, **edits)
        if "added_roles" in form.changed_data:  # after the active flag, which it needs
            services.user_set_added_roles(actor=actor, user=obj, names=data["added_roles"])
        if "ui_language" in form.changed_data:
            services.user_update_preferences(actor=actor, user=obj,
                                             ui_language=data["ui_language"])  # fmt: skip
        # Email, time zone and superuser flag have no workflow of their own.
        plain = [f for f in ("email", "time_zone", "is_superuser") if f in form.changed_data]
        if plain:
            obj.save(update_fields=plain)

    actions = ["make_agent", "make_lead", "make_admin"]

    def _set_role(
        self, request: AuthenticatedRequest, queryset: QuerySet[User], role: Role
    ) -> None:
        changed = 0
        for user in queryset:
            try:
                services.user_change_role(actor=request.user, user=user, role=role)
                changed += 1
            except services.AccountError as exc:
                self.message_user(request, f"{user}: {exc}", level=messages.ERROR)
        self.message_user(request, _("%(count)d user(s) updated.") % {"count": changed})

    @admin.action(description=_("Make selected users agents"))
    def make_agent(self, request: AuthenticatedRequest, queryset: QuerySet[User]) -> None:
        self._set_role(request, queryset, Role.AGENT)

    @admin.action(description=_("Make selected users leads"))
    def make_lead(self, request: AuthenticatedRequest, queryset: QuerySet[User]) -> None:
        self._set_role(request, queryset, Role.LEAD)

    @admin.action(description=_("Make selected users admins"))
    def make_admin(self, request: AuthenticatedRequest, queryset: QuerySet[User]) -> None:
        self._set_role(request, queryset, Role.ADMIN)


@admin.register(AccountEvent)
class AccountEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "action", "actor", "target_type", "target_id"]
    list_filter = ["action", "target_type"]
    list_select_related = ["actor"]
    readonly_fields = [f.name for f in AccountEvent._meta.fields]


# API tokens are secrets each person manages on their own preferences page; nobody
# browses other people's tokens in the admin.
try:
    # (Its admin module registers TokenProxy; the stubs do not re-export the name.)
    from rest_framework.authtoken.admin import TokenProxy  # type: ignore[attr-defined]

    admin.site.unregister(TokenProxy)
except (ImportError, NotRegistered):
    pass
