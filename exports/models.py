"""Export jobs and their audit trail."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ExportJob(models.Model):
    """One CSV export a person asked for: built by a worker, kept in the default storage
    under a random name until ``expires_at``, downloaded through a signed link."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Waiting")
        RUNNING = "running", _("In progress")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Expired")

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                              related_name="export_jobs")  # fmt: skip
    source = models.CharField(max_length=64)
    params = models.JSONField(default=dict, blank=True)
    # What the person was reading the page in when they asked: the file's header and
    # labels, its times and the error sentence follow them.
    language = models.CharField(max_length=16)
    time_zone = models.CharField(max_length=64, default="UTC")
    state = models.CharField(max_length=16, choices=State.choices,
                             default=State.QUEUED)  # fmt: skip
    rows_done = models.PositiveIntegerField(default=0)
    rows_expected = models.PositiveIntegerField(null=True, blank=True)
    # The file's name in the default storage (random); not a FileField, so nothing ever
    # builds a storage URL to it: it is served only through the signed download.
    file_name = models.CharField(max_length=255, blank=True)
    file_size = models.BigIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # When a worker was last handed the job (the sweep hands a lost one over again).
    enqueued_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # "My exports", newest first (keyset pages).
            models.Index(fields=["owner", "-created_at", "-id"], name="export_owner_idx"),
            # The sweep: finished jobs falling due, and jobs left queued or running.
            models.Index(
                fields=["expires_at"],
                name="export_expiry_idx",
                condition=Q(state__in=["done", "failed"]),
            ),  # fmt: skip
            models.Index(
                fields=["state", "enqueued_at"],
                name="export_unfinished_idx",
                condition=Q(state__in=["queued", "running"]),
            ),  # fmt: skip
        ]

    def __str__(self) -> str:
        return f"{self.source} #{self.pk} ({self.state})"

    @property
    def percent(self) -> int | None:
        """How far along (0–100), when the number of rows is known."""
        if self.state == self.State.DONE:
            return 100
        if not self.rows_expected:
            return None
        return min(99, self.rows_done * 100 // self.rows_expected)

    @property
    def is_unfinished(self) -> bool:
        return self.state in (self.State.QUEUED, self.State.RUNNING)


class ExportEvent(models.Model):
    """Append-only audit of exports: who started which (with its parameters), how it
    ended, each download, and its expiry (a database trigger refuses edits)."""

    class Kind(models.TextChoices):
        STARTED = "started"
        DONE = "done"
        FAILED = "failed"
        DOWNLOADED = "downloaded"
        EXPIRED = "expired"

    job = models.ForeignKey(ExportJob, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="+")  # fmt: skip
    kind = models.CharField(max_length=16, choices=Kind.choices)
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["job", "created_at", "id"], name="export_event_job_idx")]

    def __str__(self) -> str:
        return f"{self.kind} on export {self.job_id}"
