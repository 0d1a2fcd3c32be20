"""Every read of escalations, incidents and pages that is more than a get. Scoping here.

``visible_escalations``: admins all; everyone sees what they raised and what is
escalated to their own team; a vendor's lead also sees everything their vendor
raised; an in-house lead everything their team raised; and for everyone but admins
only while its ticket is one they may see (``visible_tickets``): a ticket moved to
another vendor's queue takes its escalations, notes and pages with it.
``visible_incidents``: admins and in-house leads all; others the incidents that link
a ticket they may see. Only admins and in-house leads manage incidents.

Choice lists (the board's filters, the incident form's commanders, teams and macros)
come from the same scoping functions as the pages: ``visible_users``,
``visible_vendors``, ``visible_queue_ids``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import cast

from django.core.cache import cache
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, Team, User, Vendor
from accounts.selectors import visible_users, visible_vendors
from escalations import oncall
from escalations.models import (
    OPEN_ESCALATION,
    Escalation,
    EscalationNote,
    EscalationReason,
    Incident,
    IncidentTicket,
    Page,
    Rotation,
)
from tickets import selectors as ticket_selectors
from tickets.models import Macro, Status, Ticket
from tickets.selectors import visible_queue_ids, visible_tickets

S = Escalation.Status
BOARD_CARDS = 25
RECENTLY_CLOSED_DAYS = 7

# ------------------------------------------------------------------- scoping


def visible_escalations(user: User) -> QuerySet[Escalation]:
    escalations = Escalation.objects.all()
    if not user.is_authenticated or not user.is_active:
        return escalations.none()
    if user.is_admin:
        return escalations
    grant = Q(raised_by=user.pk)
    if user.team_id is not None:
        grant |= Q(target_team=user.team_id)
        if user.role == Role.LEAD:
            vendor_teams = Team.objects.filter(pk=user.team_id, vendor__isnull=False)
            same_vendor = Team.objects.filter(vendor__teams=user.team_id).values("vendor")
            grant |= Q(raised_by_team=user.team_id) | (
                Q(Exists(vendor_teams)) & Q(raised_by_vendor__in=same_vendor)
            )
    return escalations.filter(grant, ticket__in=visible_tickets(user))


def get_escalation_for(user: User, pk: int) -> Escalation:
    escalation = (
        visible_escalations(user)
        .select_related("ticket__queue", "ticket__requester", "target_team", "owner",
                        "raised_by", "raised_by_vendor", "reason")
        .filter(pk=pk).first()
    )  # fmt: skip
    if escalation is None:
        raise Http404("No such escalation")
    return escalation


def visible_incidents(user: User) -> QuerySet[Incident]:
    incidents = Incident.objects.all()
    if not user.is_authenticated or not user.is_active:
        return incidents.none()
    if user.is_admin:
        return incidents
    if user.role == Role.LEAD and user.team_id is not None:
        if Team.objects.filter(pk=user.team_id, vendor__isnull=True).exists():
            return incidents
    linked = IncidentTicket.objects.filter(incident_id=OuterRef("pk"),
                                           ticket__in=visible_tickets(user))  # fmt: skip
    return incidents.filter(Exists(linked))


def get_incident_for(user: User, pk: int) -> Incident:
    incident = visible_incidents(user).select_related("commander", "team").filter(pk=pk).first()
    if incident is None:
        raise Http404("No such incident")
    return incident


def _in_house(user: User) -> bool:
    return user.team_id is not None and user.team is not None and user.team.vendor_id is None


def can_manage_incidents(user: User) -> bool:
    """Open incidents, change their status and tracker link, post updates (and send them
    to requesters), link and unlink tickets: admins and in-house leads. Everyone else who
    may see an incident reads it and comments."""
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_admin or (user.role == Role.LEAD and _in_house(user))


def reasons() -> list[EscalationReason]:
    """Active reasons for the escalate form (cached for a minute: the ticket page is hot)."""
    cached = cache.get_or_set(
        "escalations:reasons:v1",
        lambda: list(EscalationReason.objects.filter(is_active=True)
                     .select_related("target_team")),
        60,
    )  # fmt: skip
    return cast("list[EscalationReason]", cached)


def team_members(team_id: int) -> list[User]:
    return list(User.objects.filter(team_id=team_id, is_active=True).order_by("full_name"))


# ------------------------------------------------------------------- board


@dataclass
class BoardFilters:
    team: int | None = None
    severity: int | None = None
    vendor: int | None = None
    overdue: bool = False


@dataclass
class Column:
    status: str
    label: str
    count: int = 0
    overdue: int = 0
    cards: list[Escalation] = field(default_factory=list)


BOARD_COLUMNS = [
    (S.REQUESTED, _("Requested")),
    (S.ACCEPTED, _("Accepted")),
    (S.IN_PROGRESS, _("In progress")),
    ("closed", _("Closed in the last 7 days")),
]


def _board_base(user: User, filters: BoardFilters, now: datetime) -> QuerySet[Escalation]:
    escalations = visible_escalations(user).filter(
        Q(status__in=OPEN_ESCALATION) | Q(closed_at__gte=now - timedelta(days=RECENTLY_CLOSED_DAYS))
    )  # fmt: skip
    if filters.team:
        escalations = escalations.filter(target_team=filters.team)
    if filters.severity:
        escalations = escalations.filter(severity=filters.severity)
    if filters.vendor:
        escalations = escalations.filter(raised_by_vendor=filters.vendor)
    if filters.overdue:
        escalations = escalations.filter(status__in=OPEN_ESCALATION, due_at__lt=now)
    return escalations


def board(user: User, filters: BoardFilters, now: datetime | None = None) -> list[Column]:
    """The lead's board: one column per status with its count (and how many are overdue)
    and its first BOARD_CARDS cards by due time. At most five queries, whatever the
    numbers."""
    now = now or timezone.now()
    base = _board_base(user, filters, now)
    closed = ~Q(status__in=OPEN_ESCALATION)
    totals = base.aggregate(
        **{f"n_{status}": Count("pk", filter=Q(status=status)) for status in OPEN_ESCALATION},
        **{f"late_{status}": Count("pk", filter=Q(status=status, due_at__lt=now))
           for status in OPEN_ESCALATION},
        n_closed=Count("pk", filter=closed),
    )  # fmt: skip
    columns = {status: Column(status=status, label=str(label)) for status, label in BOARD_COLUMNS}
    for status in OPEN_ESCALATION:
        columns[status].count = totals[f"n_{status}"]
        columns[status].overdue = totals[f"late_{status}"]
    columns["closed"].count = totals["n_closed"]
    # One short query per column: each reads the first cards off an index instead of
    # ranking every visible escalation (a window over 45,000 rows took 300 ms).
    cards = base.select_related("ticket", "target_team", "owner", "raised_by",
                                "raised_by_vendor", "reason")  # fmt: skip
    for status in OPEN_ESCALATION:
        if columns[status].count:
            columns[status].cards = list(
                cards.filter(status=status).order_by("due_at", "id")[:BOARD_CARDS]
            )
    if columns["closed"].count:
        columns["closed"].cards = list(
            cards.filter(closed).order_by(F("closed_at").desc(nulls_last=True), "-id")
            [:BOARD_CARDS]
        )  # fmt: skip
    return list(columns.values())


def in_target_team(user: User, escalation: Escalation) -> bool:
    """Whether the person works the escalation: a member of its target team, or an admin."""
    return user.is_admin or user.team_id == escalation.target_team_id


def attach_assignable(user: User, cards: list[Escalation]) -> None:
    """Set ``card.can_act`` (the person is in its target team, or an admin) and
    ``card.assignable`` (the people it may be assigned to, for leads of the target team
    and admins) on the cards. One query."""
    teams = {
        c.target_team_id
        for c in cards
        if c.is_open
        and (user.is_admin or (user.role == Role.LEAD and user.team_id == c.target_team_id))
    }
    people: dict[int, list[User]] = {}
    if teams:
        for person in User.objects.filter(team_id__in=teams, is_active=True).order_by("full_name"):
            people.setdefault(person.team_id or 0, []).append(person)
    for card in cards:
        card.can_act = in_target_team(user, card)
        card.assignable = (
            people.get(card.target_team_id, []) if card.target_team_id in teams else []
        )


def named_teams(user: User) -> QuerySet[Team]:
    """Teams a person may see named in a choice list: in-house teams, and the teams of
    the vendors they may see (``visible_vendors``)."""
    return Team.objects.filter(Q(vendor__isnull=True) | Q(vendor__in=visible_vendors(user)))


def board_teams(user: User) -> QuerySet[Team]:
    """Teams that escalations go to, for the board's filter."""
    ids = EscalationReason.objects.values("target_team")
    return named_teams(user).filter(pk__in=ids).order_by("name")


