"""Chat over HTTP: the requester's side (token in the path, no sign-in, embeddable on the
platform's sites) and the agent's actions (signed in). Thin: services decide.

Every answer is JSON; a refusal is a 4xx with ``{"detail": …}`` saying why."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from django_ratelimit.core import is_ratelimited

from accounts.http import AuthenticatedRequest
from accounts.models import User
from chat import agents, selectors, services, strings
from chat.models import Chat, StatusChange
from core.errors import DomainError
from tickets import selectors as ticket_selectors
from tickets.models import Message

MAX_JSON_BYTES = 64 * 1024


def _error(exc: DomainError) -> JsonResponse:
    return JsonResponse({"detail": str(exc), "code": exc.code}, status=exc.status)


def _body(request: HttpRequest) -> dict[str, Any]:
    """The JSON object sent, or the form's fields."""
    if request.content_type == "application/json":
        if len(request.body) > MAX_JSON_BYTES:
            raise services.ChatError(_("The request is too large."))
        try:
            data = json.loads(request.body or b"{}")
        except ValueError as exc:
            raise services.ChatError(_("The request is not valid JSON.")) from exc
        if not isinstance(data, dict):
            raise services.ChatError(_("The request is not valid JSON."))
        return data
    return request.POST.dict()


def _text(data: dict[str, Any], name: str, limit: int = 20_000) -> str:
    value = data.get(name, "")
    if not isinstance(value, str):
        raise services.ChatError(_("%(field)s must be text.") % {"field": name})
    if "\x00" in value:
        raise services.ChatError(_("%(field)s contains a character we cannot store.") % {
            "field": name})  # fmt: skip
    return value.strip()[:limit]


