"""Admins edit the agent statuses here; agents' states and their changes are read-only
(they change through the status menu and the chat page, which record every change)."""

from django.contrib import admin

from chat.models import AgentState, AgentStatus, StatusChange
from core.admin import ReadOnlyAdminMixin


@admin.register(AgentStatus)
class AgentStatusAdmin(admin.ModelAdmin):
    list_display = ["label", "key", "available", "position", "is_active"]
    list_filter = ["available", "is_active"]

    def get_readonly_fields(self, request, obj=None):  # type: ignore[no-untyped-def]
        # A built-in status keeps its key: the product's rules name it.
        return ["key"] if obj is not None and obj.builtin else []


@admin.register(AgentState)
class AgentStateAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["user", "status", "since", "chat_limit", "last_chat_at"]
    list_filter = ["status"]


@admin.register(StatusChange)
class StatusChangeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["user", "status", "previous", "reason", "at"]
    list_filter = ["reason", "status"]
