"""What escalations add to the agent's pages (registered from ``EscalationsConfig.ready``):
the incident banner and the escalations panel on the ticket page, and "Link to an
incident" in the queue's bulk bar."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from escalations import selectors, services
from escalations.models import Incident, Severity
from tickets import bulk, panels
from tickets.models import Ticket


def incident_banner_context(page: panels.PanelPage) -> dict[str, Any]:
    return {"open_incidents": selectors.open_incidents_for_ticket(page.ticket)}


def escalations_panel_context(page: panels.PanelPage) -> dict[str, Any]:
    return {
        "ticket_escalations": selectors.ticket_escalations(page.user, page.ticket),
        "escalation_reasons": selectors.reasons(),
        "severities": Severity.choices,
    }


def incident_choices(user: User) -> list[tuple[int, str]]:
    """Incidents the person may link tickets to (leads and admins), newest first."""
    if not selectors.can_manage_incidents(user):
        return []
    incidents = selectors.visible_incidents(user).exclude(status=Incident.Status.RESOLVED)
    return [(incident.pk, f"#{incident.pk} {incident.title}")
            for incident in incidents.only("id", "title").order_by("-id")[:50]]  # fmt: skip


def link_to_incident(user: User, tickets: list[Ticket], number: int) -> str:
    """Link the selected tickets to an incident chosen from the picker."""
    incident = selectors.visible_incidents(user).filter(pk=number).first()
    if incident is None:
        raise services.EscalationError(_("No incident %(id)s that you can see.") % {"id": number})
    added = services.incident_add_tickets(actor=user, incident=incident, tickets=tickets)
    return _("%(count)d ticket(s) linked to “%(title)s”.") % {"count": added,
                                                              "title": incident.title}  # fmt: skip


def register() -> None:
    panels.register(panels.TicketPanel(
        name="incident-banner", template="escalations/partials/incident_banner.html",
        context=incident_banner_context, slot="banner", order=10,
        flag=("has_open_incidents",
              "SELECT 1 FROM escalations_incidentticket l JOIN escalations_incident i "
              "ON i.id = l.incident_id WHERE l.ticket_id = tickets_ticket.id AND i.status <> %s",
              [Incident.Status.RESOLVED.value]),
    ))  # fmt: skip
    panels.register(panels.TicketPanel(
        name="escalations", template="escalations/partials/ticket_panel.html",
        context=escalations_panel_context, slot="sidebar", order=10,
        flag=("has_escalations",
              "SELECT 1 FROM escalations_escalation e WHERE e.ticket_id = tickets_ticket.id", []),
    ))  # fmt: skip
    bulk.register(bulk.BulkAction(
        name="incident", option_label=gettext_lazy("Link to an incident"),
        picker_label=gettext_lazy("Incident"), picker_empty=gettext_lazy("Choose an incident"),
        missing=gettext_lazy("Choose one of the incidents offered."),
        choices=incident_choices, apply=link_to_incident,
    ))  # fmt: skip
