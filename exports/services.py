"""Every write to exports: starting one (audited), the worker's run, a download (audited)
and the sweep that expires files and settles jobs a worker lost.

A job moves queued → running → done or failed → expired, each move a conditional update
(``filter(state=old).update(...)``), so a task delivered twice, or a sweep racing a
worker, changes it once.
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
import secrets
import tempfile
from collections.abc import Iterable
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal
from functools import partial
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.http import QueryDict
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import User
from core.errors import Conflict, DomainError
from exports import sources
from exports.models import ExportEvent, ExportJob
from exports.sources import ExportError

State = ExportJob.State
Kind = ExportEvent.Kind
UNFINISHED = (State.QUEUED, State.RUNNING)
SWEEP_BATCH = 500
logger = logging.getLogger(__name__)

__all__ = ["ExportBusy", "ExportError", "export_downloaded", "export_run", "export_start",
           "exports_sweep"]  # fmt: skip


class ExportBusy(Conflict, ExportError):
    """The person already has as many exports in the making as allowed (HTTP 409)."""


def expiry() -> timedelta:
    """How long a finished export (its file, and its download links) is kept."""
    return timedelta(hours=settings.EXPORT_EXPIRY_HOURS)


def _event(job: ExportJob, actor: User | None, kind: str, **detail: object) -> ExportEvent:
    return ExportEvent.objects.create(job=job, actor=actor, kind=kind, detail=detail)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):  # unknown, empty, or a path
        return ZoneInfo("UTC")


# ------------------------------------------------------------------------ start


def export_start(*, actor: User, source_key: str, params: QueryDict, language: str,
                 time_zone: str) -> ExportJob:  # fmt: skip
    """Queue an export of a registered source with the page's parameters, for a worker to
    build. The parameters are checked now (a sentence, never a failed job later); the
    rows are read by the worker, through the source's scoping, as the person then may
    see them."""
    source = sources.get(source_key)
    if source is None or not (actor.is_active and source.offered_to(actor)):
        raise ExportError(_("There is no export called “%(name)s”.") % {"name": source_key[:64]})
    parsed = source.parse(params)
    languages = dict(settings.LANGUAGES)
    with transaction.atomic():
        # The person's row serialises their starts: two at once cannot both pass the limit.
        User.objects.select_for_update().only("id").get(pk=actor.pk)
        unfinished = ExportJob.objects.filter(owner=actor, state__in=UNFINISHED).count()
        limit = settings.EXPORT_MAX_UNFINISHED
        if unfinished >= limit:
            raise ExportBusy(ngettext(
                "You already have %(count)d export in the making; wait for it to finish.",
                "You already have %(count)d exports in the making; wait for one to finish.",
                unfinished) % {"count": unfinished})  # fmt: skip
        job = ExportJob.objects.create(
            owner=actor, source=source.key, params=parsed,
            language=language if language in languages else settings.LANGUAGE_CODE,
            time_zone=_zone(time_zone).key,
        )  # fmt: skip
        _event(job, actor, Kind.STARTED, source=source.key, params=parsed)
        transaction.on_commit(partial(_hand_over, [job.pk]))
    return job


def _hand_over(job_ids: Iterable[int]) -> None:
    from exports.tasks import run_export  # the tasks import this module

    for job_id in job_ids:
        try:
            run_export.delay(job_id)
        except Exception:  # the broker is down: the sweep hands the job over again
            logger.warning("Export %s could not be handed to a worker", job_id, exc_info=True)


# -------------------------------------------------------------------------- run


class _Abandoned(Exception):
    """The sweep settled the job while this worker was still writing it."""


def export_run(job_id: int) -> str:
    """Build the job's file (the worker's task). Claims the job first, so a second
    delivery does nothing; returns the state it left the job in, or "skipped"."""
    claimed = ExportJob.objects.filter(pk=job_id, state=State.QUEUED).update(
        state=State.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return "skipped"
    job = ExportJob.objects.select_related("owner").get(pk=job_id)
    zone = _zone(job.time_zone)
    with translation.override(job.language), timezone.override(zone):
        try:
            name, rows, size = _write(job, zone)
        except _Abandoned:
            return "abandoned"
        except Exception as exc:
            return _fail(job, _failure_sentence(job, exc))
        return _finish(job, name, rows, size)


def _write(job: ExportJob, zone: tzinfo) -> tuple[str, int, int]:
    """Write the CSV to a temporary file, then copy it into the default storage under a
    random name. Progress is saved every EXPORT_PROGRESS_ROWS rows, each in its own
    short transaction (autocommit), so the person's page sees it move."""
    source = sources.get(job.source)
    owner = job.owner
    if source is None or not (owner.is_active and source.offered_to(owner)):
        raise ExportError(_("This export is no longer offered to you."))
    limit = settings.EXPORT_MAX_ROWS
    too_many = _("This export would hold more than %(limit)s rows; narrow the filters.") % {
        "limit": formats.number_format(limit, force_grouping=True)}  # fmt: skip
    if source.count is not None:
        expected = source.count(owner, job.params)
        _progress(job.pk, rows_expected=expected)
        if expected > limit:
            raise ExportError(too_many)
    if source.writer is not None:
        return _write_file(job, source)
    every = max(1, settings.EXPORT_PROGRESS_ROWS)
    cells = _Cells(zone)
    with tempfile.TemporaryFile() as raw:
        # The byte-order mark tells spreadsheets the file is UTF-8 (Arabic, Japanese and
        # every accented name would otherwise come out garbled).
        raw.write(codecs.BOM_UTF8)
        # Rows are written to a small text buffer, encoded into the file a batch at a
        # time (a text wrapper over the file encoded row by row, a fifth of the time).
        buffer = io.StringIO(newline="")
        writer = csv.writer(buffer)
        writer.writerow(cells.row(source.header_for(owner, job.params)))
        done = 0
        for row in source.rows(owner, job.params):
            if done == limit:
                raise ExportError(too_many)
            writer.writerow(cells.row(row))
            done += 1
            if done % every == 0:
                raw.write(buffer.getvalue().encode())
                buffer.seek(0)
                buffer.truncate()
                _progress(job.pk, rows_done=done)
        raw.write(buffer.getvalue().encode())
        size = raw.tell()
        raw.seek(0)
        name = default_storage.save(f"exports/{secrets.token_urlsafe(24)}.csv",
                                    File(raw, name="export.csv"))  # fmt: skip
    return name, done, size


