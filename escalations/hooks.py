"""What happens in escalations, announced to the apps that build on it (analytics …),
under the same rule as ``tickets.hooks``: sent inside the change's transaction; handlers
write rows only, and an exception rolls the change back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from tickets.hooks import Hook

if TYPE_CHECKING:
    from escalations.models import Escalation, Incident
    from tickets.models import Ticket


@dataclass(frozen=True, slots=True)
class EscalationRaised:
    """By a person or by a rule (``escalation.automatic``)."""

    escalation: Escalation
    ticket: Ticket


@dataclass(frozen=True, slots=True)
class TicketsLinked:
    """Tickets newly linked to an incident (those already linked are not repeated)."""

    incident: Incident
    tickets: tuple[Ticket, ...]


escalation_raised: Hook[EscalationRaised] = Hook("escalation_raised")
incident_tickets_linked: Hook[TicketsLinked] = Hook("incident_tickets_linked")
