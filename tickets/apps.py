from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    """Requesters, queues, tickets, messages, macros, routing, SLA and intake channels."""

    name = "tickets"
    verbose_name = _("Tickets")