def _embeddable(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Requester endpoints: no cookies (the token is the key), so no CSRF; the platform's
    own sites (CHAT_EMBED_ORIGINS) may call them from their pages."""

    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        origin = request.headers.get("Origin", "")
        allowed = origin in settings.CHAT_EMBED_ORIGINS
        response: HttpResponseBase
        if request.method == "OPTIONS":
            response = HttpResponse(status=204 if allowed else 403)
        else:
            try:
                response = view(request, *args, **kwargs)
            except DomainError as exc:
                response = _error(exc)
        if allowed:
            response["Access-Control-Allow-Origin"] = origin
            response["Access-Control-Allow-Headers"] = "Content-Type"
            response["Access-Control-Allow-Methods"] = "GET, POST"
            response["Vary"] = "Origin"
        return response

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return csrf_exempt(wrapped)


def _too_many() -> JsonResponse:
    return JsonResponse({"detail": _("Too many requests from your address. Please try "
                                     "again in a few minutes.")}, status=429)  # fmt: skip


def _message(message: Message) -> dict[str, object]:
    return services.message_payload(message)


def state_payload(chat: Chat, *, after: int = 0) -> dict[str, object]:
    line = selectors.line_view(chat)
    return {
        "state": chat.state,
        "reference": chat.ticket.reference,
        "agent": chat.agent.full_name.split(" ")[0] if chat.agent else "",
        "place": line.place,
        "wait_seconds": line.wait_seconds,
        "fallback": line.fallback,
        "reminded": chat.reminded_at is not None and chat.state == Chat.State.ACTIVE,
        "messages": [_message(m) for m in selectors.transcript(chat, after=after)],
    }


def ui_language(code: str) -> str:
    """One of our UI languages for what was asked (the default for anything unknown)."""
    try:
        return translation.get_supported_language_variant(code or "en")
    except LookupError:
        return translation.get_supported_language_variant(settings.LANGUAGE_CODE)


def _after(request: HttpRequest) -> int:
    try:
        return max(0, int(request.GET.get("after", "0")))
    except ValueError:
        return 0


# ------------------------------------------------------------------ requesters


@require_GET
def chat_page(request: HttpRequest) -> HttpResponse:
    """The help center's chat page (the same widget as on the platform's pages)."""
    return render(request, "chat/help_chat.html", {
        "push_url": push_base(request),
    })  # fmt: skip


@_embeddable
@require_GET
def chat_config(request: HttpRequest) -> HttpResponse:
    """What the widget needs before a chat: its words in the requester's language, and
    whether chat is open now (or why not)."""
    language = ui_language(request.GET.get("lang") or translation.get_language() or "en")
    with translation.override(language):
        queue = ticket_selectors.active_queue(slug=settings.CHAT_QUEUE)
        # No chat queue (chat switched off): the widget offers to leave a message.
        fallback = selectors.fallback_reason(queue, language) if queue else "closed"
        return JsonResponse({
            "language": language, "rtl": translation.get_language_bidi(),
            "strings": strings.widget_strings(),
            "fallback": fallback,
            "push": push_base(request),
        })  # fmt: skip


@_embeddable
@require_POST
def chat_start(request: HttpRequest) -> HttpResponse:
    data = _body(request)
    if is_ratelimited(request, group="chat-start", key="ip", rate=settings.HELP_CENTER_RATE,
                      increment=True):  # fmt: skip
        return _too_many()
    email = _text(data, "email", 254)
    if email and "@" not in email:
        raise services.ChatError(_("Enter a valid email address."))
    language = ui_language(_text(data, "language", 16))
    chat, token = services.chat_start(
        name=_text(data, "name", 120), email=email, language=language,
        body=_text(data, "message"), client_id=_text(data, "client_id", 64),
        origin=request.headers.get("Origin", "")[:200], start_key=_text(data, "start_key", 100),
    )  # fmt: skip
    return JsonResponse({"token": token, **state_payload(chat)}, status=201)


@_embeddable
@require_GET
def chat_state(request: HttpRequest, token: str) -> HttpResponse:
    chat = services.chat_for_token(token)
    if chat.state in Chat.IN_LINE:
        services.requester_seen([chat.pk])  # still there (their page asks)
    return JsonResponse(state_payload(chat, after=_after(request)))


@_embeddable
@require_POST
def chat_send(request: HttpRequest, token: str) -> HttpResponse:
    data = _body(request)
    chat = services.chat_for_token(token)
    message = services.chat_requester_send(chat=chat, body=_text(data, "body"),
                                           client_id=_text(data, "client_id", 64))  # fmt: skip
    return JsonResponse(_message(message), status=201)


@_embeddable
@require_POST
def chat_send_file(request: HttpRequest, token: str) -> HttpResponse:
    """A file from the requester (multipart: ``file``, optional ``body`` and
    ``client_id``), checked as every ticket attachment is."""
    chat = services.chat_for_token(token)
    if is_ratelimited(request, group="chat-file", key="ip", rate=settings.HELP_CENTER_RATE,
                      increment=True):  # fmt: skip
        return _too_many()
    upload = request.FILES.get("file")
    if upload is None:
        raise services.ChatError(_("Choose a file to send."))
    fields = request.POST.dict()
    message = services.chat_requester_send(
        chat=chat, body=_text(fields, "body"), files=[upload],
        client_id=_text(fields, "client_id", 64),
    )  # fmt: skip
    return JsonResponse(_message(message), status=201)


@_embeddable
@require_GET
def chat_file(request: HttpRequest, token: str, pk: int) -> HttpResponseBase:
    """A file of the chat, for its requester: always downloaded, never shown in our
    origin."""
    item = selectors.chat_file(services.chat_for_token(token), pk)
    response = FileResponse(item.file.open("rb"), as_attachment=True, filename=item.filename,
                            content_type="application/octet-stream")  # fmt: skip
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@_embeddable
@require_POST
def chat_typing(request: HttpRequest, token: str) -> HttpResponse:
    services.chat_typing(chat=services.chat_for_token(token), who="requester")
    return HttpResponse(status=204)


@_embeddable
@require_POST
def chat_end(request: HttpRequest, token: str) -> HttpResponse:
    chat = services.chat_end(chat=services.chat_for_token(token), by=Chat.Ended.REQUESTER)
    return JsonResponse({"state": chat.state})


@_embeddable
@require_POST
def chat_leave_message(request: HttpRequest, token: str) -> HttpResponse:
    data = _body(request)
    ticket = services.chat_leave_message(chat=services.chat_for_token(token),
                                         body=_text(data, "body"))  # fmt: skip
    return JsonResponse({"state": Chat.State.LEFT_MESSAGE, "reference": ticket.reference})


@_embeddable
@require_POST
def chat_transcript(request: HttpRequest, token: str) -> HttpResponse:
    services.chat_send_transcript(chat=services.chat_for_token(token))
    return JsonResponse({"sent": True})


# ------------------------------------------------------------------ agents


def _agent_json(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    def wrapped(request: AuthenticatedRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except DomainError as exc:
            return _error(exc)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return login_required(wrapped)


@_agent_json
@require_POST
def status_set(request: AuthenticatedRequest) -> HttpResponse:
    data = _body(request)
    reason = (
        StatusChange.Reason.INACTIVE
        if data.get("reason") == "inactive"
        else (StatusChange.Reason.SET)
    )
    state = agents.status_set(user=request.user, key=_text(data, "status", 32), reason=reason)
    return JsonResponse({"status": state.status.key, "label": state.status.label})


@_agent_json
@require_POST
def heartbeat(request: AuthenticatedRequest) -> HttpResponse:
    """A sign of life when push is unavailable (the open event stream is one otherwise)."""
    agents.touch([request.user.pk])
    return HttpResponse(status=204)


@_agent_json
@require_POST
def accept(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    chat = services.chat_accept(actor=request.user, chat=selectors.get_chat_for(request.user, pk))
    return JsonResponse(
        {"state": chat.state, "url": reverse("tickets:detail", args=[chat.ticket.reference])}
    )


@_agent_json
@require_POST
def decline(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    services.chat_decline(actor=request.user, chat=selectors.get_chat_for(request.user, pk))
    return HttpResponse(status=204)


@_agent_json
@require_POST
def agent_send(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    data = _body(request)
    message = services.chat_agent_send(
        actor=request.user, chat=selectors.get_chat_for(request.user, pk),
        body=_text(data, "body"), client_id=_text(data, "client_id", 64))  # fmt: skip
    return JsonResponse(_message(message), status=201)


@_agent_json
@require_POST
def agent_typing(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    services.chat_typing(chat=selectors.get_chat_for(request.user, pk), who="agent",
                         name=request.user.full_name)  # fmt: skip
    return HttpResponse(status=204)


@_agent_json
@require_GET
def agent_messages(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    chat = selectors.get_chat_for(request.user, pk)
    return JsonResponse(
        {
            "state": chat.state,
            "messages": [_message(m) for m in selectors.transcript(chat, after=_after(request))],
        }
    )


@_agent_json
@require_POST
def end(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    chat = services.chat_end(chat=selectors.get_chat_for(request.user, pk),
                             by=Chat.Ended.AGENT, actor=request.user)  # fmt: skip
    return JsonResponse({"state": chat.state})


@_agent_json
@require_POST
def transfer(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    chat = selectors.get_chat_for(request.user, pk)
    data = _body(request)
    to_agent = to_queue = None
    target = _text(data, "to", 40)
    kind, _sep, raw_id = target.partition(":")
    if not raw_id.isdigit():
        raise services.ChatError(_("Choose an agent or a queue."))
    if kind == "agent":
        offered = selectors.transfer_agents(request.user, chat)
        to_agent = next((person for person in offered if person.pk == int(raw_id)), None)
        if to_agent is None:
            raise services.ChatError(_("Choose an agent or a queue."))
    elif kind == "queue":
        to_queue = ticket_selectors.visible_queues(request.user).filter(pk=int(raw_id)).first()
        if to_queue is None:
            raise services.ChatError(_("Choose an agent or a queue."))
    else:
        raise services.ChatError(_("Choose an agent or a queue."))
    chat = services.chat_transfer(actor=request.user, chat=chat, to_agent=to_agent,
                                  to_queue=to_queue)  # fmt: skip
    return JsonResponse({"state": chat.state})


@login_required
@require_GET
def console(request: AuthenticatedRequest) -> HttpResponse:
    """The agent's chats, the line in their queues, and (for leads) their people's status."""
    user: User = request.user
    return render(request, "chat/console.html", {
        "mine": selectors.my_chats(user), "line": selectors.line(user),
        "states": selectors.agent_states(user) if user.is_lead or user.is_admin else [],
        "state": agents.state_of(user),
    })  # fmt: skip


def push_base(request: HttpRequest) -> str:
    """Where the browser reaches the push server (PUSH_URL); "" when there is none, and the
    pages poll instead."""
    return settings.PUSH_URL
