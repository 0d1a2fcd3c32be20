from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from helpdesk.admin import ReadOnlyAdminMixin
from tickets import outbox
from tickets.models import (
    Event,
    Macro,
    Notification,
    NotificationAttempt,
    Queue,
    Requester,
    Ticket,
)


@admin.register(Queue)
class QueueAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "languages", "default_priority", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["teams", "vendors"]


@admin.register(Requester)
class RequesterAdmin(admin.ModelAdmin):
    list_display = ["email", "name", "external_id", "language", "region", "is_high_profile"]
    list_filter = ["is_high_profile", "language"]
    search_fields = ["email", "external_id", "name"]
    show_full_result_count = False


@admin.register(Macro)
class MacroAdmin(admin.ModelAdmin):
    list_display = ["name", "language", "set_status", "set_priority", "is_active"]
    list_filter = ["language", "is_active"]
    search_fields = ["name", "body"]
    filter_horizontal = ["queues"]


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: tickets change through the queue, the ticket page and the API (audited)."""

    list_display = ["reference", "subject", "queue", "status", "priority", "assignee", "created_at"]
    list_filter = ["status", "priority", "channel", "queue"]
    search_fields = ["=reference", "subject"]
    list_select_related = ["queue", "assignee"]
    show_full_result_count = False
    exclude = ["search_vector"]


@admin.register(Event)
class EventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "ticket", "kind", "actor"]
    list_filter = ["kind"]
    list_select_related = ["ticket", "actor"]
    show_full_result_count = False


class NotificationAttemptInline(admin.TabularInline):
    model = NotificationAttempt
    extra = 0
    can_delete = False
    readonly_fields = ["attempted_at", "ok", "status_code", "error", "duration_ms"]

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "channel", "recipient", "state", "attempts"]
    inlines = [NotificationAttemptInline]
    actions = ["retry_now"]

    @admin.action(description=_("Retry the selected dead or failed notifications now"))
    def retry_now(self, request, queryset):  # type: ignore[no-untyped-def]
        retried = sum(outbox.notification_retry(notification=n) for n in queryset)
        self.message_user(request, _("%(count)d notification(s) queued again.") % {
            "count": retried})  # fmt: skip

    list_filter = ["state", "channel", "kind"]
    search_fields = ["recipient", "idempotency_key"]
    show_full_result_count = False
    readonly_fields = [f.name for f in Notification._meta.fields]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
