from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from core import navigation


class TicketsConfig(AppConfig):
    """Requesters, queues, tickets, messages, macros, routing, SLA and intake channels."""

    name = "tickets"
    verbose_name = _("Tickets")

    def ready(self) -> None:
        # Imported here: models (and what imports them) load after the app registry.
        from accounts.roles import register_role_permissions
        from tickets.roles import ROLE_PERMISSIONS

        register_role_permissions(ROLE_PERMISSIONS)
        navigation.register(navigation.NavEntry(key="queue", label=_("Queue"),
                                                url_name="tickets:queue", order=100))  # fmt: skip