def _write_file(job: ExportJob, source: sources.ExportSource) -> tuple[str, int, int]:
    """A source's own file (not a CSV), written by its writer into a temporary file."""
    writer = source.writer
    if writer is None:
        raise ExportError(_("This export is no longer offered to you."))

    def progress(done: int, expected: int | None) -> None:
        values = {"rows_done": done}
        if expected is not None:
            values["rows_expected"] = expected
        _progress(job.pk, **values)

    with tempfile.TemporaryFile() as raw:
        done = writer(job.owner, job.params, raw, progress)
        size = raw.tell()
        raw.seek(0)
        name = default_storage.save(
            f"exports/{secrets.token_urlsafe(24)}.{source.extension}",
            File(raw, name=f"export.{source.extension}"),
        )
    return name, done, size


def _progress(job_id: int, **values: int) -> None:
    if not ExportJob.objects.filter(pk=job_id, state=State.RUNNING).update(**values):
        raise _Abandoned


# Text a spreadsheet would run as a formula (CSV injection): such cells get a leading
# apostrophe, which spreadsheets show as text and do not display.
_FORMULA_START = frozenset("=+-@\t\r")


class _Cells:
    """Values as CSV cells, in the person's time zone and language (made once per run)."""

    def __init__(self, zone: tzinfo) -> None:
        self.zone = zone
        self.yes, self.no = _("Yes"), _("No")

    def row(self, values: Iterable[object]) -> list[object]:
        # Plain text, most cells, without a call each (100,000 rows of 15 cells).
        formula = _FORMULA_START
        return [(f"'{value}" if value[:1] in formula else value) if type(value) is str
                else self.cell(value) for value in values]  # fmt: skip

    def cell(self, value: object) -> object:
        if value is None:
            return ""
        if isinstance(value, bool):
            return self.yes if value else self.no
        if isinstance(value, int | float | Decimal):
            return value
        if isinstance(value, datetime):
            if timezone.is_aware(value):
                value = value.astimezone(self.zone)
            return value.strftime("%Y-%m-%d %H:%M:%S")
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, list | tuple):
            return self.row([", ".join(str(item) for item in value)])[0]
        return self.row([str(value)])[0]  # lazy translations, choices, anything else


def csv_text(header: Iterable[object], rows: Iterable[Iterable[object]], *, zone: tzinfo) -> str:
    """A small table as CSV text with the byte-order mark, its cells written as an
    export writes them (a report's attachment; an export of any size goes through
    ``export_start``)."""
    cells = _Cells(zone)
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(cells.row(header))
    writer.writerows(cells.row(row) for row in rows)
    return codecs.BOM_UTF8.decode() + buffer.getvalue()


