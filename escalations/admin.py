"""Escalation reasons and on-call rotations are set up here; escalations, incidents and
pages are read-only (they change through their pages and services)."""

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdminMixin
from escalations.models import (
    Escalation,
    EscalationReason,
    Incident,
    Page,
    Rotation,
    RotationMember,
    RotationOverride,
)
from tickets.outbox import webhooks


@admin.register(EscalationReason)
class EscalationReasonAdmin(admin.ModelAdmin):
    list_display = ["name", "trigger", "target_team", "severity", "position", "is_active"]
    list_filter = ["trigger", "is_active"]
    prepopulated_fields = {"slug": ["name"]}


class RotationMemberInline(admin.TabularInline):
    model = RotationMember
    extra = 1
    autocomplete_fields = ["user"]


class RotationOverrideInline(admin.TabularInline):
    model = RotationOverride
    extra = 0
    autocomplete_fields = ["user"]


class RotationForm(forms.ModelForm):
    webhook_url = forms.URLField(label=_("webhook URL for pages"), max_length=500,
                                 required=False, assume_scheme="https")  # fmt: skip

    class Meta:
        model = Rotation
        fields = ["team", "time_zone", "handoff_weekday", "handoff_time", "shift_days",
                  "starts_on", "repeat_minutes", "repeats", "webhook_url"]  # fmt: skip

    def clean_webhook_url(self) -> str:
        url = self.cleaned_data["webhook_url"]
        if url:
            try:
                webhooks.validate_webhook_url(url)
            except webhooks.WebhookError as exc:
                raise forms.ValidationError(str(exc)) from exc
        return url


@admin.register(Rotation)
class RotationAdmin(admin.ModelAdmin):
    form = RotationForm
    list_display = ["team", "time_zone", "handoff_weekday", "handoff_time", "shift_days"]
    inlines = [RotationMemberInline, RotationOverrideInline]
    readonly_fields = ["webhook_secret"]

    def save_model(self, request: HttpRequest, obj: Rotation, form: Any, change: bool) -> None:
        # A rotation with a webhook signs its pages; the secret is made once and shown
        # here to admins for the receiving end.
        if obj.webhook_url and not obj.webhook_secret:
            obj.webhook_secret = webhooks.new_secret()
        super().save_model(request, obj, form, change)


@admin.register(Escalation)
class EscalationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["ticket", "severity", "status", "target_team", "owner", "due_at"]
    list_filter = ["status", "severity", "target_team"]
    list_select_related = ["ticket", "target_team", "owner"]


@admin.register(Incident)
class IncidentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["title", "severity", "status", "commander", "created_at"]
    list_filter = ["status", "severity"]


@admin.register(Page)
class PageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "severity", "rotation", "target", "attempts", "status"]
    list_filter = ["status", "severity"]
    list_select_related = ["rotation__team", "target"]
    exclude = ["token"]
