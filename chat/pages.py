"""Chat's places in the other apps' registries: the ticket page's live panel, the header's
status menu and offers, and the Chats entry of the navigation."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from chat import agents, selectors
from chat.models import Chat
from core import navigation
from tickets import panels
from tickets import selectors as ticket_selectors
from tickets.models import Channel

FLAG: tuple[str, str, list] = (
    "has_chat",
    "SELECT 1 FROM chat_chat c WHERE c.ticket_id = tickets_ticket.id",
    [],
)


def ticket_panel(page: panels.PanelPage) -> dict[str, Any]:
    """The live chat on a chat's ticket page (nothing, and no query, for other tickets)."""
    ticket = page.ticket
    if ticket.channel != Channel.CHAT or page.known_empty("has_chat"):
        return {"chat_panel": None}
    chat = Chat.objects.filter(ticket_id=ticket.pk).select_related("ticket__requester").first()
    if chat is None or not chat.live:
        return {"chat_panel": None}
    mine = chat.agent_id == page.user.pk
    return {"chat_panel": {
        "chat": chat, "mine": mine,
        "messages": selectors.transcript(chat, limit=200),
        "agents": selectors.transfer_agents(page.user, chat) if mine else [],
        "queues": ticket_selectors.visible_queue_list(page.user) if mine else [],
    }}  # fmt: skip


def status_menu(request: Any, user: Any, csrf_token: object) -> str:
    if request is None or not getattr(user, "is_authenticated", False):
        return ""
    return render_to_string("chat/partials/status_menu.html", {
        "statuses": agents.statuses(), "current": agents.current_status_key(user.pk),
        "push_url": settings.PUSH_URL,
        "away_after": settings.CHAT_AWAY_AFTER_SECONDS,
    }, request=None)  # fmt: skip


def connect() -> None:
    panels.register(panels.TicketPanel(
        name="chat", template="chat/partials/ticket_panel.html", context=ticket_panel,
        slot="banner", order=5, flag=FLAG,
    ))  # fmt: skip
    navigation.register(
        navigation.NavEntry(key="chat", label=_("Chats"), url_name="chat:console", order=150)
    )
    navigation.register_header_widget("chat-status", status_menu, order=10)