def board_vendors(user: User) -> QuerySet[Vendor]:
    """Vendors escalations may be raised from, for the board's filter."""
    return visible_vendors(user).filter(is_active=True).order_by("name")


# -------------------------------------------------------------- on a ticket


def ticket_escalations(user: User, ticket: Ticket) -> list[Escalation]:
    """The escalations of this ticket the person may see, with their notes (two queries;
    none when the ticket page's fetch found the ticket has no escalation)."""
    if ticket_selectors.known_empty(ticket, "has_escalations"):
        return []
    notes = EscalationNote.objects.select_related("author").order_by("created_at", "id")
    return list(
        visible_escalations(user).filter(ticket=ticket)
        .select_related("target_team", "owner", "raised_by", "reason")
        .prefetch_related(Prefetch("notes", queryset=notes))
        .order_by("-created_at", "-id")[:20]
    )  # fmt: skip


def open_incidents_for_ticket(ticket: Ticket) -> list[Incident]:
    if ticket_selectors.known_empty(ticket, "has_open_incidents"):
        return []
    return list(
        Incident.objects.filter(links__ticket=ticket)
        .exclude(status=Incident.Status.RESOLVED).order_by("-created_at")[:5]
    )  # fmt: skip


# --------------------------------------------------------------- incidents


def incident_list(user: User, *, open_only: bool = True, limit: int = 100) -> list[Incident]:
    """Incidents with the number of their linked tickets the person may see."""
    incidents = visible_incidents(user).select_related("commander", "team")
    if open_only:
        incidents = incidents.exclude(status=Incident.Status.RESOLVED)
    seen = None if user.is_admin else Q(links__ticket__queue_id__in=visible_queue_ids(user))
    return list(incidents.annotate(ticket_count=Count("links", filter=seen))
                .order_by("-created_at")[:limit])  # fmt: skip


