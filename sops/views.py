"""SOP library, reader, editor, history, diff and coverage pages, and the checklist on a
ticket. Thin: forms in, one service or selector call, a page or fragment out."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from accounts.http import AuthenticatedRequest
from core import chrome
from sops import permissions, selectors, services
from sops.forms import (
    ChecklistTickForm,
    DraftForm,
    ImportForm,
    LibraryFilterForm,
    ReturnForm,
    SOPCreateForm,
    SOPSettingsForm,
    VersionActionForm,
)
from sops.markdown import SOPFileError, render_markdown
from sops.models import SOP, SOPVersion
from tickets import selectors as ticket_selectors
from tickets import timeline
from tickets.models import Macro, Ticket


def _editor(request: AuthenticatedRequest) -> None:
    if not permissions.can_edit_sops(request.user):
        raise Http404


# ------------------------------------------------------------------- library


@login_required
@require_GET
@vary_on_headers("HX-Request")
def library(request: AuthenticatedRequest) -> HttpResponse:
    form = LibraryFilterForm(request.GET)
    filters = form.filters()
    page = selectors.library_page(request.user, filters, form.cleaned_data.get("cursor") or "")
    params = request.GET.copy()
    params.pop("cursor", None)
    context = {
        "form": form, "page": page, "base_query": params.urlencode(),
        "queues": ticket_selectors.visible_queue_list(request.user),
        "choices": selectors.library_choices(),
        "can_edit": permissions.can_edit_sops(request.user),
        "asked_to_acknowledge": selectors.asked_to_acknowledge(request.user),
    }  # fmt: skip
    if request.htmx:
        return render(request, "sops/library.html#results", context)
    return render(request, "sops/library.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def create(request: AuthenticatedRequest) -> HttpResponse:
    _editor(request)
    form = SOPCreateForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            version = services.sop_create(
                actor=request.user, title=data["title"], summary=data["summary"],
                queues=data["queues"], categories=data["categories"], tags=data["tags"],
                languages=data["languages"], vendors=data["vendors"],
            )  # fmt: skip
        except services.SOPError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("SOP created. Write its first version."))
            return redirect("sops:edit", slug=version.sop.slug)
    return render(request, "sops/create.html", {"form": form, "import_form": ImportForm()},
                  status=400 if form.errors else 200)  # fmt: skip


@login_required
@require_POST
def import_file(request: AuthenticatedRequest) -> HttpResponse:
    _editor(request)
    form = ImportForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            version = services.sop_import(actor=request.user, raw=form.cleaned_data["file"].read())
        except (services.SOPError, SOPFileError) as exc:
            form.add_error("file", str(exc))
        else:
            messages.success(request, _("Imported as version %(n)d (a draft).")
                             % {"n": version.number})  # fmt: skip
            return redirect("sops:edit", slug=version.sop.slug)
    return render(request, "sops/create.html",
                  {"form": SOPCreateForm(user=request.user), "import_form": form},
                  status=400)  # fmt: skip


@login_required
@require_POST
def preview(request: AuthenticatedRequest) -> HttpResponse:
    """The editor's live preview: the Markdown as agents will see it, sanitised."""
    _editor(request)
    body = request.POST.get("body", "")[:100_000]
    return render(request, "sops/partials/preview.html", {"html": render_markdown(body)})


# -------------------------------------------------------------- reading


def _reader_context(request: AuthenticatedRequest, sop: SOP, version: SOPVersion | None) -> dict:
    user = request.user
    return {
        "sop": sop, "version": version,
        "steps": selectors.version_steps(version) if version else [],
        "macros": selectors.version_macros(version) if version else [],
        "open_version": selectors.open_version(sop) if permissions.can_edit_sops(user) else None,
        "acknowledged": bool(version and version.acknowledgements.filter(user=user).exists()),
        "asked_to_acknowledge": selectors.asked_to_acknowledge(user),
        "can_edit": permissions.can_edit_sops(user),
        "can_publish": permissions.can_publish_sops(user),
        "can_view_coverage": permissions.can_view_coverage(user),
    }  # fmt: skip


