"""The agent's browser queue and ticket page (HTML and htmx fragments). Thin: forms in,
one service or selector call, a page or fragment out."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS
from django.http import FileResponse, Http404, HttpResponse, HttpResponseForbidden, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from accounts.http import AuthenticatedRequest
from accounts.models import User
from accounts.selectors import visible_teams, visible_users, visible_vendors
from core import config_cache
from core.errors import DomainError
from tickets import bulk as bulk_actions
from tickets import panels, presence, presenters, selectors, services, shields
from tickets import timeline as timeline_words
from tickets.forms import (
    BULK_STATUSES,
    BulkForm,
    QueueFilterForm,
    ReferenceForm,
    ReplyForm,
    SavedViewForm,
    SearchForm,
    TicketUpdateForm,
)
from tickets.models import Attachment, Channel, Macro, Priority, Queue, Status, Ticket
from tickets.services import saved_views

SAFE_INLINE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf"}


def _queue_context(
    request: AuthenticatedRequest, params: QueryDict, *, full_page: bool = True
) -> dict:
    """The queue page (or only its table, for htmx) for these query parameters."""
    user = request.user
    form = QueueFilterForm(params)
    filters = form.filters()
    page = selectors.queue_page(user, filters, cursor=form.cleaned_data.get("cursor", ""))
    query = params.copy()
    query.pop("cursor", None)
    context = {
        "filters": filters,
        "page": page,
        "rows_html": presenters.rows_html(
            presenters.queue_rows(page.rows), selectable=True, caption=_("Tickets in this view")
        ),
        "base_query": query.urlencode(),
        "is_first_page": not params.get("cursor"),
        "news": _news(request, page),
        "view_query": filters.as_query(),
        "back_url": f"{_url('tickets:queue')}?{params.urlencode()}",
    }
    if not full_page:
        return context
    narrowed = _narrowed(user, filters)
    facets = selectors.queue_facets(user)
    view_statuses = selectors.VIEW_STATUSES.get(filters.view, ())
    context.update({
        "form": form,
        "queues": selectors.visible_queue_list(user),
        "statuses": [(v, label) for v, label in Status.choices if v in view_statuses],
        "priorities": Priority.choices,
        "channels": Channel.choices,
        "sorts": [(sort, label) for sort, label in _sort_choices()
                  if filters.view != "any" or sort in selectors.ANY_SORTS],
        "narrowed": narrowed,
        "assignee_person": (
            visible_users(user).filter(pk=int(filters.assignee)).first()
            if filters.assignee.isdigit() else None),
        "unnarrowed_query": _unnarrowed(filters) if narrowed else "",
        "languages": _language_choices(facets.languages, filters.language),
        "tags": sorted({*facets.tags, *([filters.tag] if filters.tag else [])}),
        "bulk_people": list(selectors.bulk_assignees(user)[: selectors.MAX_BULK_ASSIGNEES]),
        "bulk_statuses": BULK_STATUSES,
        "bulk_extra": _bulk_extra(user),
        "can_share": bool((user.is_lead or user.is_admin) and user.team_id),
        "save_form": SavedViewForm(),
    })  # fmt: skip
    return context


_NARROWING = ("category", "team", "vendor", "created_from", "created_to", "solved_from",
              "solved_to")  # fmt: skip


def _narrowed(user: User, filters: selectors.QueueFilters) -> list[dict[str, str]]:
    """The filters a dashboard's number brought (not offered by the filter form): each
    as a hidden field to keep and a sentence to show."""
    found = []
    for name in _NARROWING:
        value = getattr(filters, name)
        if value in ("", None):
            continue
        if name == "category":
            text = _("Category: %(name)s") % {"name": value}
        elif name in ("team", "vendor"):
            scoped = visible_teams(user) if name == "team" else visible_vendors(user)
            label = scoped.filter(pk=value).values_list("name", flat=True).first() or value
            text = _("Assigned to someone in %(name)s") % {"name": label}
        else:
            words = {"created_from": _("Created from %(when)s"),
                     "created_to": _("Created before %(when)s"),
                     "solved_from": _("Solved from %(when)s"),
                     "solved_to": _("Solved before %(when)s")}  # fmt: skip
            text = words[name] % {"when": timeline_words.when(value)}
            value = value.isoformat()
        found.append({"name": name, "value": str(value), "text": text})
    return found


def _unnarrowed(filters: selectors.QueueFilters) -> str:
    """The same view without what a dashboard's number added."""
    plain = dataclasses.replace(
        filters, category="", team=None, vendor=None, created_from=None, created_to=None,
        solved_from=None, solved_to=None, view="all" if filters.view == "any" else filters.view,
    )  # fmt: skip
    return plain.as_query()


