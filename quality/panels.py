"""Where ratings show: a sidebar panel on the agent's ticket page (only when the ticket
has one: the page's own query tests it) and the rating form on the requester's page in
the help center."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from quality import selectors, services
from quality.forms import RatingForm
from quality.models import REASONS
from tickets import panels
from tickets.models import Ticket

FLAG: tuple[str, str, list] = (
    "has_rating",
    "SELECT 1 FROM quality_survey s WHERE s.ticket_id = tickets_ticket.id "
    "AND s.rated_at IS NOT NULL",
    [],
)


def ticket_panel(page: panels.PanelPage) -> dict[str, Any]:
    if page.known_empty(FLAG[0]):
        return {"csat_rating": None}
    survey = selectors.latest_rated(page.ticket.pk)
    return {"csat_rating": survey, "csat_reason": REASONS.get(survey.reason, "") if survey else ""}


def requester_panel(request: HttpRequest, ticket: Ticket) -> dict[str, Any] | None:
    survey = selectors.latest_sent(ticket.pk)
    if survey is None or not services.rating_window(survey).open:
        return None
    conf = services.survey_settings()
    form = RatingForm(
        initial={"score": survey.score, "reason": survey.reason, "comment": survey.comment},
        scale=survey.scale,
        reasons=conf.reasons,
        decision=survey.kind == "decision",
    )
    return {"survey": survey, "form": form, "token": services.survey_token(survey)}


def register() -> None:
    panels.register(
        panels.TicketPanel(
            name="csat",
            template="quality/partials/ticket_panel.html",
            context=ticket_panel,
            slot="sidebar",
            order=30,
            flag=FLAG,
        )
    )
    panels.register_requester_panel(
        panels.RequesterPanel(
            name="csat",
            template="quality/partials/help_panel.html",
            context=requester_panel,
        )
    )