def incident_tickets(user: User, incident: Incident, limit: int = 500) -> list[Ticket]:
    return list(
        visible_tickets(user).filter(incident_links__incident=incident)
        .select_related("requester", "queue").order_by("-created_at")[:limit]
    )  # fmt: skip


def incident_commanders(user: User) -> QuerySet[User]:
    """Who may be named commander: the leads and admins this person may see."""
    return (
        visible_users(user)
        .filter(is_active=True, role__in=[Role.LEAD, Role.ADMIN])
        .order_by("full_name")
    )


def incident_teams(user: User) -> QuerySet[Team]:
    """On-call teams an incident may page."""
    return named_teams(user).filter(rotation__isnull=False).order_by("name")


def incident_macros(user: User) -> QuerySet[Macro]:
    """The macros an incident update may be sent with (chosen in English; each ticket
    gets its own language's variant where there is one)."""
    return ticket_selectors.visible_macros(user).filter(language="en").order_by("name")


# ---------------------------------------------- an update to every requester


@dataclass
class ReplyVariant:
    language: str
    body: str
    tickets: int = 0


@dataclass
class SkippedTicket:
    ticket: Ticket
    reason: str


@dataclass
class ReplyPlan:
    """What "send to every linked requester" will do: the tickets it replies on (each with
    the macro variant used, or None for the update's own text), the linked tickets it
    skips and why, and how many linked tickets the person cannot see (not named)."""

    send: list[tuple[Ticket, Macro | None]] = field(default_factory=list)
    skipped: list[SkippedTicket] = field(default_factory=list)
    hidden: int = 0
    variants: list[ReplyVariant] = field(default_factory=list)

    @property
    def requesters(self) -> int:
        return len({ticket.requester_id for ticket, _variant in self.send})

    @property
    def fingerprint(self) -> str:
        """Changes when the tickets or texts it would send change (between a preview
        and its confirmation)."""
        sent = sorted((t.pk, v.pk if v else 0) for t, v in self.send)
        return hashlib.sha256(repr(sent).encode()).hexdigest()[:32]


def _variant_for(ticket: Ticket, macro: Macro) -> Macro | None:
    """The macro's variant in the ticket's language if one is offered on the ticket, else
    the macro itself if it is offered there; None when it is not offered there."""
    offered = [m for m in ticket_selectors.macros_for(ticket) if m.name == macro.name]
    return next((m for m in offered if m.language == ticket.language), None) or next(
        (m for m in offered if m.pk == macro.pk), None
    )