def _sort_choices() -> list[tuple[str, str]]:
    labels = {"urgency": _("Most urgent first"), "newest": _("Newest first"),
              "oldest": _("Oldest first"), "updated": _("Recently updated first")}  # fmt: skip
    return [(sort, labels[sort]) for sort in selectors.SORTS]


def _language_choices(codes: list[str], current: str) -> list[tuple[str, str]]:
    """The languages on offer, named in the viewer's language ("Spanish (es)")."""
    names = dict(settings.SKILL_LANGUAGES)
    codes = sorted({*codes, *([current] if current else [])})
    return [(code, _("%(name)s (%(code)s)") % {"name": names[code], "code": code}
             if code in names else code) for code in codes]  # fmt: skip


def _bulk_extra(user: User) -> list[dict]:
    """The actions other apps add to the bulk bar that this person may use, each with
    the targets its picker offers (tickets.bulk)."""
    offered = [
        {"action": action, "choices": action.choices(user)} for action in bulk_actions.registered()
    ]
    return [extra for extra in offered if extra["choices"]]


def _news(request: AuthenticatedRequest, page: selectors.Page) -> str:
    """On an automatic refresh, how many rows the browser did not show before: its script
    sends the references it shows (``X-Queue-Shown``); "" on any other request."""
    shown_header = request.headers.get("X-Queue-Shown")
    if shown_header is None or not request.htmx:
        return ""
    shown = {ref for ref in shown_header.split(",", 200)[:200] if len(ref) <= 16}
    new = sum(1 for row in page.rows if row.reference not in shown)
    if not new:
        return ""
    return ngettext("%(count)d new ticket", "%(count)d new tickets", new) % {"count": new}


@login_required
@require_GET
@vary_on_headers("HX-Request")
def queue(request: AuthenticatedRequest) -> HttpResponse:
    if request.htmx:
        context = _queue_context(request, request.GET, full_page=False)
        return render(request, "tickets/queue.html#queue-table", context)
    return render(request, "tickets/queue.html", _queue_context(request, request.GET))


@login_required
@require_GET
def sidebar_counts(request: AuthenticatedRequest) -> HttpResponse:
    context = {
        "counts": selectors.sidebar_counts(request.user),
        "queues": selectors.visible_queue_list(request.user),
        "current": request.GET.get("current", "")[:20],
        "query": request.GET.get("query", "")[:1000],
        "saved_views": selectors.saved_views_for(request.user),
    }
    return render(request, "tickets/partials/sidebar.html", context)


@login_required
@require_POST
def saved_view_create(request: AuthenticatedRequest) -> HttpResponse:
    """Save the queue as shown under a name; errors show next to the name on the page."""
    form = SavedViewForm(request.POST)
    if form.is_valid():
        try:
            view = saved_views.saved_view_create(
                actor=request.user, name=form.cleaned_data["name"], filters=form.filters(),
                share=form.cleaned_data["share"],
            )  # fmt: skip
        except services.TicketError as exc:
            form.add_error("name", str(exc))
        else:
            messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
            return redirect(f"{_url('tickets:queue')}?{view.query}")
    context = _queue_context(request, QueryDict(form.data.get("query", "")[:2000]))
    context["save_form"] = form
    return render(request, "tickets/queue.html", context, status=400)


@login_required
@require_GET
def saved_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    view = selectors.get_saved_view_for(request.user, pk)
    return redirect(f"{_url('tickets:queue')}?{view.query}")


