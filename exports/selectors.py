"""Reads of exports. A person sees only their own jobs: another's is 404 everywhere."""

from __future__ import annotations

from datetime import datetime
from typing import IO

from django.core.files.storage import default_storage
from django.db.models import Q
from django.http import Http404

from accounts.models import User
from core import cursors
from exports.models import ExportJob

PAGE_SIZE = 25
_CURSOR_SALT = "exports.jobs"


def jobs_page(user: User, cursor: str = "") -> tuple[list[ExportJob], str]:
    """One keyset page of the person's exports, newest first (one query), and the cursor
    of the next page ("" on the last)."""
    jobs = ExportJob.objects.filter(owner_id=user.pk).defer("params").order_by("-created_at", "-id")
    after = _after(cursor)
    if after is not None:
        created, pk = after
        jobs = jobs.filter(Q(created_at__lt=created) | Q(created_at=created, id__lt=pk))
    rows = list(jobs[: PAGE_SIZE + 1])
    if len(rows) <= PAGE_SIZE:
        return rows, ""
    last = rows[PAGE_SIZE - 1]
    return rows[:PAGE_SIZE], cursors.encode([last.created_at.isoformat(), last.pk],
                                            salt=_CURSOR_SALT)  # fmt: skip


def _after(cursor: str) -> tuple[datetime, int] | None:
    values = cursors.decode(cursor, salt=_CURSOR_SALT)
    if not values or len(values) != 2 or type(values[1]) is not int:
        return None
    try:
        return datetime.fromisoformat(values[0]), values[1]
    except (TypeError, ValueError):
        return None


def get_job_for(user: User, pk: int) -> ExportJob:
    """The person's own job; 404 for anyone else's (admins included: a file holds what
    its owner may see, and only they fetch it)."""
    job = ExportJob.objects.filter(pk=pk, owner_id=user.pk).first()
    if job is None:
        raise Http404
    return job


def open_file(job: ExportJob) -> IO[bytes]:
    """The finished file; FileNotFoundError when it is gone (expired meanwhile)."""
    if not job.file_name:
        raise FileNotFoundError(job.pk)
    return default_storage.open(job.file_name, "rb")