def _finish(job: ExportJob, name: str, rows: int, size: int) -> str:
    now = timezone.now()
    with transaction.atomic():
        finished = ExportJob.objects.filter(pk=job.pk, state=State.RUNNING).update(
            state=State.DONE, file_name=name, file_size=size, rows_done=rows,
            rows_expected=rows, finished_at=now, expires_at=now + expiry(),
        )  # fmt: skip
        if finished:
            _event(job, None, Kind.DONE, rows=rows, size=size)
    if not finished:  # settled by the sweep meanwhile: nobody will fetch this file
        _delete_files([name])
        return "abandoned"
    return State.DONE


def _fail(job: ExportJob, sentence: str) -> str:
    now = timezone.now()
    with transaction.atomic():
        failed = ExportJob.objects.filter(pk=job.pk, state=State.RUNNING).update(
            state=State.FAILED, error=sentence[:500], finished_at=now, expires_at=now + expiry()
        )
        if failed:
            _event(job, None, Kind.FAILED, error=sentence)
    return State.FAILED if failed else "abandoned"


def _failure_sentence(job: ExportJob, exc: Exception) -> str:
    """What the person reads (in their language: the run is under it)."""
    if isinstance(exc, DomainError):
        return str(exc)
    if isinstance(exc, SoftTimeLimitExceeded):
        return _("The export took too long and was stopped. Narrow the filters and try again.")
    logger.exception("Export %s failed", job.pk)
    return _("The export failed because of an error on our side. Try again; if it fails "
             "again, tell an administrator.")  # fmt: skip


# --------------------------------------------------------------------- download


def export_downloaded(*, actor: User, job: ExportJob) -> ExportEvent:
    """Record that the owner fetched the file (the audit trail of who took what)."""
    return _event(job, actor, Kind.DOWNLOADED)


# ------------------------------------------------------------------------ sweep


def exports_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Beat's sweep: expire finished jobs past their time (their files deleted after
    commit), fail jobs whose worker stopped mid-run, and hand over again jobs whose
    hand-over was lost (the broker down at commit). Safe to run twice, or at once."""
    now = now or timezone.now()
    return {"expired": _expire_due(now), "stale": _fail_stale(now), "lost": _hand_over_lost(now)}


def _expire_due(now: datetime) -> int:
    total = 0
    while True:
        with transaction.atomic():
            jobs = list(
                ExportJob.objects.select_for_update(skip_locked=True)
                .filter(state__in=[State.DONE, State.FAILED], expires_at__lte=now)
                .only("id", "file_name")
                .order_by("expires_at", "id")[:SWEEP_BATCH]
            )
            if not jobs:
                return total
            ExportJob.objects.filter(pk__in=[job.pk for job in jobs]).update(
                state=State.EXPIRED, file_name=""
            )
            ExportEvent.objects.bulk_create(ExportEvent(job=job, kind=Kind.EXPIRED) for job in jobs)
            names = [job.file_name for job in jobs if job.file_name]
            # After commit: a rollback must not leave a "done" job without its file.
            transaction.on_commit(partial(_delete_files, names))
        total += len(jobs)
        if len(jobs) < SWEEP_BATCH:
            return total


def _delete_files(names: list[str]) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except OSError:
            logger.warning("Export file %s could not be deleted", name, exc_info=True)


def _fail_stale(now: datetime) -> int:
    """Jobs still "running" longer than any task may run: their worker was killed."""
    cutoff = now - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)
    with transaction.atomic():
        jobs = list(
            ExportJob.objects.select_for_update(skip_locked=True)
            .filter(state=State.RUNNING, started_at__lt=cutoff)
            .only("id", "language")[:SWEEP_BATCH]
        )
        for job in jobs:
            with translation.override(job.language):
                sentence = _("The export stopped before it finished (its worker was stopped). "
                             "Start it again.")  # fmt: skip
            ExportJob.objects.filter(pk=job.pk).update(
                state=State.FAILED, error=sentence, finished_at=now, expires_at=now + expiry()
            )
            _event(job, None, Kind.FAILED, error=sentence, stale=True)
    return len(jobs)


def _hand_over_lost(now: datetime) -> int:
    cutoff = now - timedelta(seconds=settings.EXPORT_REQUEUE_SECONDS)
    with transaction.atomic():
        lost = list(
            ExportJob.objects.select_for_update(skip_locked=True)
            .filter(state=State.QUEUED, enqueued_at__lt=cutoff)
            .values_list("id", flat=True)[:SWEEP_BATCH]
        )
        if lost:
            ExportJob.objects.filter(pk__in=lost).update(enqueued_at=now)
            transaction.on_commit(partial(_hand_over, lost))
    return len(lost)
