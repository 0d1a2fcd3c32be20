"""The harm taxonomy is edited here by admins; the rest is read-only (it changes through
its pages and services, which write the audit)."""

from django.contrib import admin

from core.admin import ReadOnlyAdminMixin
from safety.models import HarmCategory, SafetyEvent


@admin.register(HarmCategory)
class HarmCategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "key", "queue", "priority", "sensitive", "graphic",
                    "requires_clearance", "soft_cap_minutes", "hard_cap_minutes",
                    "is_active"]  # fmt: skip
    list_filter = ["sensitive", "graphic", "requires_clearance", "is_active"]
    ordering = ["order", "name"]


@admin.register(SafetyEvent)
class SafetyEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["kind", "actor", "subject", "case_reference", "created_at"]
    list_filter = ["kind"]
