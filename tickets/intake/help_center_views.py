"""The public help center (no sign-in): the request form, its confirmation, and the
requester's own page behind a signed link. Thin: forms in, one service call, out."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.safestring import SafeString
from django.utils.translation import get_language, gettext_lazy, pgettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_ratelimit.core import is_ratelimited

from core import config_cache
from core.forms import StyledFormMixin
from tickets import panels, selectors
from tickets.intake.help_center import help_center_queue, help_center_submit, ticket_for_link
from tickets.models import Message, Status, Ticket
from tickets.services import TicketConflict, TicketError, ticket_requester_reply

SENT_SALT = "tickets.help-center-sent"


# Labels of the default categories (settings.HELP_CENTER_CATEGORIES); a configured
# category without one is shown as its capitalised slug.
CATEGORY_LABELS = {
    "account": pgettext_lazy("help center category", "Account"),
    "billing": pgettext_lazy("help center category", "Billing"),
    "safety": pgettext_lazy("help center category", "Safety"),
    "privacy": pgettext_lazy("help center category", "Privacy"),
    "bugs": pgettext_lazy("help center category", "Bugs"),
    "other": pgettext_lazy("help center category", "Other"),
}


class RequestForm(StyledFormMixin, forms.Form):
    email = forms.EmailField(label=gettext_lazy("Your email address"), max_length=254)
    name = forms.CharField(label=gettext_lazy("Your name"), max_length=150, required=False)
    category = forms.ChoiceField(label=gettext_lazy("What is it about?"))
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=250)
    description = forms.CharField(
        label=gettext_lazy("Describe the problem"), max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 6}),
    )  # fmt: skip
    # A honeypot: people never see or fill it; form-filling robots do.
    website = forms.CharField(required=False, label=gettext_lazy("Leave this empty"),
                              widget=forms.TextInput(attrs={"tabindex": "-1",
                                                            "autocomplete": "off"}))  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["category"]).choices = [("", _("Choose…"))] + [
            (c, CATEGORY_LABELS.get(c) or c.capitalize())
            for c in settings.HELP_CENTER_CATEGORIES]  # fmt: skip


class ReplyForm(forms.Form):
    body = forms.CharField(label=gettext_lazy("Your reply"), max_length=20_000,
                           widget=forms.Textarea(attrs={"rows": 4}))  # fmt: skip


@require_http_methods(["GET", "POST"])
@config_cache.read_only_request()  # a new request writes no configuration: one version read
def request_form(request: HttpRequest) -> HttpResponse:
    if help_center_queue() is None:
        return render(request, "tickets/help/closed.html", status=503)
    form = RequestForm(request.POST or None)
    status = 200
    if request.method == "POST":
        limited = is_ratelimited(request, group="help-center", key="ip",
                                 rate=settings.HELP_CENTER_RATE, increment=True)  # fmt: skip
        if limited:
            form.is_valid()  # errors are added to a validated form
            form.add_error(None, _("Too many requests from your address. Please try again "
                                   "in a few minutes."))  # fmt: skip
            status = 429
        elif form.is_valid():
            data = form.cleaned_data
            if data["website"]:
                return redirect("help:sent", token=signing.dumps("-", salt=SENT_SALT))
            try:
                ticket = help_center_submit(
                    email=data["email"], name=data["name"], subject=data["subject"],
                    body=data["description"], category=data["category"],
                    language=(get_language() or "en").split("-")[0],
                    files=request.FILES.getlist("files"),
                )  # fmt: skip
            except TicketError as exc:
                form.add_error(None, str(exc))
                status = 400
            else:
                token = signing.dumps(ticket.reference, salt=SENT_SALT)
                return redirect("help:sent", token=token)
        else:
            status = 400
    context = {"form": form, "blank_fields": _blank_fields(form) if not form.is_bound else ""}
    return render(request, "tickets/help/form.html", context, status=status)


# The empty form's fields as HTML, per language and set of categories: they hold nothing
# of the request (the token is outside them), and rendering them through Django's
# widget templates was over a third of the form page's CPU.
_blank_fields_html: dict[tuple[str, tuple[str, ...]], SafeString] = {}


def _blank_fields(form: RequestForm) -> SafeString:
    key = (get_language() or "", tuple(settings.HELP_CENTER_CATEGORIES))
    html = _blank_fields_html.get(key)
    if html is None:
        html = _blank_fields_html[key] = render_to_string("tickets/help/_fields.html",
                                                          {"form": form})  # fmt: skip
    return html


def help_sent(request: HttpRequest, token: str) -> HttpResponse:
    try:
        reference = signing.loads(token, salt=SENT_SALT, max_age=3600)
    except signing.BadSignature as exc:
        raise Http404 from exc
    return render(request, "tickets/help/sent.html",
                  {"reference": reference if reference != "-" else ""})  # fmt: skip


def requesters_conversation(ticket: Ticket) -> list[Message]:
    """What the ticket's requester may read: public messages from or to them. A merge
    can bring another person's messages (and our replies to them) onto the ticket; those
    carry their own requester (``origin_requester``) and are never shown here."""
    return [
        message for message in selectors.ticket_conversation(ticket)
        if message.kind == Message.Kind.PUBLIC
        and message.origin_requester_id in (None, ticket.requester_id)
    ]  # fmt: skip


@require_http_methods(["GET", "POST"])
def requester_ticket(request: HttpRequest, token: str) -> HttpResponse:
    """The requester's page: their conversation (public messages only) and a reply box."""
    ticket = ticket_for_link(token)
    if ticket is None:
        raise Http404
    form = ReplyForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            ticket_requester_reply(ticket=ticket, body=form.cleaned_data["body"],
                                   channel="web")  # fmt: skip
        except (TicketConflict, TicketError) as exc:
            form.add_error(None, str(exc))
            status = 409
        else:
            return redirect("help:ticket", token=token)
    elif form.errors:
        status = 400
    return render(request, "tickets/help/ticket.html", {
        "ticket": ticket, "conversation": requesters_conversation(ticket), "form": form,
        "closed": ticket.status == Status.CLOSED,
        "panels": panels.requester_panels(request, ticket),
    }, status=status)  # fmt: skip
