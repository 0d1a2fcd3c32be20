from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChatConfig(AppConfig):
    """Live chat: chats for requesters, agents' statuses and capacity, and push."""

    name = "chat"
    verbose_name = _("Live chat")

    def ready(self) -> None:
        from accounts.roles import register_role_permissions
        from chat import agents, live, pages, services
        from chat.models import TicketEventKind
        from chat.roles import ROLE_PERMISSIONS
        from chat.timeline import SENTENCES
        from tickets import delivery, events, hooks, next_rules, timeline

        events.register_kinds(TicketEventKind)
        timeline.register_sentences(SENTENCES)
        register_role_permissions(ROLE_PERMISSIONS)
        delivery.register("chat", services.live_channel)
        next_rules.register("chat-capacity", agents.next_rule)
        hooks.message_added.connect(services.on_message_added)
        pages.connect()
        live.connect()