@login_required
@require_POST
def saved_view_delete(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    view = selectors.get_saved_view_for(request.user, pk, own=True)
    try:
        saved_views.saved_view_delete(actor=request.user, view=view)
    except services.TicketError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Saved view “%(name)s” deleted.") % {"name": view.name})
    return redirect(_safe_next(request, _url("tickets:queue")))


@login_required
@require_POST
@config_cache.read_only_request()  # claiming writes no configuration: one version read
def next_ticket(request: AuthenticatedRequest) -> HttpResponse:
    return _open_next_ticket(request)


def _open_next_ticket(request: AuthenticatedRequest) -> HttpResponse:
    """Claim the most urgent waiting ticket and open it; back to the queue if none waits."""
    try:
        ticket = services.ticket_claim_next(agent=request.user)
    except services.TicketError as exc:
        # A rule refused ("you are on a break"): say why, on the queue.
        messages.warning(request, str(exc))
        target = "tickets:queue"
        return HttpResponseClientRedirect(_url(target)) if request.htmx else redirect(target)
    if ticket is None:
        messages.info(request, _("No unassigned ticket is waiting in your queues and languages."))
        target = "tickets:queue"
        return HttpResponseClientRedirect(_url(target)) if request.htmx else redirect(target)
    return redirect("tickets:detail", reference=ticket.reference)


def _url(name: str, **kwargs: str) -> str:
    from django.urls import reverse

    return reverse(name, kwargs=kwargs or None)


def _safe_next(request: AuthenticatedRequest, fallback: str) -> str:
    candidate = request.POST.get("next", "")
    # A path on this site only: anything else ("xxx") would be taken for a URL name.
    if candidate.startswith("/") and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return fallback


@login_required
@require_POST
def bulk(request: AuthenticatedRequest) -> HttpResponse:
    form = BulkForm(request.POST)
    back = _safe_next(request, _url("tickets:queue"))
    if not form.is_valid():
        for sentence in form.sentences():
            messages.error(request, sentence)
        return redirect(back)
    data, user = form.cleaned_data, request.user
    tickets = list(selectors.visible_tickets(user).filter(reference__in=data["refs"])
                   .defer("search_vector").order_by("reference"))  # fmt: skip
    extra = bulk_actions.get(data["action"])
    if extra is not None:
        try:
            messages.success(request, extra.apply(user, tickets, data[extra.name]))
        except DomainError as exc:
            messages.error(request, str(exc))
        return redirect(back)
    try:
        change = _bulk_change(user, data)
    except services.TicketError as exc:
        messages.error(request, str(exc))
        return redirect(back)
    done, failed = 0, []
    for ticket in tickets:
        try:
            change(ticket)
            done += 1
        except services.TicketError as exc:
            failed.append(_("%(reference)s: %(reason)s")
                          % {"reference": ticket.reference, "reason": exc})  # fmt: skip
    if done:
        messages.success(request, _("%(count)d ticket(s) updated.") % {"count": done})
    for failure in failed[:10]:
        messages.error(request, failure)
    if len(failed) > 10:
        more = len(failed) - 10
        messages.error(request, ngettext("%(count)d more ticket was not changed.",
                                         "%(count)d more tickets were not changed.", more)
                       % {"count": more})  # fmt: skip
    return redirect(back)


def _bulk_change(user: User, data: dict) -> Callable[[Ticket], object]:
    """The change to make to each selected ticket, its value checked once against what
    the person was offered; a TicketError (a sentence) when it was not offered."""
    action = data["action"]
    if action == "assign":
        choice = data["assignee"]
        assignee = user if choice == "me" else None
        if choice not in ("me", "none"):
            assignee = selectors.bulk_assignees(user).filter(pk=int(choice)).first()
            if assignee is None:
                raise services.TicketError(_("You cannot assign tickets to that person."))
        return lambda ticket: services.ticket_assign(actor=user, ticket=ticket, assignee=assignee)
    if action == "status":
        return lambda ticket: services.ticket_change_status(actor=user, ticket=ticket,
                                                            status=data["status"])  # fmt: skip
    if action == "priority":
        return lambda ticket: services.ticket_set_priority(actor=user, ticket=ticket,
                                                           priority=data["priority"])  # fmt: skip
    if action == "queue":
        target = selectors.visible_queues(user).filter(pk=data["queue"]).first()
        if target is None:
            raise services.TicketError(_("Choose one of the queues offered."))
        return lambda ticket: services.ticket_move_queue(actor=user, ticket=ticket, queue=target)
    return lambda ticket: services.ticket_add_tags(actor=user, ticket=ticket, tags=[data["tag"]])


def _assignee(user: User, value: str, queue: Queue) -> User:
    """'me', a user id or an email address, among the people who may work the queue."""
    if value == "me":
        return user
    agents = selectors.assignable_agents(user, queue)
    if value.isdigit():
        assignee = agents.filter(pk=int(value)).first()
    elif "@" in value:
        assignee = agents.filter(email__iexact=value.strip()).first()
    else:
        raise services.TicketError(_("Unknown assignee."))
    if assignee is None:
        raise services.TicketError(_("That person cannot work this queue."))
    return assignee


@login_required
@require_GET
def search(request: AuthenticatedRequest) -> HttpResponse:
    form = SearchForm(request.GET)
    text = form.cleaned_data["q"] if form.is_valid() else ""
    result = selectors.search_tickets(request.user, text) if text else None
    if result and result.exact and len(result.rows) == 1 and not request.htmx:
        return redirect("tickets:detail", reference=result.rows[0].reference)
    rows_html = ""
    if result:
        rows_html = presenters.rows_html(
            presenters.queue_rows(result.rows), selectable=False, caption=_("Search results"),
            empty_text=_("Nothing matches. Try fewer words."),
        )  # fmt: skip
    return render(request, "tickets/search.html",
                  {"form": form, "q": text, "result": result, "rows_html": rows_html})  # fmt: skip


# ---------------------------------------------------------------- ticket page


def ticket_page_context(request: AuthenticatedRequest, ticket: Ticket,
                        reply_form: ReplyForm | None = None,
                        new_messages: list[int] | None = None) -> dict:  # fmt: skip
    """Everything the ticket page shows, the panels other apps register included
    (tickets.panels); their views re-render the page with it when a form has errors."""
    user = request.user
    macros = selectors.macros_for(ticket)
    conversation = selectors.ticket_conversation(ticket)
    page = panels.PanelPage(request=request, user=user, ticket=ticket, macros=macros)
    return {
        **panels.page_context(page),
        "ticket": ticket,
        "conversation": conversation,
        "shield": shields.for_ticket(request, ticket),
        # The reply form names the newest message on screen (a newer one is shown first).
        "seen_message": max((m.pk for m in conversation), default=0),
        "new_messages": new_messages or [],
        "sla": presenters.sla_panel(selectors.ticket_sla_clocks(ticket)),
        "other_tickets": selectors.requester_other_tickets(user, ticket),
        "linked": selectors.linked_tickets(user, ticket),
        "macros": macros,
        "queues": selectors.visible_queue_list(user),
        "reply_form": reply_form or ReplyForm(),
        "update_form": TicketUpdateForm(
            initial={
                "status": ticket.status,
                "priority": ticket.priority,
                "queue": ticket.queue_id,
                "assignee": ticket.assignee.email if ticket.assignee else "",
                "tags": ", ".join(ticket.tags),
            }
        ),  # fmt: skip
        "statuses": Status.choices,
        "priorities": Priority.choices,
    }


@login_required
@require_GET
def detail(request: AuthenticatedRequest, reference: str) -> HttpResponse:
    ticket = selectors.get_ticket_for_page(request.user, reference)
    if ticket.merged_into_id:
        target = selectors.visible_tickets(request.user).filter(pk=ticket.merged_into_id).first()
        if target is not None:
            messages.info(request, _("%(ref)s was merged into %(into)s.") % {
                "ref": ticket.reference, "into": target.reference})  # fmt: skip
            return redirect("tickets:detail", reference=target.reference)
    return render(request, "tickets/ticket.html", ticket_page_context(request, ticket))


@login_required
@require_POST
@config_cache.read_only_request()  # nor does a reply (and the next ticket's claim)
def reply(request: AuthenticatedRequest, reference: str) -> HttpResponse:
    ticket = selectors.get_ticket_for(request.user, reference)
    form = ReplyForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        unseen = (selectors.messages_since(ticket, data["seen"], viewer=request.user)
                  if data["seen"] is not None else [])  # fmt: skip
        if unseen:
            return _show_new_messages(request, ticket, form, unseen)
        try:
            services.ticket_respond(
                actor=request.user,
                ticket=ticket,
                body=data["body"],
                internal=data["internal"],
                status=data["status"] or None,
                macro=_macro_for(ticket, data.get("macro")),
                files=request.FILES.getlist("files"),
            )
        except services.TicketError as exc:
            form.add_error(None, str(exc))
        else:
            presence.leave(ticket.pk, user_id=request.user.pk)
            done = (
                _("Internal note added.")
                if data["internal"]
                else _("Reply queued for sending to the requester.")
            )
            messages.success(request, done)
            if request.POST.get("then") == "next":  # "Send and next"
                return _open_next_ticket(request)
            return redirect("tickets:detail", reference=ticket.reference)
    ticket = selectors.get_ticket_for(request.user, reference)
    # Messages that came in meanwhile are marked here too: the page now counts them seen.
    seen = getattr(form, "cleaned_data", {}).get("seen")
    unseen = selectors.messages_since(ticket, seen, viewer=request.user) if seen else []
    return render(request, "tickets/ticket.html",
                  ticket_page_context(request, ticket, form, new_messages=unseen),
                  status=400)  # fmt: skip


def _show_new_messages(request: AuthenticatedRequest, ticket: Ticket, form: ReplyForm,
                       unseen: list[int]) -> HttpResponse:  # fmt: skip
    """Messages came in after the agent opened the page: nothing is sent. The page comes
    back with them marked and the draft kept; it now names them as seen, so pressing
    Send again sends."""
    ticket = selectors.get_ticket_for_page(request.user, ticket.reference)
    context = ticket_page_context(request, ticket, form, new_messages=unseen)
    context["files_dropped"] = bool(request.FILES)
    # A macro's preview note stays, saying what sending will also change.
    macro_id = form.cleaned_data.get("macro")
    context["macro"] = next((m for m in context["macros"] if m.pk == macro_id), None)
    return render(request, "tickets/ticket.html", context, status=409)


def _macro_for(ticket: Ticket, macro_id: int | None) -> Macro | None:
    if not macro_id:
        return None
    macro = next((m for m in selectors.macros_for(ticket) if m.pk == macro_id), None)
    if macro is None:
        raise services.TicketError(_("That macro is not available on this ticket."))
    return macro


@login_required
@require_POST
def macro_preview(request: AuthenticatedRequest, reference: str) -> HttpResponse:
    """Fill the composer with a macro's text for the agent to read and edit before sending."""
    ticket = selectors.get_ticket_for(request.user, reference)
    macro_id = request.POST.get("macro", "")
    if not (macro_id.isascii() and macro_id.isdigit() and len(macro_id) <= 12):
        raise Http404
    try:
        macro = _macro_for(ticket, int(macro_id))
    except services.TicketError as exc:
        # Not offered here (the ticket moved queue since the page was loaded, or a crafted
        # id): the composer says so instead of showing a preview.
        form = ReplyForm()
        form.errors[NON_FIELD_ERRORS] = form.error_class([str(exc)], error_class="nonfield")
        return render(request, "tickets/ticket.html#composer",
                      {"ticket": ticket, "reply_form": form,
                       "macros": selectors.macros_for(ticket)}, status=400)  # fmt: skip
    if macro is None:
        raise Http404
    form = ReplyForm(initial={
        "body": services.macro_render(macro, ticket=ticket, agent=request.user),
        "macro": macro.pk, "status": macro.set_status or "",
    })  # fmt: skip
    return render(request, "tickets/ticket.html#composer",
                  {"ticket": ticket, "reply_form": form, "macro": macro,
                   "macros": selectors.macros_for(ticket)})  # fmt: skip


@login_required
@require_POST
def update(request: AuthenticatedRequest, reference: str) -> HttpResponse:
    ticket = selectors.get_ticket_for(request.user, reference)
    form = TicketUpdateForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            messages.error(request, f"{form.fields[field].label if field in form.fields else ''}"
                                    f" {' '.join(str(e) for e in errors)}".strip())  # fmt: skip
        return redirect("tickets:detail", reference=ticket.reference)
    data, user = form.cleaned_data, request.user
    changes: dict = {
        "priority": data["priority"],
        "tags": [t for t in (part.strip() for part in data["tags"].split(",")) if t],
    }  # fmt: skip
    # The form comes filled in with the current values; a field left as it is changes
    # nothing. That matters for the status: assigning a new ticket opens it, and the
    # "New" still selected must not then undo the whole save.
    if data["status"] != ticket.status:
        changes["status"] = data["status"]
    try:
        queue = ticket.queue
        if data["queue"] != ticket.queue_id:
            moved_to = selectors.visible_queues(user).filter(pk=data["queue"]).first()
            if moved_to is None:
                raise services.TicketError(_("Unknown queue."))
            changes["queue"] = queue = moved_to
        # Left as filled in, the assignee changes only if a move unassigns them.
        assignee_value = (data["assignee"] or "none").strip().lower()
        current = ticket.assignee.email if ticket.assignee else "none"
        if assignee_value not in (current, str(ticket.assignee_id)):
            changes["assignee"] = None if assignee_value == "none" else _assignee(
                user, assignee_value, queue)  # fmt: skip
        services.ticket_update_properties(actor=user, ticket=ticket, **changes)
    except services.TicketError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Ticket updated."))
    return redirect("tickets:detail", reference=ticket.reference)


def _other_ticket(request: AuthenticatedRequest, missing: str) -> Ticket | None:
    """The ticket named in the form's reference field, if this person may see it;
    otherwise None, with the reason shown as a message."""
    form = ReferenceForm(request.POST)
    if not form.is_valid():
        messages.error(request, missing)
        return None
    try:
        return selectors.get_ticket_for(request.user, form.cleaned_data["reference"])
    except Http404:
        messages.error(request, _("No ticket %(ref)s that you can see.") % {
            "ref": form.cleaned_data["reference"]})  # fmt: skip
        return None


@login_required
@require_POST
def merge(request: AuthenticatedRequest, reference: str) -> HttpResponse:
    """Merging asks first: a page naming both tickets (and both requesters, with a box to
    tick, when they differ). Only its post, with ``confirm=1``, merges."""
    source = selectors.get_ticket_for(request.user, reference)
    target = _other_ticket(request, _("Enter the reference of the ticket to merge into."))
    if target is None:
        return redirect("tickets:detail", reference=source.reference)
    confirmed = request.POST.get("confirm") == "1"
    different = source.requester_id != target.requester_id
    agreed = request.POST.get("different_requesters") == "1"
    if not confirmed or (different and not agreed):
        error = _("Tick the box to confirm that you are merging the tickets of two different "
                  "people.") if confirmed else ""  # fmt: skip
        return render(request, "tickets/merge_confirm.html", {
            "source": source, "target": target, "different": different, "error": error,
        }, status=400 if error else 200)  # fmt: skip
    try:
        services.ticket_merge(actor=request.user, source=source, target=target,
                              confirm_different_requesters=agreed)  # fmt: skip
    except services.TicketError as exc:
        messages.error(request, str(exc))
        return redirect("tickets:detail", reference=source.reference)
    messages.success(request, _("%(ref)s was merged into this ticket.") % {"ref": source.reference})
    return redirect("tickets:detail", reference=target.reference)


@login_required
@require_POST
def link(request: AuthenticatedRequest, reference: str) -> HttpResponse:
    ticket = selectors.get_ticket_for(request.user, reference)
    other = _other_ticket(request, _("Enter the reference of the related ticket."))
    if other is not None:
        try:
            services.ticket_link(actor=request.user, ticket=ticket, other=other)
        except services.TicketError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Tickets linked."))
    return redirect("tickets:detail", reference=ticket.reference)


@login_required
@require_GET
def timeline(request: AuthenticatedRequest, reference: str) -> HttpResponse:
    ticket = selectors.get_ticket_for(request.user, reference)
    events = selectors.ticket_timeline(ticket)
    slugs = timeline_words.queue_slugs(events)
    # Names only of queues this person may see; the sentence says "another queue" otherwise.
    names = dict(selectors.visible_queues(request.user).filter(slug__in=slugs)
                 .values_list("slug", "name")) if slugs else {}  # fmt: skip
    return render(request, "tickets/partials/timeline.html", {
        "ticket": ticket, "entries": timeline_words.ticket_entries(events, queue_names=names),
    })  # fmt: skip


@login_required
@require_POST
def presence_ping(request: AuthenticatedRequest, reference: str) -> HttpResponse:
    ticket = selectors.get_ticket_for(request.user, reference)
    others = presence.touch(ticket.pk, user_id=request.user.pk,
                            name=request.user.get_short_name(),
                            state=request.POST.get("state", presence.VIEWING))  # fmt: skip
    return HttpResponse(presenters.presence_box(others))


@login_required
@require_GET
def attachment(request: AuthenticatedRequest, pk: int) -> HttpResponse | FileResponse:
    item = get_object_or_404(
        Attachment.objects.select_related("message"),
        pk=pk, message__ticket__in=selectors.visible_tickets(request.user),
    )  # fmt: skip
    if not shields.original_allowed(request, item):
        return HttpResponseForbidden(
            _("This file is shown protected: reveal it from the ticket page."),
            content_type="text/plain; charset=utf-8",
        )
    # Never let a browser render uploaded HTML/SVG/JS in our origin.
    inline = item.content_type in SAFE_INLINE_TYPES and request.GET.get("inline") == "1"
    response = FileResponse(
        item.file.open("rb"), as_attachment=not inline, filename=item.filename,
        content_type=item.content_type if inline else "application/octet-stream",
    )  # fmt: skip
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