@login_required
@require_GET
def detail(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    sop = selectors.get_sop_for(request.user, slug)
    return render(request, "sops/detail.html", _reader_context(request, sop, sop.current_version))


@login_required
@require_GET
def version(request: AuthenticatedRequest, slug: str, number: int) -> HttpResponse:
    sop = selectors.get_sop_for(request.user, slug)
    shown = selectors.get_version_for(request.user, sop, number)
    return render(request, "sops/detail.html", _reader_context(request, sop, shown))


@login_required
@require_POST
def acknowledge(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    sop = selectors.get_sop_for(request.user, slug)
    form = VersionActionForm(request.POST)
    current = sop.current_version
    if current is None or not form.is_valid() or form.cleaned_data["version"] != current.number:
        messages.error(request, _("A newer version was published: read it, then acknowledge."))
        return redirect("sops:detail", slug=sop.slug)
    services.sop_acknowledge(actor=request.user, version=current)
    if request.htmx:
        # The acknowledgement box, and the banner without this SOP (out of band).
        context = {"sop": sop, "version": current, "acknowledged": True, "oob": True}
        html = render_to_string("sops/detail.html#acknowledgement", context, request)
        html += chrome.sop_banner_slot(
            request, selectors.pending_acknowledgements(request.user), oob=True
        )
        return HttpResponse(html)
    messages.success(request, _("Thank you: you acknowledged %(title)s, version %(n)d.")
                     % {"title": sop.title, "n": current.number})  # fmt: skip
    return redirect("sops:detail", slug=sop.slug)


@login_required
@require_GET
def history(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    sop = selectors.get_sop_for(request.user, slug)
    versions = list(selectors.visible_versions(request.user, sop).select_related("author"))
    events = selectors.sop_history(sop) if permissions.can_edit_sops(request.user) else []
    return render(request, "sops/history.html",
                  {"sop": sop, "versions": versions,
                   "entries": timeline.sop_entries(events)})  # fmt: skip


@login_required
@require_GET
def diff(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    sop = selectors.get_sop_for(request.user, slug)
    versions = list(selectors.visible_versions(request.user, sop).order_by("number"))
    if len(versions) < 2:
        messages.info(request, _("There is only one version: nothing to compare yet."))
        return redirect("sops:history", slug=sop.slug)
    by_number: dict[int | None, SOPVersion] = {v.number: v for v in versions}
    old = by_number.get(_int(request.GET.get("from")), versions[-2])
    new = by_number.get(_int(request.GET.get("to")), versions[-1])
    result = selectors.version_diff(old, new)
    return render(request, "sops/diff.html", {
        "sop": sop, "versions": versions, "diff": result,
        "sections": [(_("Procedure"), result.body), (_("Checklist"), result.steps)],
    })  # fmt: skip


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@login_required
@require_GET
def coverage(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    sop = selectors.get_sop_for(request.user, slug)
    if not permissions.can_view_coverage(request.user):
        raise Http404
    number = _int(request.GET.get("version"))
    shown = (selectors.get_version_for(request.user, sop, number) if number
             else sop.current_version)  # fmt: skip
    result = selectors.acknowledgement_coverage(request.user, sop, shown) if shown else None
    return render(request, "sops/coverage.html", {"sop": sop, "coverage": result})


@login_required
@require_GET
def export(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    sop = selectors.get_sop_for(request.user, slug)
    number = _int(request.GET.get("version"))
    shown = (selectors.get_version_for(request.user, sop, number) if number
             else sop.current_version or selectors.open_version(sop))  # fmt: skip
    if shown is None:
        raise Http404
    text = services.sop_file_text(shown)
    response = HttpResponse(text, content_type="text/markdown; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{sop.slug}-v{shown.number}.md"'
    return response


# -------------------------------------------------------------- writing


@login_required
@require_http_methods(["GET", "POST"])
def settings_page(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    sop = selectors.get_sop_for(request.user, slug)
    if not permissions.can_publish_sops(request.user):
        raise Http404
    initial = {
        "title": sop.title, "summary": sop.summary, "owner": sop.owner,
        "queues": list(sop.queues.all()), "categories": sop.categories, "tags": sop.tags,
        "languages": sop.languages, "vendors": list(sop.vendors.all()),
    }  # fmt: skip
    form = SOPSettingsForm(request.POST or None, initial=initial, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.sop_update_settings(actor=request.user, sop=sop, **form.cleaned_data)
        except services.SOPError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Settings saved."))
            return redirect("sops:detail", slug=sop.slug)
    return render(request, "sops/settings.html", {"sop": sop, "form": form},
                  status=400 if form.errors else 200)  # fmt: skip


@login_required
@require_POST
def start_draft(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    sop = selectors.get_sop_for(request.user, slug)
    try:
        services.sop_draft_start(actor=request.user, sop=sop)
    except services.SOPError as exc:
        messages.error(request, str(exc))
        return redirect("sops:detail", slug=sop.slug)
    return redirect("sops:edit", slug=sop.slug)


def _draft_initial(version: SOPVersion) -> dict:
    return {
        "revision": version.revision, "body": version.body,
        "steps": "\n".join(s.text for s in version.steps.all()),
        "macros": list(version.macros.all()), "change_summary": version.change_summary,
        "effective_on": version.effective_on,
        "requires_acknowledgement": version.requires_acknowledgement,
    }  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def edit(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    sop = selectors.get_sop_for(request.user, slug)
    _editor(request)
    draft = selectors.open_version(sop)
    if draft is None:
        messages.info(request, _("There is no draft. Start one from the version in force."))
        return redirect("sops:detail", slug=sop.slug)
    form = DraftForm(request.POST or None, initial=_draft_initial(draft), user=request.user)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        # Macros linked by someone who may see more queues stay linked.
        kept = selectors.linked_macros_out_of_reach(request.user, draft)
        try:
            services.sop_draft_save(
                actor=request.user, version=draft, expected_revision=data["revision"],
                body=data["body"], steps=form.step_list(), macros=[*data["macros"], *kept],
                change_summary=data["change_summary"], effective_on=data["effective_on"],
                requires_acknowledgement=data["requires_acknowledgement"],
            )  # fmt: skip
        except services.SOPConflict as exc:
            form.add_error(None, str(exc))
            status = 409
        except services.SOPError as exc:
            form.add_error(None, str(exc))
            status = 400
        else:
            messages.success(request, _("Draft saved."))
            return redirect("sops:edit", slug=sop.slug)
    elif form.errors:
        status = 400
    return render(request, "sops/edit.html", {
        "sop": sop, "draft": draft, "form": form,
        "last_return": draft.events.filter(kind="version_returned").select_related("actor").last(),
        "preview_html": render_markdown(form["body"].value() or ""),
        "can_publish": permissions.can_publish_sops(request.user),
    }, status=status)  # fmt: skip


def _version_action(
    request: AuthenticatedRequest, slug: str, action: Callable[[SOPVersion], object], done: str
) -> HttpResponse:
    sop = selectors.get_sop_for(request.user, slug)
    _editor(request)
    form = VersionActionForm(request.POST)
    target = selectors.open_version(sop)
    if not form.is_valid() or target is None or target.number != form.cleaned_data["version"]:
        messages.error(request, _("That version has moved on since you loaded the page."))
        return redirect("sops:detail", slug=sop.slug)
    try:
        action(target)
    except services.SOPError as exc:
        messages.error(request, str(exc))
        return redirect("sops:edit", slug=sop.slug)
    messages.success(request, done)
    return redirect("sops:detail" if target.state == SOPVersion.State.PUBLISHED else "sops:edit",
                    slug=sop.slug)  # fmt: skip


@login_required
@require_POST
def submit(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    return _version_action(
        request, slug, lambda v: services.sop_version_submit(actor=request.user, version=v),
        _("Sent for review."),
    )  # fmt: skip


@login_required
@require_POST
def return_to_draft(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    note = ReturnForm(request.POST).data.get("note", "")[:2000]
    return _version_action(
        request, slug,
        lambda v: services.sop_version_return(actor=request.user, version=v, note=note),
        _("Returned to draft."),
    )  # fmt: skip


@login_required
@require_POST
def publish(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    def _publish(version: SOPVersion) -> None:
        published = services.sop_version_publish(actor=request.user, version=version)
        version.state = published.state

    done = _("Published. Agents in its audience are asked to acknowledge it.")
    return _version_action(request, slug, _publish, done)


@login_required
@require_POST
def retire(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    sop = selectors.get_sop_for(request.user, slug)
    try:
        services.sop_retire(actor=request.user, sop=sop)
    except services.SOPError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Retired: it no longer applies to any ticket."))
    return redirect("sops:detail", slug=sop.slug)


# ------------------------------------------------------------ on a ticket


def ticket_panel_context(
    request: AuthenticatedRequest, ticket: Ticket, macros: list[Macro]
) -> dict:
    return {"ticket": ticket,
            "ticket_sops": selectors.sops_for_ticket(request.user, ticket, macros)}  # fmt: skip


@login_required
@require_POST
def ticket_checklist(request: AuthenticatedRequest, reference: str) -> HttpResponse:
    """Tick or untick a checklist step of an SOP that applies to the ticket."""
    ticket = ticket_selectors.get_ticket_for(request.user, reference)
    form = ChecklistTickForm(request.POST)
    macros = ticket_selectors.macros_for(ticket)
    context = ticket_panel_context(request, ticket, macros)
    status = 200
    if not form.is_valid():
        context["panel_error"], status = _("Choose a step."), 400
    else:
        step = next((row.step for item in context["ticket_sops"] for row in item.steps
                     if row.step.pk == form.cleaned_data["step"]), None)  # fmt: skip
        if step is None:
            raise Http404
        try:
            services.sop_step_tick(actor=request.user, ticket=ticket, step=step,
                                   done=form.cleaned_data["done"])  # fmt: skip
        except services.SOPError as exc:
            context["panel_error"], status = str(exc), 409
        context = {**context, **ticket_panel_context(request, ticket, macros)}
    if request.htmx:
        return render(request, "sops/partials/ticket_panel.html", context, status=status)
    if "panel_error" in context:
        messages.error(request, context["panel_error"])
    return redirect("tickets:detail", reference=ticket.reference)
