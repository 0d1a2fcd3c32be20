"""Protected viewing's pages and routes: a file's protected preview, revealing a file or
a message's text (JSON for safety-reveal.js), the end of a reveal, marking a ticket,
one's own protection, the organisation's, and the word lists (admins)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import (
    FileResponse,
    Http404,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.http import AuthenticatedRequest
from core.errors import DomainError
from safety import derivatives, exposure, viewing
from safety.models import Derivative, Level, MaskWord
from safety.viewing_forms import MarkForm, MaskWordForm, ProtectionForm
from tickets import remote_images, selectors
from tickets.models import Attachment, Message

# The word lists are short by nature; a page shows at most this many.
MAX_WORDS_SHOWN = 2000


def _visible_attachment(request: AuthenticatedRequest, pk: int) -> Attachment:
    return get_object_or_404(
        Attachment.objects.select_related("message__ticket"),
        pk=pk, message__ticket__in=selectors.visible_tickets(request.user),
    )  # fmt: skip


def _error(exc: DomainError) -> JsonResponse:
    return JsonResponse({"error": str(exc), "code": exc.code}, status=exc.status)


@login_required
@require_GET
def derivative(request: AuthenticatedRequest, pk: int) -> FileResponse:
    """A file's protected preview when it is ready: blurred and greyscale, or only
    greyscale for someone whose protection level is "Greyscale" (chosen here from their
    own level, not from the link)."""
    item = _visible_attachment(request, pk)
    made = Derivative.objects.filter(attachment=item, state=Derivative.State.READY).first()
    if made is None or not made.file:
        raise Http404
    level = viewing.effective_protection(request.user).level
    preview = made.grey_file if level == Level.GREY and made.grey_file else made.file
    response = FileResponse(preview.open("rb"), content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
def reveal(request: AuthenticatedRequest, pk: int) -> JsonResponse:
    """Reveal a file: records the exposure (refused past the hard cap) and answers a
    link to the original, good for a minute, for this person and this file."""
    item = _visible_attachment(request, pk)
    ticket = item.message.ticket
    state = Derivative.objects.filter(attachment=item).values_list("state", flat=True).first()
    if state == Derivative.State.PENDING:
        return JsonResponse(
            {"error": _("The protected preview is still being prepared; try again shortly.")},
            status=409,
        )
    category = viewing.ticket_category(ticket)
    try:
        exposed = exposure.reveal_start(
            agent=request.user, ticket=ticket, category=category,
            kind=derivatives.kind_of(item.content_type), attachment=item,
        )  # fmt: skip
    except DomainError as exc:
        return _error(exc)
    prompt = exposure.after_reveal(request.user, category)
    return JsonResponse({
        "url": viewing.original_url(request.user, item),
        "token": exposed.token,
        "kind": derivatives.kind_of(item.content_type),
        "reblur_seconds": viewing.effective_protection(request.user).reblur_seconds,
        "prompt": prompt.message if prompt else "",
    })  # fmt: skip


@login_required
@require_POST
def reveal_text(request: AuthenticatedRequest, pk: int) -> JsonResponse:
    """A message's body unmasked (a TEXT exposure)."""
    message = get_object_or_404(
        Message.objects.select_related("ticket"),
        pk=pk, ticket__in=selectors.visible_tickets(request.user),
    )  # fmt: skip
    category = viewing.ticket_category(message.ticket)
    try:
        exposed = exposure.reveal_start(agent=request.user, ticket=message.ticket,
                                        category=category, kind="text")  # fmt: skip
    except DomainError as exc:
        return _error(exc)
    prompt = exposure.after_reveal(request.user, category)
    if message.body_html:
        body = remote_images.render(message.body_html, load=False).html
    else:
        body = escape(message.body).replace("\r\n", "\n").replace("\n", "<br>")
    return JsonResponse({
        "html": body,
        "token": exposed.token,
        "reblur_seconds": viewing.effective_protection(request.user).reblur_seconds,
        "prompt": prompt.message if prompt else "",
    })  # fmt: skip


@login_required
@require_POST
def reveal_end(request: AuthenticatedRequest) -> HttpResponse:
    """How long a reveal lasted (sent when it blurs again, or as the page goes away)."""
    token = request.POST.get("token", "")[:64]
    try:
        seconds = int(request.POST.get("seconds", "0"))
    except ValueError:
        return JsonResponse({"error": _("Seconds must be a whole number.")}, status=400)
    exposure.reveal_end(agent=request.user, token=token, seconds=seconds)
    return HttpResponse(status=204)


# ------------------------------------------------------------------- marking


def _ticket_page_with_error(
    request: AuthenticatedRequest, reference: str, form: MarkForm
) -> HttpResponse:
    from tickets.views import ticket_page_context

    ticket = selectors.get_ticket_for_page(request.user, reference)
    context = ticket_page_context(request, ticket)
    context["safety_mark_form"] = form
    return render(request, "tickets/ticket.html", context, status=400)