def incident_reply_plan(user: User, incident: Incident, *, body: str,
                        macro: Macro | None = None) -> ReplyPlan:  # fmt: skip
    """Which linked tickets an update sent to every linked requester reaches, in which
    text, and which it skips and why. The preview and the send both use it."""
    plan = ReplyPlan()
    linked = list(
        visible_tickets(user).filter(incident_links__incident=incident)
        .select_related("requester", "queue").defer("search_vector").order_by("pk")
    )  # fmt: skip
    plan.hidden = IncidentTicket.objects.filter(incident=incident).count() - len(linked)
    variants: dict[int, ReplyVariant] = {}
    for ticket in linked:
        variant = _variant_for(ticket, macro) if macro is not None else None
        if ticket.status == Status.CLOSED:
            plan.skipped.append(SkippedTicket(ticket, str(_("The ticket is closed."))))
        elif not ticket_selectors.can_work_queue(user, ticket.queue_id):
            plan.skipped.append(SkippedTicket(ticket, str(_("You cannot answer in its queue."))))
        elif not ticket.requester.email:
            plan.skipped.append(
                SkippedTicket(ticket, str(_("The requester has no email address.")))
            )
        elif macro is not None and variant is None:
            plan.skipped.append(
                SkippedTicket(ticket, str(_("The macro is not offered in its queue.")))
            )
        else:
            plan.send.append((ticket, variant))
            key = variant.pk if variant is not None else 0
            if key not in variants:
                variants[key] = ReplyVariant(
                    language=variant.language if variant is not None else "",
                    body=variant.body if variant is not None else body,
                )
            variants[key].tickets += 1
    plan.variants = list(variants.values())
    return plan


# ------------------------------------------------------------------ on-call


@dataclass
class OnCall:
    rotation: Rotation
    now: User | None
    members: list[User]


def visible_rotations(user: User) -> QuerySet[Rotation]:
    """Admins and in-house staff see every rotation; a vendor's people their team's."""
    rotations = Rotation.objects.all()
    if not user.is_authenticated or not user.is_active:
        return rotations.none()
    if user.is_admin:
        return rotations
    if user.team_id is None:
        return rotations.none()
    in_house = Team.objects.filter(pk=user.team_id, vendor__isnull=True)
    return rotations.filter(Q(Exists(in_house)) | Q(team=user.team_id))


def on_call_now(user: User, at: datetime | None = None) -> list[OnCall]:
    at = at or timezone.now()
    result = []
    for rotation in visible_rotations(user).select_related("team").order_by("team__name"):
        people = oncall.members(rotation)
        result.append(OnCall(rotation, oncall.on_call_at(rotation, at, members=people), people))
    return result


def open_pages(user: User, limit: int = 50) -> list[Page]:
    """Open pages for the person (or, for leads and admins, every open page they may see),
    about escalations and incidents they may see."""
    pages = Page.objects.filter(status=Page.Status.OPEN).select_related(
        "rotation__team", "target", "escalation__ticket", "incident")  # fmt: skip
    if not (user.is_admin or user.role == Role.LEAD):
        pages = pages.filter(target=user)
    elif not user.is_admin:
        pages = pages.filter(Q(target=user) | Q(rotation__team=user.team_id))
    if not user.is_admin:
        pages = pages.filter(Q(escalation__in=visible_escalations(user))
                             | Q(incident__in=visible_incidents(user)))  # fmt: skip
    return list(pages.order_by("-severity", "created_at")[:limit])


def page_subject_visible(user: User, page: Page) -> bool:
    """Whether the holder of a page's link may see what it is about (its summary names
    the ticket or incident). Anyone with the link may acknowledge it regardless."""
    if page.escalation_id is not None:
        return visible_escalations(user).filter(pk=page.escalation_id).exists()
    return page.incident_id is not None and (
        visible_incidents(user).filter(pk=page.incident_id).exists()
    )


def get_page_by_token(token: str) -> Page:
    page = (
        Page.objects.select_related("rotation__team", "target", "escalation__ticket", "incident")
        .filter(token=token).first()
    )  # fmt: skip
    if page is None:
        raise Http404("No such page")
    return page
