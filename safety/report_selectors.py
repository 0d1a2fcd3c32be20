"""Reads for reports, cases, decisions and appeals. Agents reach cases only through the
tickets they may see (``tickets.selectors.visible_tickets``): out of scope is 404."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.utils.dateparse import parse_datetime

from safety.models import Appeal, Case, Decision, Report
from tickets import selectors

if TYPE_CHECKING:
    from accounts.models import User

PAGE_SIZE = 25

# The ticket page's test for the case panel (tickets.panels): most tickets have no case.
PANEL_FLAG: tuple[str, str, list] = (
    "has_safety_case",
    "SELECT 1 FROM safety_case c WHERE c.ticket_id = tickets_ticket.id",
    [],
)


# ------------------------------------------------------------------ services' reads


def open_case_for_update(key: str) -> Case | None:
    """The open case about this item, locked, with its ticket (the report joins it)."""
    return (Case.objects.select_for_update(of=("self",)).select_related("ticket", "category")
            .filter(item_key=key, state=Case.State.OPEN).first())  # fmt: skip


def case_locked(pk: int) -> Case:
    return Case.objects.select_for_update(of=("self",)).select_related("ticket").get(pk=pk)


def case_by_reference_locked(reference: str) -> Case | None:
    return (Case.objects.select_for_update(of=("self",)).select_related("ticket__queue")
            .filter(reference=reference.strip().upper()).first())  # fmt: skip


def appeal_locked(pk: int) -> Appeal:
    return (Appeal.objects.select_for_update(of=("self",))
            .select_related("against__case__ticket", "against__ground").get(pk=pk))  # fmt: skip


def case_reports(case: Case) -> list[Report]:
    return list(Report.objects.filter(case=case).order_by("created_at", "id"))


def latest_decision(case: Case) -> Decision | None:
    return (Decision.objects.filter(case=case).select_related("ground")
            .order_by("-decided_at", "-id").first())  # fmt: skip


# ---------------------------------------------------------------------- pages


def visible_cases(user: User) -> QuerySet[Case]:
    """The cases whose tickets this person may see."""
    return Case.objects.filter(ticket__in=selectors.visible_tickets(user).values("pk"))


def get_case_for(user: User, reference: str) -> Case:
    case = (visible_cases(user).select_related("ticket", "category")
            .filter(reference=str(reference).strip().upper()).first())  # fmt: skip
    if case is None:
        raise Http404
    return case


def get_appeal_for(user: User, pk: int) -> Appeal:
    appeal = (Appeal.objects.select_related("against__case__ticket")
              .filter(pk=pk, against__case__in=visible_cases(user)).first())  # fmt: skip
    if appeal is None:
        raise Http404
    return appeal


def case_detail(ticket_id: int) -> Case | None:
    """A ticket's case with its reports, decisions and appeals: four queries."""
    return (
        Case.objects.select_related("category")
        .prefetch_related(
            Prefetch("reports", queryset=Report.objects.select_related("category")
                     .order_by("created_at", "id")),
            Prefetch("decisions", queryset=Decision.objects.select_related(
                "ground", "decided_by", "appeal").order_by("decided_at", "id")),
            Prefetch("decisions__appeals", queryset=Appeal.objects.select_related("reviewer")
                     .order_by("created_at", "id")),
        )
        .filter(ticket_id=ticket_id).first()
    )  # fmt: skip


@dataclass
class CasePage:
    cases: list[Case]
    next_cursor: str


def _encode(case: Case) -> str:
    raw = json.dumps([case.created_at.isoformat(), case.pk]).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _decode(cursor: str) -> tuple[datetime, int] | None:
    try:
        at, pk = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        when = parse_datetime(at)
    except (ValueError, TypeError):
        return None
    return (when, int(pk)) if when is not None else None


def cases_page(user: User, *, state: str = "", category: str = "", cursor: str = "",
               size: int = PAGE_SIZE) -> CasePage:  # fmt: skip
    """Newest first, keyset-paginated on (created_at, id)."""
    cases = visible_cases(user).select_related("category", "ticket")
    if state in Case.State.values:
        cases = cases.filter(state=state)
    if category:
        cases = cases.filter(category__key=category)
    after = _decode(cursor) if cursor else None
    if after is not None:
        at, pk = after
        cases = cases.filter(Q(created_at__lt=at) | Q(created_at=at, pk__lt=pk))
    rows = list(cases.order_by("-created_at", "-id")[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    return CasePage(rows, _encode(rows[-1]) if more and rows else "")
