"""Surveys, reviews and the quality audit, read-only (they change through their pages)."""

from django.contrib import admin

from core.admin import ReadOnlyAdminMixin
from quality.models import Cycle, Dispute, QualityEvent, Review, Survey


@admin.register(Survey)
class SurveyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "ticket", "state", "score", "positive", "agent", "sent_at",
                    "changed_at"]  # fmt: skip
    list_filter = ["state", "positive", "follow_up"]
    raw_id_fields = ["ticket", "requester", "agent", "follow_up_by"]


@admin.register(Review)
class ReviewAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "ticket", "agent", "reviewer", "state", "score", "submitted_at"]
    list_filter = ["state", "pulled_by"]
    raw_id_fields = ["ticket", "agent", "reviewer", "version", "cycle"]


@admin.register(Cycle)
class CycleAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["name", "starts_at", "ends_at", "quota", "vendor", "created_at"]


@admin.register(Dispute)
class DisputeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["review", "state", "due_at", "decided_by", "decided_at"]
    list_filter = ["state"]


@admin.register(QualityEvent)
class QualityEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["kind", "actor", "survey_id", "review_id", "created_at"]
    list_filter = ["kind"]
