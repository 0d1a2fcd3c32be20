"""The export pages: start one (the button other pages include), "My exports" with each
running job's progress polled by htmx, and the signed download. Thin: a form in, one
service or selector call, a page, a fragment or a file out."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import TooManyFieldsSent
from django.http import FileResponse, Http404, HttpResponse, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from accounts.http import AuthenticatedRequest
from exports import links, selectors, services, sources
from exports.forms import JobsPageForm, StartForm
from exports.models import ExportJob

State = ExportJob.State


@dataclass(frozen=True)
class JobRow:
    """One job as "My exports" shows it."""

    job: ExportJob
    title: str
    download_url: str  # "" unless its file can be fetched now


def _row(job: ExportJob) -> JobRow:
    source = sources.get(job.source)
    ready = job.state == State.DONE and job.expires_at is not None and (
        job.expires_at > timezone.now())  # fmt: skip
    return JobRow(job=job, title=str(source.title) if source else job.source,
                  download_url=links.url(job) if ready else "")  # fmt: skip


def _jobs_context(request: AuthenticatedRequest) -> dict:
    form = JobsPageForm(request.GET)
    cursor = form.cleaned_data.get("after", "") if form.is_valid() else ""
    jobs, next_cursor = selectors.jobs_page(request.user, cursor)
    return {"rows": [_row(job) for job in jobs], "next_cursor": next_cursor,
            "is_first_page": not cursor}  # fmt: skip


@login_required
@require_GET
@vary_on_headers("HX-Request")
def jobs(request: AuthenticatedRequest) -> HttpResponse:
    template = "exports/jobs.html#jobs-table" if request.htmx else "exports/jobs.html"
    return render(request, template, _jobs_context(request))


@login_required
@require_GET
def job(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """One row of "My exports", polled while its job is queued or running."""
    row = _row(selectors.get_job_for(request.user, pk))
    return render(request, "exports/jobs.html#job-row", {"row": row})


@login_required
@require_POST
def start(request: AuthenticatedRequest) -> HttpResponse:
    form = StartForm(request.POST)
    if not form.is_valid():
        return _refused(request, _("Choose a table to export from its page."))
    data = form.cleaned_data
    try:
        params = QueryDict(data["params"])
    except TooManyFieldsSent:
        return _refused(request, _("Those filters cannot be read: there are too many."))
    try:
        services.export_start(
            actor=request.user, source_key=data["source"], params=params,
            language=translation.get_language() or "",
            time_zone=timezone.get_current_timezone_name(),
        )  # fmt: skip
    except services.ExportError as exc:
        return _refused(request, str(exc), status=exc.status)
    messages.success(request, _("Your export has started. It is listed below, and its "
                                "download link appears here when it is ready."))  # fmt: skip
    return redirect("exports:list")


def _refused(request: AuthenticatedRequest, sentence: str, status: int = 400) -> HttpResponse:
    """ "My exports" with the reason the export was not started, in a sentence."""
    context = {**_jobs_context(request), "error": sentence}
    return render(request, "exports/jobs.html", context, status=status)


@login_required
@require_GET
def download(request: AuthenticatedRequest, token: str) -> HttpResponseBase:
    """The file, for its owner, signed in, holding a link younger than the export's
    lifetime. Another person's link is 404 (it does not say whether it exists); an
    expired link or export is 410 with a page that says so."""
    link = links.read(token)
    if link is None or link.owner_id != request.user.pk:
        raise Http404
    job = selectors.get_job_for(request.user, link.job_id)
    if job.state not in (State.DONE, State.EXPIRED):
        raise Http404
    if not link.fresh or job.state == State.EXPIRED or (
            job.expires_at is None or job.expires_at <= timezone.now()):  # fmt: skip
        return _gone(request, job)
    try:
        handle = selectors.open_file(job)
    except FileNotFoundError:
        return _gone(request, job)
    services.export_downloaded(actor=request.user, job=job)
    source = sources.get(job.source)
    stamp = timezone.localtime(job.created_at).strftime("%Y-%m-%d-%H%M")
    extension = source.extension if source else "csv"
    name = f"{(source.filename if source else '') or job.source}-{stamp}.{extension}"
    content_type = source.content_type if source else "text/csv; charset=utf-8"
    response = FileResponse(handle, as_attachment=True, filename=name,
                            content_type=content_type)  # fmt: skip
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


def _gone(request: AuthenticatedRequest, job: ExportJob) -> HttpResponse:
    return render(request, "exports/expired.html", {"row": _row(job)}, status=410)
