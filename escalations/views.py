"""The escalation board, escalation and incident pages, on-call and page acknowledgement,
and the escalate form on a ticket. Thin: forms in, one service or selector, out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.forms import ModelChoiceField
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from accounts.http import AuthenticatedRequest
from accounts.models import User
from escalations import selectors, services
from escalations.forms import (
    AddTicketsForm,
    AssignForm,
    BoardFilterForm,
    IncidentCommentForm,
    IncidentForm,
    IncidentUpdateForm,
    NoteForm,
    RaiseForm,
    TrackerForm,
)
from escalations.models import Escalation, EscalationReason, Incident
from tickets import selectors as ticket_selectors
from tickets.views import ticket_page_context

# ------------------------------------------------------------ on a ticket


@login_required
@require_POST
def raise_escalation(request: AuthenticatedRequest, reference: str) -> HttpResponse:
    ticket = ticket_selectors.get_ticket_for(request.user, reference)
    form = RaiseForm(request.POST)
    if not form.is_valid():
        # The ticket page again, the escalate form open with each error by its field.
        context = {**ticket_page_context(request, ticket), "escalate_form": form,
                   "escalate_open": True}  # fmt: skip
        return render(request, "tickets/ticket.html", context, status=400)
    reason = EscalationReason.objects.filter(pk=form.cleaned_data["reason"]).first()
    try:
        if reason is None:
            raise services.EscalationError(_("Choose a reason."))
        escalation = services.escalation_raise(
            actor=request.user, ticket=ticket, reason=reason,
            severity=form.cleaned_data["severity"], summary=form.cleaned_data["summary"],
        )  # fmt: skip
    except services.EscalationError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Escalated to %(team)s.") % {
            "team": escalation.target_team.name})  # fmt: skip
    return redirect("tickets:detail", reference=ticket.reference)


# -------------------------------------------------------------------- board


def _board_context(request: AuthenticatedRequest, query: QueryDict) -> dict:
    form = BoardFilterForm(query, user=request.user)
    filters = form.filters()
    columns = selectors.board(request.user, filters)
    selectors.attach_assignable(request.user, [c for col in columns for c in col.cards])
    return {
        "form": form, "filters": filters, "now": timezone.now(),
        "columns": columns,
        "teams": cast(ModelChoiceField, form.fields["team"]).queryset,
        "vendors": cast(ModelChoiceField, form.fields["vendor"]).queryset,
        "filter_query": query.urlencode(),
    }  # fmt: skip


@login_required
@require_GET
@vary_on_headers("HX-Request")
def board(request: AuthenticatedRequest) -> HttpResponse:
    context = _board_context(request, request.GET)
    if request.htmx:
        return render(request, "escalations/board.html#board", context)
    context["pages"] = selectors.open_pages(request.user)
    return render(request, "escalations/board.html", context)


@login_required
@require_GET
def detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    escalation = selectors.get_escalation_for(request.user, pk)
    user = request.user
    return render(request, "escalations/detail.html", {
        "escalation": escalation, "notes": escalation.notes.select_related("author"),
        "can_act": selectors.in_target_team(user, escalation),
        "members": selectors.team_members(escalation.target_team_id),
    })  # fmt: skip


def _text(request: AuthenticatedRequest) -> str:
    form = NoteForm(request.POST)
    return form.cleaned_data["body"] if form.is_valid() else ""


def _owner(request: AuthenticatedRequest, escalation: Escalation) -> User:
    form = AssignForm(request.POST)
    owner = User.objects.filter(pk=form.cleaned_data["owner"]).first() if form.is_valid() else None
    if owner is None:
        raise services.EscalationError(_("Choose who should own it."))
    return owner


ACTIONS: dict[str, Callable[[AuthenticatedRequest, Escalation], object]] = {
    "accept": lambda r, e: services.escalation_accept(actor=r.user, escalation=e),
    "assign": lambda r, e: services.escalation_assign(actor=r.user, escalation=e,
                                                      owner=_owner(r, e)),
    "start": lambda r, e: services.escalation_start(actor=r.user, escalation=e),
    "return": lambda r, e: services.escalation_return(actor=r.user, escalation=e,
                                                      note=_text(r)),
    "resolve": lambda r, e: services.escalation_resolve(actor=r.user, escalation=e,
                                                        outcome=_text(r)),
    "reject": lambda r, e: services.escalation_reject(actor=r.user, escalation=e,
                                                      note=_text(r)),
    "note": lambda r, e: services.escalation_note_add(actor=r.user, escalation=e,
                                                      body=_text(r)),
}  # fmt: skip


@login_required
@require_POST
def act(request: AuthenticatedRequest, pk: int, action: str) -> HttpResponse:
    escalation = selectors.get_escalation_for(request.user, pk)
    if action not in ACTIONS:
        raise Http404
    error = ""
    try:
        ACTIONS[action](request, escalation)
    except services.EscalationError as exc:
        error = str(exc)
    if request.htmx:
        # The board re-renders in place with the filters it was showing.
        context = _board_context(request, QueryDict(request.POST.get("filters", "")))
        context["board_error"] = error
        return render(request, "escalations/board.html#board", context,
                      status=409 if error else 200)  # fmt: skip
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("Escalation updated."))
    return redirect("escalations:detail", pk=escalation.pk)


# --------------------------------------------------------------- incidents


@login_required
@require_GET
def incidents(request: AuthenticatedRequest) -> HttpResponse:
    show_all = request.GET.get("all") == "1"
    return render(request, "escalations/incidents.html", {
        "incidents": selectors.incident_list(request.user, open_only=not show_all),
        "show_all": show_all, "can_manage": selectors.can_manage_incidents(request.user),
    })  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def incident_new(request: AuthenticatedRequest) -> HttpResponse:
    if not selectors.can_manage_incidents(request.user):
        raise Http404
    form = IncidentForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            incident = services.incident_open(
                actor=request.user, title=data["title"], severity=data["severity"],
                team=data["team"], commander=data["commander"] or request.user,
                tracker_key=data["tracker_key"], tracker_url=data["tracker_url"],
            )  # fmt: skip
        except services.EscalationError as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("escalations:incident", pk=incident.pk)
    return render(request, "escalations/incident_new.html", {"form": form},
                  status=400 if form.errors else 200)  # fmt: skip


def _incident_context(request: AuthenticatedRequest, incident: Incident, **extra: Any) -> dict:
    can_manage = selectors.can_manage_incidents(request.user)
    context = {
        "incident": incident,
        "tickets": selectors.incident_tickets(request.user, incident),
        "updates": incident.updates.select_related("author")[:100],
        "can_manage": can_manage,
        "pages": incident.pages.select_related("target").order_by("-created_at")[:10],
        **extra,
    }  # fmt: skip
    if can_manage:
        context.setdefault("update_form", IncidentUpdateForm(
            initial={"status": incident.status}, user=request.user))  # fmt: skip
    else:
        context.setdefault("comment_form", IncidentCommentForm())
    return context


@login_required
@require_GET
def incident(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    found = selectors.get_incident_for(request.user, pk)
    q = request.GET.get("q", "").strip()[:200]
    results = []
    if q and selectors.can_manage_incidents(request.user):
        results = ticket_selectors.search_tickets(request.user, q).rows
    return render(request, "escalations/incident.html",
                  _incident_context(request, found, q=q, results=results))  # fmt: skip


def _manage(request: AuthenticatedRequest, pk: int) -> Incident:
    found = selectors.get_incident_for(request.user, pk)
    if not selectors.can_manage_incidents(request.user):
        raise Http404
    return found


def _preview(request: AuthenticatedRequest, incident: Incident, form: IncidentUpdateForm, *,
             status: int = 200) -> HttpResponse:  # fmt: skip
    """What "send to every linked requester" will do, with a button that sends it."""
    data = form.cleaned_data
    plan = selectors.incident_reply_plan(request.user, incident, body=data["body"],
                                         macro=data["macro"])  # fmt: skip
    return render(request, "escalations/incident.html",
                  _incident_context(request, incident, update_form=form, preview=plan),
                  status=status)  # fmt: skip


@login_required
@require_POST
def incident_update(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    found = _manage(request, pk)
    form = IncidentUpdateForm(request.POST, user=request.user)
    if not form.is_valid():
        return render(request, "escalations/incident.html",
                      _incident_context(request, found, update_form=form), status=400)  # fmt: skip
    data = form.cleaned_data
    if data["notify_requesters"] and not data["confirm"]:
        return _preview(request, found, form)
    try:
        update = services.incident_post_update(
            actor=request.user, incident=found, body=data["body"], status=data["status"],
            notify_requesters=data["notify_requesters"], macro=data["macro"],
            expected_plan=data["plan"] if data["notify_requesters"] else "",
        )  # fmt: skip
    except services.EscalationConflict as exc:
        form.add_error(None, str(exc))
        return _preview(request, found, form, status=409)
    except services.EscalationError as exc:
        form.add_error(None, str(exc))
        return render(request, "escalations/incident.html",
                      _incident_context(request, found, update_form=form), status=400)  # fmt: skip
    if update.sent_to:
        messages.success(request, _("Update posted and queued as a reply to %(n)d requester(s).")
                         % {"n": update.sent_to})  # fmt: skip
    else:
        messages.success(request, _("Update posted."))
    return redirect("escalations:incident", pk=found.pk)


@login_required
@require_POST
def incident_comment(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """A comment on the timeline, from anyone who may see the incident."""
    found = selectors.get_incident_for(request.user, pk)
    form = IncidentCommentForm(request.POST)
    if form.is_valid():
        try:
            services.incident_comment(actor=request.user, incident=found,
                                      body=form.cleaned_data["body"])  # fmt: skip
        except services.EscalationError as exc:
            form.add_error("body", str(exc))
        else:
            messages.success(request, _("Comment added."))
            return redirect("escalations:incident", pk=found.pk)
    return render(request, "escalations/incident.html",
                  _incident_context(request, found, comment_form=form), status=400)  # fmt: skip


@login_required
@require_POST
def incident_tickets(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Link tickets by reference (typed, or ticked in search results)."""
    found = _manage(request, pk)
    form = AddTicketsForm(request.POST)
    refs = form.references() + [r.upper() for r in request.POST.getlist("ref")][:500]
    tickets = list(ticket_selectors.visible_tickets(request.user).filter(reference__in=refs))
    added = services.incident_add_tickets(actor=request.user, incident=found, tickets=tickets)
    missing = sorted(set(refs) - {t.reference for t in tickets})
    messages.success(request, _("%(n)d ticket(s) linked.") % {"n": added})
    if missing:
        messages.error(request, _("No ticket you can see: %(refs)s") % {"refs": ", ".join(missing)})
    return redirect("escalations:incident", pk=found.pk)