@login_required
@require_POST
def mark(request: AuthenticatedRequest, reference: str) -> HttpResponse:
    ticket = selectors.get_ticket_for(request.user, reference)
    form = MarkForm(request.POST, categories=viewing.markable_categories())
    if not form.is_valid():
        return _ticket_page_with_error(request, reference, form)
    try:
        marked = viewing.ticket_mark(actor=request.user, ticket=ticket, category=form.chosen())
    except DomainError as exc:
        form.add_error("category", str(exc))
        return _ticket_page_with_error(request, reference, form)
    if marked.moved_to is not None and not selectors.can_work_queue(
        request.user, marked.moved_to.pk
    ):
        messages.info(request, _(
            "%(ref)s is marked sensitive (%(category)s) and moved to %(queue)s, which only "
            "cleared specialists work.") % {"ref": ticket.reference,
                                             "category": form.chosen().name,
                                             "queue": marked.moved_to.name})  # fmt: skip
        return redirect(reverse("tickets:queue"))
    sentence = _("Marked sensitive (%(category)s): its files and listed words are shown protected.")
    messages.success(request, sentence % {"category": form.chosen().name})
    return redirect("tickets:detail", reference=ticket.reference)


@login_required
@require_POST
def unmark(request: AuthenticatedRequest, reference: str) -> HttpResponse:
    ticket = selectors.get_ticket_for(request.user, reference)
    try:
        viewing.ticket_unmark(actor=request.user, ticket=ticket)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The sensitive mark is removed."))
    return redirect("tickets:detail", reference=ticket.reference)


# ---------------------------------------------------------------- settings


def _admin_only(request: AuthenticatedRequest) -> None:
    if not request.user.is_admin:
        raise Http404


def _initial(protection: object) -> dict:
    return {
        "level": getattr(protection, "level", None),
        "mask_words": getattr(protection, "mask_words", True),
        "reblur_seconds": getattr(protection, "reblur_seconds", 10),
    }


@login_required
@require_http_methods(["GET", "POST"])
def protection(request: AuthenticatedRequest) -> HttpResponse:
    """One's own protection: at least the organisation's."""
    org = viewing.organisation_protection()
    own = viewing.own_protection(request.user)
    if request.method == "POST":
        form = ProtectionForm(request.POST, minimum=org)
        if form.is_valid():
            try:
                viewing.protection_set_own(actor=request.user, **form.cleaned_data)
            except viewing.ViewingError as exc:
                form.add_error(exc.field, str(exc))
            else:
                messages.success(request, _("Your protection is saved."))
                return redirect("safety:protection")
    else:
        form = ProtectionForm(initial=_initial(own or org), minimum=org)
    return render(request, "safety/viewing/protection.html",
                  {"form": form, "org": org, "own": own})  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def protection_org(request: AuthenticatedRequest) -> HttpResponse:
    _admin_only(request)
    org = viewing.organisation_protection()
    if request.method == "POST":
        form = ProtectionForm(request.POST)
        if form.is_valid():
            try:
                viewing.protection_set_organisation(actor=request.user, **form.cleaned_data)
            except viewing.ViewingError as exc:
                form.add_error(exc.field, str(exc))
            else:
                messages.success(request, _("The organisation's protection is saved."))
                return redirect("safety:protection_org")
    else:
        form = ProtectionForm(initial=_initial(org))
    return render(request, "safety/viewing/protection_org.html", {"form": form, "org": org})


@login_required
@require_http_methods(["GET", "POST"])
def mask_words(request: AuthenticatedRequest) -> HttpResponse:
    _admin_only(request)
    form = MaskWordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            viewing.mask_word_add(actor=request.user, **form.cleaned_data)
        except viewing.ViewingError as exc:
            form.add_error(exc.field, str(exc))
        else:
            messages.success(request, _("The word is listed."))
            return redirect("safety:mask_words")
    words = list(MaskWord.objects.order_by("language", "word")[:MAX_WORDS_SHOWN])
    by_language: dict[str, list[MaskWord]] = {}
    for word in words:
        by_language.setdefault(word.language, []).append(word)
    return render(request, "safety/viewing/mask_words.html", {
        "form": form, "by_language": sorted(by_language.items()),
        "truncated": len(words) == MAX_WORDS_SHOWN,
    }, status=400 if form.errors else 200)  # fmt: skip


@login_required
@require_POST
def mask_word_delete(request: AuthenticatedRequest, pk: int) -> HttpResponseRedirect:
    _admin_only(request)
    try:
        viewing.mask_word_remove(actor=request.user, pk=pk)
    except viewing.ViewingNotFound as exc:
        raise Http404 from exc
    messages.success(request, _("The word is no longer listed."))
    return redirect("safety:mask_words")
