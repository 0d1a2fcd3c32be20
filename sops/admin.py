"""SOPs in the Django admin: read-only records with a link to the SOP pages, where every
change goes through the services (versions, review, publishing, audit)."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdminMixin
from sops.models import SOP, SOPAcknowledgement, SOPEvent, SOPVersion


@admin.register(SOP)
class SOPAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["title", "slug", "current_version", "owner", "updated_at", "open_in_app"]
    list_select_related = ["current_version", "owner"]
    search_fields = ["title", "slug", "summary"]
    exclude = ["search_vector"]

    @admin.display(description=_("Edit"))
    def open_in_app(self, obj: SOP) -> str:
        return format_html('<a href="{}">{}</a>', reverse("sops:detail", args=[obj.slug]),
                           _("Open in the SOP editor"))  # fmt: skip


@admin.register(SOPVersion)
class SOPVersionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["sop", "number", "state", "author", "published_at", "effective_on"]
    list_filter = ["state"]
    list_select_related = ["sop", "author"]
    search_fields = ["sop__title", "change_summary"]


@admin.register(SOPAcknowledgement)
class SOPAcknowledgementAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["version", "user", "acknowledged_at"]
    list_select_related = ["version__sop", "user"]
    search_fields = ["user__email", "version__sop__title"]


@admin.register(SOPEvent)
class SOPEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "sop", "version", "kind", "actor"]
    list_filter = ["kind"]
    list_select_related = ["sop", "version", "actor"]
