from typing import TYPE_CHECKING, Any, cast

import holidays
from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core.admin import ReadOnlyAdminMixin
from tickets import outbox, presenters, services
from tickets.intake.email import email_config_saved
from tickets.models import (
    AppClient,
    BusinessCalendar,
    BusinessHours,
    CalendarHoliday,
    Channel,
    ConfigEvent,
    EmailRoute,
    Event,
    InboundEmail,
    Macro,
    Mailbox,
    Notification,
    NotificationAttempt,
    Priority,
    Queue,
    Requester,
    SLAAction,
    SLAClock,
    SLAPolicy,
    SLATarget,
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
    """Provisional identities (what someone who could not see a matching requester typed)
    are listed with the record they may be, and filtered by "may be the same person as"
    (not empty): an admin reconciles them. The link is shown, never edited here."""

    list_display = ["email", "name", "external_id", "language", "region", "is_high_profile",
                    "provisional_of"]  # fmt: skip
    list_filter = ["is_high_profile", ("provisional_of", admin.EmptyFieldListFilter), "language"]
    list_select_related = ["provisional_of"]
    readonly_fields = ["provisional_of"]
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

    def has_add_permission(self, request: HttpRequest, obj: Notification | None = None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "channel", "recipient", "state", "attempts"]
    inlines = [NotificationAttemptInline]
    actions = ["retry_now"]

    @admin.action(description=_("Retry the selected dead or failed notifications now"))
    def retry_now(self, request: HttpRequest, queryset: QuerySet[Notification]) -> None:
        retried = sum(outbox.notification_retry(notification=n) for n in queryset)
        self.message_user(request, _("%(count)d notification(s) queued again.") % {
            "count": retried})  # fmt: skip

    list_filter = ["state", "channel", "kind"]
    search_fields = ["recipient", "idempotency_key"]
    show_full_result_count = False
    readonly_fields = [f.name for f in Notification._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Notification | None = None) -> bool:
        return False


# ------------------------------------------------------------------------ SLA


class BusinessHoursInline(admin.TabularInline):
    model = BusinessHours
    extra = 0


class CalendarHolidayInline(admin.TabularInline):
    model = CalendarHoliday
    extra = 0


class BusinessCalendarForm(forms.ModelForm):
    class Meta:
        model = BusinessCalendar
        fields = ["name", "time_zone", "always_open", "holiday_country", "holiday_subdivision"]

    def clean(self) -> dict[str, Any]:
        data = cast("dict[str, Any]", super().clean())
        country = (data.get("holiday_country") or "").upper()
        subdivision = (data.get("holiday_subdivision") or "").upper()
        data["holiday_country"], data["holiday_subdivision"] = country, subdivision
        supported = holidays.list_supported_countries()
        if country and country not in supported:
            self.add_error("holiday_country", _("No public holidays are known for this code."))
        elif subdivision and subdivision not in supported.get(country, []):
            self.add_error("holiday_subdivision", _("Not a region of this country."))
        return data


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    """Saving recomputes the due times of every live clock on this calendar (a task)."""

    form = BusinessCalendarForm
    list_display = ["name", "time_zone", "always_open", "holiday_country", "updated_at"]
    inlines = [BusinessHoursInline, CalendarHolidayInline]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        services.sla_config_changed(actor=cast(User, request.user), target=form.instance,
                                    action="calendar_saved")  # fmt: skip


class SLATargetInline(admin.TabularInline):
    """Each reply target in minutes or, for live chat, in seconds (not both)."""

    model = SLATarget
    extra = 0
    min_num = 1
    fields = ["priority", "first_reply_minutes", "first_reply_seconds", "next_reply_minutes",
              "next_reply_seconds", "resolution_minutes"]  # fmt: skip


class SLAPolicyForm(forms.ModelForm):
    priorities = forms.TypedMultipleChoiceField(
        label=_("Priorities"), choices=Priority.choices, coerce=int, required=False,
        widget=forms.CheckboxSelectMultiple, help_text=_("None ticked: any priority."),
    )  # fmt: skip
    channels = forms.MultipleChoiceField(
        label=_("Channels"), choices=Channel.choices, required=False,
        widget=forms.CheckboxSelectMultiple, help_text=_("None ticked: any channel."),
    )  # fmt: skip
    warning_actions = forms.MultipleChoiceField(
        label=_("On warning"), choices=SLAAction.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
    breach_actions = forms.MultipleChoiceField(
        label=_("On breach"), choices=SLAAction.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip

    class Meta:
        model = SLAPolicy
        fields = [
            "name", "position", "is_active", "calendar", "queues", "priorities", "channels",
            "high_profile", "warn_at_percent", "warning_actions", "breach_actions",
        ]  # fmt: skip


@admin.register(SLAPolicy)
class SLAPolicyAdmin(admin.ModelAdmin):
    """Policies are tried in order; saving one moves its live clocks to the new targets."""

    form = SLAPolicyForm
    list_display = ["name", "position", "calendar", "high_profile", "warn_at_percent",
                    "is_active"]  # fmt: skip
    list_editable = ["position"]
    list_select_related = ["calendar"]
    filter_horizontal = ["queues"]
    inlines = [SLATargetInline]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        services.sla_config_changed(actor=cast(User, request.user), target=form.instance,
                                    action="sla_policy_saved")  # fmt: skip


@admin.register(SLAClock)
class SLAClockAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["ticket", "metric", "state", "policy", "target", "due_at", "warned_at",
                    "breached_at"]  # fmt: skip
    list_filter = ["state", "metric", "policy"]
    list_select_related = ["ticket", "policy"]
    show_full_result_count = False

    @admin.display(description=_("Target"), ordering="target_seconds")
    def target(self, clock: SLAClock) -> str:
        """'8h', '2m', '45s': business time, whether the target was set in minutes or seconds."""
        return presenters.short_duration(clock.target_seconds, presenters.duration_units())


@admin.register(ConfigEvent)
class ConfigEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "action", "target_type", "target_id", "actor"]
    list_filter = ["action", "target_type"]
    list_select_related = ["actor"]


@admin.register(InboundEmail)
class InboundEmailAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every email received; quarantined ones can be retried or discarded."""

    list_display = ["received_at", "from_address", "subject", "outcome", "reason", "ticket"]
    list_filter = ["outcome", "source"]
    search_fields = ["from_address", "subject", "message_id"]
    list_select_related = ["ticket"]
    exclude = ["raw"]
    readonly_fields = ["raw_text"]
    actions = ["retry", "discard"]

    @admin.display(description=_("raw message"))
    def raw_text(self, obj: InboundEmail) -> str:
        # Shown as escaped text by the admin, never rendered.
        return bytes(obj.raw).decode("utf-8", errors="replace")[:200_000]

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return request.user.has_perm("tickets.change_inboundemail")

    @admin.action(description=_("Retry the selected quarantined messages"))
    def retry(self, request: HttpRequest, queryset: QuerySet[InboundEmail]) -> None:
        from tickets.intake.email import email_process

        results = [email_process(r) for r in queryset.filter(outcome="quarantined")]
        done = sum(1 for r in results if r.outcome != "quarantined")
        self.message_user(
            request,
            _("%(done)d of %(n)d processed; the rest stay quarantined.")
            % {"done": done, "n": len(results)},
        )

    @admin.action(description=_("Discard the selected quarantined messages"))
    def discard(self, request: HttpRequest, queryset: QuerySet[InboundEmail]) -> None:
        from tickets.intake.email import email_discard

        for record in queryset.filter(outcome="quarantined"):
            email_discard(record=record)


@admin.register(AppClient)
class AppClientAdmin(admin.ModelAdmin):
    """In-app clients. A new client's key, and a rotated one, is shown once."""

    list_display = ["name", "queue", "key_prefix", "is_active", "last_used_at"]
    fields = ["name", "queue", "is_active", "key_prefix", "last_used_at"]
    readonly_fields = ["key_prefix", "last_used_at"]
    actions = ["rotate_key"]

    def save_model(self, request: HttpRequest, obj: AppClient, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        from tickets.intake.inapp import app_client_create

        created, key = app_client_create(name=obj.name, queue=obj.queue)
        obj.pk = created.pk
        obj.refresh_from_db()
        self.message_user(
            request, _("The app's key (shown once, keep it safe): %(key)s") % {"key": key}
        )

    @admin.action(description=_("Rotate the key (the old one stops working)"))
    def rotate_key(self, request: HttpRequest, queryset: QuerySet[AppClient]) -> None:
        from tickets.intake.inapp import app_client_rotate_key

        for client in queryset:
            key = app_client_rotate_key(client=client)
            self.message_user(
                request,
                _("New key for %(name)s (shown once): %(key)s") % {"name": client.name, "key": key},
            )


# ---------------------------------------------------------------------- email


# The mixin goes before a ModelAdmin; the type checker is told what it mixes into.
if TYPE_CHECKING:
    _AdminBase = admin.ModelAdmin
else:
    _AdminBase = object


class AuditedDeleteMixin(_AdminBase):
    """Deletions go one by one through delete_model, which audits them."""

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


class MailboxForm(forms.ModelForm):
    imap_password = forms.CharField(
        label=_("IMAP password"), required=False, strip=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Leave blank to keep the saved password."),
    )  # fmt: skip

    class Meta:
        model = Mailbox
        fields = [
            "address", "queue", "from_name", "send_acknowledgement", "is_active", "imap_host",
            "imap_port", "imap_security", "imap_username", "imap_password", "imap_folder",
            "after_import", "processed_folder",
        ]  # fmt: skip

    def clean(self) -> dict[str, Any]:
        data = cast("dict[str, Any]", super().clean())
        if not data.get("imap_password") and self.instance.pk:
            data["imap_password"] = self.instance.imap_password
        if data.get("imap_host"):
            for name in ("imap_username", "imap_password"):
                if not data.get(name):
                    self.add_error(name, _("Needed to read the mailbox over IMAP."))
        return data


@admin.register(Mailbox)
class MailboxAdmin(AuditedDeleteMixin, admin.ModelAdmin):
    """A queue's support address: routes mail sent to it, is the From of its replies, and
    is polled over IMAP when a host is given."""

    form = MailboxForm
    list_display = ["address", "queue", "from_name", "imap_host", "is_active", "last_polled_at",
                    "last_error"]  # fmt: skip
    list_filter = ["is_active", "queue"]
    list_select_related = ["queue"]
    search_fields = ["address", "from_name"]
    readonly_fields = ["last_polled_at", "last_error"]
    actions = ["poll_now"]

    def get_fields(self, request: HttpRequest, obj: Mailbox | None = None) -> tuple[str, ...]:
        return (*MailboxForm.Meta.fields, *self.readonly_fields)

    def save_model(self, request: HttpRequest, obj: Mailbox, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        email_config_saved(actor=cast(User, request.user), target=obj,
                           action="mailbox_changed" if change else "mailbox_added")  # fmt: skip

    def delete_model(self, request: HttpRequest, obj: Mailbox) -> None:
        email_config_saved(actor=cast(User, request.user), target=obj, action="mailbox_deleted")
        super().delete_model(request, obj)

    @admin.action(description=_("Poll the selected mailboxes now"))
    def poll_now(self, request: HttpRequest, queryset: QuerySet[Mailbox]) -> None:
        from tickets.tasks import poll_mailbox

        polled = [box for box in queryset if box.polls]
        for box in polled:
            poll_mailbox.delay(box.pk)
        self.message_user(request, _("%(n)d mailbox(es) will be polled in a moment; refresh to "
                                     "see the result.") % {"n": len(polled)})  # fmt: skip


@admin.register(EmailRoute)
class EmailRouteAdmin(AuditedDeleteMixin, admin.ModelAdmin):
    """Routing rules for new tickets from email, tried in order; the first match wins."""

    list_display = ["position", "field", "contains", "queue", "category", "is_active"]
    list_display_links = ["contains"]
    list_editable = ["position", "is_active"]
    list_select_related = ["queue"]

    def save_model(self, request: HttpRequest, obj: EmailRoute, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        email_config_saved(
            actor=cast(User, request.user),
            target=obj,
            action="email_route_changed" if change else "email_route_added",
        )

    def delete_model(self, request: HttpRequest, obj: EmailRoute) -> None:
        email_config_saved(actor=cast(User, request.user), target=obj, action="email_route_deleted")
        super().delete_model(request, obj)