@login_required
@require_POST
def incident_unlink(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    found = _manage(request, pk)
    ticket = ticket_selectors.get_ticket_for(request.user, request.POST.get("ref", ""))
    services.incident_remove_ticket(actor=request.user, incident=found, ticket=ticket)
    return redirect("escalations:incident", pk=found.pk)


@login_required
@require_POST
def incident_tracker(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    found = _manage(request, pk)
    form = TrackerForm(request.POST)
    try:
        if not form.is_valid():
            raise services.EscalationError(_("The bug tracker key or link is too long."))
        services.incident_set_tracker(actor=request.user, incident=found,
                                      key=form.cleaned_data["tracker_key"],
                                      url=form.cleaned_data["tracker_url"])  # fmt: skip
    except services.EscalationError as exc:
        messages.error(request, str(exc))
    return redirect("escalations:incident", pk=found.pk)


# ------------------------------------------------------------------ on-call


@login_required
@require_GET
def on_call(request: AuthenticatedRequest) -> HttpResponse:
    context = {
        "rotations": selectors.on_call_now(request.user),
        "pages": selectors.open_pages(request.user),
    }
    return render(request, "escalations/oncall.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def page(request: AuthenticatedRequest, token: str) -> HttpResponse:
    """The link in a page: anyone signed in who holds it may acknowledge it."""
    found = selectors.get_page_by_token(token)
    if request.method == "POST":
        services.page_acknowledge(actor=request.user, page=found)
        messages.success(request, _("Page acknowledged: you have it."))
        return redirect("escalations:page", token=token)
    # The summary names the ticket or incident: shown only to those who may see it.
    show_subject = selectors.page_subject_visible(request.user, found)
    return render(request, "escalations/page.html", {"page": found, "show_subject": show_subject})
