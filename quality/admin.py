"""Surveys and the quality audit, read-only (they change through their pages)."""

from django.contrib import admin

from core.admin import ReadOnlyAdminMixin
from quality.models import QualityEvent, Survey


@admin.register(Survey)
class SurveyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "ticket", "state", "score", "positive", "agent", "sent_at",
                    "changed_at"]  # fmt: skip
    list_filter = ["state", "positive", "follow_up"]
    raw_id_fields = ["ticket", "requester", "agent", "follow_up_by"]


@admin.register(QualityEvent)
class QualityEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["kind", "actor", "survey_id", "created_at"]
    list_filter = ["kind"]
