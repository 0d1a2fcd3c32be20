"""The privacy pages: find a requester, export their data, ask for erasure, hold data.
Every route is 404 for anyone who does not handle privacy (privacy.permissions)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from accounts.http import AuthenticatedRequest
from accounts.selectors import visible_users
from core import cursors
from core.errors import DomainError
from privacy import forms, redaction, selectors, services
from privacy.holds import ticket_is_held
from privacy.models import LegalHold, RetentionPolicy
from privacy.permissions import can_handle_privacy
from tickets.models import Attachment, Message, Queue, Requester, SavedView, Ticket


def _privacy_only(request: AuthenticatedRequest) -> None:
    if not can_handle_privacy(request.user):
        raise Http404


@login_required
def home(request: AuthenticatedRequest) -> HttpResponse:
    _privacy_only(request)
    form = forms.FindForm(request.GET or None)
    found: list[Requester] | None = None
    if form.is_valid():
        found = selectors.find_requesters(request.user, form.cleaned_data["q"])
    erasures = selectors.visible_erasures(request.user)
    return render(request, "privacy/home.html", {
        "form": form, "found": found,
        "open_requests": list(erasures.filter(state__in=["waiting", "held"])
                              .order_by("run_after", "pk")[:50]),
        "done_requests": list(erasures.exclude(state__in=["waiting", "held"])[:20]),
        "events": selectors.recent_events(request.user),
    })  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def subject(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    _privacy_only(request)
    requester = get_object_or_404(selectors.privacy_requesters(request.user), pk=pk)
    form = forms.ErasureForm()
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "export":
                job = services.subject_export(
                    actor=request.user, requester=requester,
                    language=translation.get_language() or "en",
                    time_zone=timezone.get_current_timezone_name())  # fmt: skip
                messages.success(request, _("The export is being made; its link appears on "
                                            "this page when it is ready."))  # fmt: skip
                return redirect(reverse("exports:list") + f"#export-{job.pk}")
            if action == "erase":
                form = forms.ErasureForm(request.POST)
                if form.is_valid():
                    erasure = services.erasure_request(actor=request.user, requester=requester,
                                                       **form.cleaned_data)  # fmt: skip
                    when = date_format(timezone.localtime(erasure.run_after),
                                       "SHORT_DATETIME_FORMAT")  # fmt: skip
                    sentence = _("The request is recorded; it runs on %(date)s unless it is "
                                 "cancelled.")  # fmt: skip
                    messages.success(request, sentence % {"date": when})
                    return redirect("privacy:erasure", pk=erasure.pk)
        except DomainError as exc:
            form.add_error(None, str(exc))
    return render(request, "privacy/subject.html", {
        "subject": requester, "form": form, "grace_days": settings.PRIVACY_ERASURE_GRACE_DAYS,
        **selectors.subject_overview(requester)})  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def erasure(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    _privacy_only(request)
    item = get_object_or_404(selectors.visible_erasures(request.user), pk=pk)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "cancel":
                services.erasure_cancel(actor=request.user, request=item)
                messages.success(request, _("The erasure is cancelled."))
            elif action == "run_now":
                outcome = services.erasure_run_now(actor=request.user, request=item)
                if outcome == "held":
                    messages.warning(request, _("A legal hold covers this data: the erasure "
                                                "waits until it is released."))  # fmt: skip
                else:
                    messages.success(request, _("The erasure has run."))
        except DomainError as exc:
            messages.error(request, str(exc))
        return redirect("privacy:erasure", pk=item.pk)
    item.refresh_from_db()
    holds = (selectors.holds_covering(item.requester)
             if item.requester is not None and item.is_open else [])  # fmt: skip
    history = list(item.events.select_related("actor").order_by("created_at", "pk"))
    return render(request, "privacy/erasure.html", {
        "item": item, "holds": holds, "counts": sorted((item.counts or {}).items()),
        "events": history})  # fmt: skip


def _owners(request: AuthenticatedRequest):  # type: ignore[no-untyped-def]
    return (visible_users(request.user).filter(is_active=True, team__vendor__isnull=True)
            .order_by("full_name", "email"))  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def holds(request: AuthenticatedRequest) -> HttpResponse:
    _privacy_only(request)
    form = forms.HoldForm(request.POST or None, owners=_owners(request),
                          initial={"owner": request.user.pk})  # fmt: skip
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        target = _hold_target(request, data["scope"], data["target"])
        if target is None:
            form.add_error("target", _("Nothing of that kind is called that."))
        else:
            try:
                services.hold_place(
                    actor=request.user, case_number=data["case_number"], owner=data["owner"],
                    reason=data["reason"], review_on=data["review_on"], **target)  # fmt: skip
            except DomainError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("The hold is in place."))
                return redirect("privacy:holds")
    rows = selectors.visible_holds(request.user)
    return render(request, "privacy/holds.html", {
        "form": form, "active": list(rows.filter(released_at__isnull=True)[:200]),
        "released": list(rows.filter(released_at__isnull=False)[:50]),
    })  # fmt: skip


def _hold_target(request: AuthenticatedRequest, scope: str, value: str) -> dict | None:
    value = value.strip()
    if scope == LegalHold.Scope.REQUESTER:
        found = selectors.find_requesters(request.user, value)
        return {"requester": found[0]} if found else None
    if scope == LegalHold.Scope.TICKET:
        ticket = Ticket.objects.filter(reference__iexact=value).first()
        return {"ticket": ticket} if ticket else None
    if scope == LegalHold.Scope.QUEUE:
        queue = Queue.objects.filter(name__iexact=value).first()
        return {"queue": queue} if queue else None
    view = SavedView.objects.filter(pk=int(value)).first() if value.isdigit() else None
    return {"saved_view": view} if view else None


@login_required
@require_POST
def hold_release(request: AuthenticatedRequest, pk: int) -> HttpResponseRedirect:
    _privacy_only(request)
    hold = get_object_or_404(selectors.visible_holds(request.user), pk=pk)
    try:
        services.hold_release(actor=request.user, hold=hold)
        messages.success(request, _("The hold is released."))
    except DomainError as exc:
        messages.error(request, str(exc))
    return redirect("privacy:holds")


# --- redaction --------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def redact(request: AuthenticatedRequest, reference: str) -> HttpResponse:
    """A ticket's messages with what looks like personal data in them, to redact a span of
    a message or replace a file. 404 unless the person may redact this ticket."""
    ticket = get_object_or_404(redaction.redactable_tickets(request.user), reference=reference)
    error, failed_message = "", None
    if request.method == "POST":
        reason = request.POST.get("reason", "")
        try:
            if request.POST.get("attachment", "").isdigit():
                attachment = get_object_or_404(Attachment, pk=int(request.POST["attachment"]),
                                               message__ticket=ticket)  # fmt: skip
                redaction.attachment_replace(actor=request.user, attachment=attachment,
                                             reason=reason)  # fmt: skip
                messages.success(request, _("The file is replaced by a redaction notice."))
                return redirect("privacy:redact", reference=ticket.reference)
            message = get_object_or_404(Message, pk=_int(request.POST.get("message")),
                                        ticket=ticket)  # fmt: skip
            failed_message = message.pk
            spans = [*request.POST.getlist("span"), request.POST.get("other", "")]
            redaction.message_redact(actor=request.user, message=message, spans=spans,
                                     reason=reason)  # fmt: skip
            messages.success(request, _("The text is redacted."))
            return redirect("privacy:redact", reference=ticket.reference)
        except DomainError as exc:
            error = str(exc)
    return render(request, "privacy/redact.html", {
        "ticket": ticket, "rows": selectors.redaction_rows(ticket), "error": error,
        "failed_message": failed_message, "held": ticket_is_held(ticket),
    }, status=400 if error else 200)  # fmt: skip


def _int(value: str | None) -> int:
    return int(value) if value and value.isdigit() else 0


@login_required
def access(request: AuthenticatedRequest) -> HttpResponse:
    """The access log: one person's reads, or one ticket's readers (keyset pages)."""
    _privacy_only(request)
    person_id = _int(request.GET.get("person")) or None
    reference = request.GET.get("reference", "").strip()[:16]
    before = cursors.decode(request.GET.get("before", ""), salt=_ACCESS_CURSOR)
    rows = selectors.access_rows(
        request.user, person_id=person_id, reference=reference,
        before=(before[0], before[1]) if before and len(before) == 2 else None)  # fmt: skip
    older = (cursors.encode([rows[-1].at.isoformat(), rows[-1].id], salt=_ACCESS_CURSOR)
             if len(rows) == selectors.PAGE else "")  # fmt: skip
    people = visible_users(request.user).order_by("full_name", "email")
    return render(request, "privacy/access.html", {
        "rows": rows, "older": older, "person_id": person_id, "reference": reference,
        "people": people, "person": people.filter(pk=person_id).first() if person_id else None,
    })  # fmt: skip


_ACCESS_CURSOR = "privacy.access"


# --- retention --------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def retention(request: AuthenticatedRequest, pk: int | None = None) -> HttpResponse:
    """The retention policies, and one policy's form, dry run and switch."""
    _privacy_only(request)
    policy = get_object_or_404(RetentionPolicy, pk=pk) if pk else None
    form = forms.RetentionPolicyForm(instance=policy)
    error = ""
    if request.method == "POST":
        action = request.POST.get("action", "save")
        try:
            if action == "save":
                form = forms.RetentionPolicyForm(request.POST, instance=policy)
                if form.is_valid():
                    draft = form.save(commit=False)
                    saved = services.retention_policy_save(actor=request.user, policy=draft)
                    messages.success(request, _("The policy is saved, and off: count what it "
                                                "would reach, then switch it on."))  # fmt: skip
                    return redirect("privacy:retention_policy", pk=saved.pk)
            elif policy is not None and action == "dry_run":
                count = services.retention_dry_run(actor=request.user, policy=policy)
                sentence = ngettext("It would reach %(count)s ticket today.",
                                    "It would reach %(count)s tickets today.", count)  # fmt: skip
                messages.info(request, sentence % {"count": count})
                return redirect("privacy:retention_policy", pk=policy.pk)
            elif policy is not None and action in ("on", "off"):
                services.retention_switch(actor=request.user, policy=policy, on=action == "on")
                messages.success(request, _("The policy is on.") if action == "on"
                                 else _("The policy is off."))  # fmt: skip
                return redirect("privacy:retention_policy", pk=policy.pk)
        except DomainError as exc:
            error = str(exc)
    return render(request, "privacy/retention.html", {
        "policy": policy, "form": form, "error": error,
        "policies": list(RetentionPolicy.objects.select_related("queue")),
        "batches": list(policy.events.order_by("-created_at")[:20]) if policy else [],
    }, status=400 if form.errors or error else 200)  # fmt: skip
