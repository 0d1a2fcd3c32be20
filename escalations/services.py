"""Every write to escalations, incidents and pages: one function per state change, each
audited (on the ticket's timeline, or the incident's) in its transaction, side effects
through the outbox.

Escalations move requested → accepted → in progress → resolved, and may be returned
to the agent or rejected on the way. SEV1 and SEV2 escalations and incidents page the
target team's on-call person, again and again and then the next person, until someone
acknowledges (``pages_sweep``, run by beat).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, Team, User
from core import config_cache
from core.errors import Conflict, Invalid
from core.urls import absolute_url
from escalations import hooks, oncall, selectors
from escalations.models import (
    OPEN_ESCALATION,
    PAGING_SEVERITIES,
    Escalation,
    EscalationNote,
    EscalationReason,
    Incident,
    IncidentTicket,
    IncidentUpdate,
    Page,
    Rotation,
    Severity,
    TicketEventKind,
)
from escalations.selectors import in_target_team
from tickets import events, outbox
from tickets import selectors as ticket_selectors
from tickets.models import Event, Macro, Status, Ticket
from tickets.outbox import mail

S = Escalation.Status
MAX_TEXT = 5000


class EscalationError(Invalid):
    """A change that is not allowed; the message says why (shown to the user)."""


class EscalationConflict(Conflict, EscalationError):
    """The change conflicts with the current state (HTTP 409)."""


def _ticket_event(ticket: Ticket, actor: User | None, kind: TicketEventKind, *,
                  before: dict | None = None, after: dict | None = None,
                  now: datetime | None = None) -> Event:  # fmt: skip
    return events.record(ticket, actor, kind, before, after, at=now or timezone.now())


def _text(value: str, what: str, *, required: bool = True, limit: int = MAX_TEXT) -> str:
    value = (value or "").strip()
    if required and not value:
        raise EscalationError(_("%(what)s is required.") % {"what": what})
    if len(value) > limit:
        raise EscalationError(_("%(what)s is at most %(n)d characters.")
                              % {"what": what, "n": limit})  # fmt: skip
    return value


def due_at_for(severity: int, start: datetime) -> datetime:
    return start + timedelta(minutes=settings.ESCALATION_DUE_MINUTES[int(severity)])


def _describe(escalation: Escalation) -> dict:
    return {"escalation": escalation.pk, "team": escalation.target_team.name,
            "severity": f"SEV{escalation.severity}", "status": escalation.status}  # fmt: skip


# ------------------------------------------------------------- raising


def _create(*, ticket: Ticket, reason: EscalationReason, severity: int, summary: str,
            actor: User | None, automatic: bool, now: datetime) -> Escalation:  # fmt: skip
    # The ticket row lock serialises raises on one ticket; the partial unique constraint
    # is the last word if two arrive anyway.
    Ticket.objects.select_for_update(of=("self",)).only("pk").get(pk=ticket.pk)
    open_one = Escalation.objects.filter(ticket=ticket, target_team=reason.target_team,
                                         status__in=OPEN_ESCALATION).first()  # fmt: skip
    if open_one is not None:
        raise EscalationConflict(
            _("This ticket is already escalated to %(team)s (%(status)s).")
            % {"team": reason.target_team.name, "status": open_one.get_status_display()}
        )
    team = actor.team if actor is not None and actor.team_id else None
    escalation = Escalation.objects.create(
        ticket=ticket, reason=reason, severity=severity, target_team=reason.target_team,
        raised_by=actor, raised_by_team=team, raised_by_vendor=team.vendor if team else None,
        automatic=automatic, summary=summary, due_at=due_at_for(severity, now),
        created_at=now, updated_at=now,
    )  # fmt: skip
    _ticket_event(ticket, actor, TicketEventKind.ESCALATION_RAISED, now=now, after={
        **_describe(escalation), "reason": reason.name, "automatic": automatic,
        "due_at": escalation.due_at.isoformat()})  # fmt: skip
    hooks.escalation_raised.send(hooks.EscalationRaised(escalation=escalation, ticket=ticket))
    if severity in PAGING_SEVERITIES:
        rotation = Rotation.objects.filter(team_id=reason.target_team_id).first()
        if rotation is not None:
            page_open(rotation=rotation, severity=severity, escalation=escalation, now=now,
                      summary=f"{ticket.reference}: {summary}"[:300])  # fmt: skip
    return escalation


@transaction.atomic
def escalation_raise(*, actor: User, ticket: Ticket, reason: EscalationReason, severity: int,
                     summary: str) -> Escalation:  # fmt: skip
    """An agent hands the ticket to a specialist team."""
    if not actor.is_admin and not ticket_selectors.can_work_queue(actor, ticket.queue_id):
        raise EscalationError(_("You cannot escalate tickets in this queue."))
    if not reason.is_active:
        raise EscalationError(_("That reason is no longer offered."))
    if severity not in Severity.values:
        raise EscalationError(_("Choose a severity."))
    if ticket.status == Status.CLOSED:
        raise EscalationError(_("A closed ticket cannot be escalated."))
    summary = _text(summary, _("A summary"))
    return _create(ticket=ticket, reason=reason, severity=severity, summary=summary,
                   actor=actor, automatic=False, now=timezone.now())  # fmt: skip


def _auto(ticket: Ticket, reason: EscalationReason, summary: str) -> Escalation | None:
    try:
        with transaction.atomic():
            return _create(
                ticket=ticket, reason=reason, severity=reason.severity, summary=summary,
                actor=None, automatic=True, now=timezone.now(),
            )  # fmt: skip
    except EscalationConflict:
        return None  # already with that team: nothing more to do


def _automatic_reasons() -> list[EscalationReason]:
    return list(
        EscalationReason.objects.filter(
            is_active=True,
            trigger__in=[EscalationReason.Trigger.HIGH_PROFILE, EscalationReason.Trigger.CATEGORY],
        ).select_related("target_team")
    )


def auto_escalate_new_ticket(ticket: Ticket) -> list[Escalation]:
    """Reasons that escalate by themselves: a high-profile requester, a category or tag."""
    made = []
    for reason in config_cache.cached("escalation-auto-reasons", _automatic_reasons):
        if reason.trigger == EscalationReason.Trigger.HIGH_PROFILE:
            if not ticket.requester.is_high_profile:
                continue
            summary = _("High-profile requester: %(name)s") % {"name": ticket.requester}
        else:
            hit = (ticket.category and ticket.category in reason.match_categories) or (
                set(ticket.tags) & set(reason.match_tags)
            )
            if not hit:
                continue
            summary = _("Category or tag needs %(team)s: %(what)s") % {
                "team": reason.target_team.name,
                "what": ", ".join([ticket.category, *ticket.tags]).strip(", ")}  # fmt: skip
        escalation = _auto(ticket, reason, summary)
        if escalation is not None:
            made.append(escalation)
    return made


def auto_escalate_tags_added(ticket: Ticket, added: set[str]) -> list[Escalation]:
    """A tag an agent adds later (a "self-harm" tag, say) escalates like one the ticket
    came with; only reasons matching a newly added tag fire."""
    made = []
    reasons = EscalationReason.objects.filter(
        is_active=True, trigger=EscalationReason.Trigger.CATEGORY,
        match_tags__overlap=sorted(added),
    ).select_related("target_team")  # fmt: skip
    for reason in reasons:
        summary = _("Tag needs %(team)s: %(what)s") % {
            "team": reason.target_team.name,
            "what": ", ".join(sorted(added & set(reason.match_tags)))}  # fmt: skip
        escalation = _auto(ticket, reason, summary)
        if escalation is not None:
            made.append(escalation)
    return made


def _sla_breach_reason() -> EscalationReason | None:
    return (
        EscalationReason.objects.filter(is_active=True,
                                        trigger=EscalationReason.Trigger.SLA_BREACH)
        .select_related("target_team").first()
    )  # fmt: skip


def sla_breach_reason() -> EscalationReason | None:
    """The reason SLA breaches escalate under, if an admin set one up (cached per
    process like the other automatic reasons: the sweep asks once per breach)."""
    return config_cache.cached("escalation-sla-breach-reason", _sla_breach_reason)


def auto_escalate_sla_breach(ticket: Ticket, fired: dict, *,
                             reason: EscalationReason) -> Escalation | None:  # fmt: skip
    """An SLA policy's "escalate" breach action. None if the ticket is already with that
    team (a second breach on the same ticket)."""
    summary = _("SLA %(metric)s target missed (policy %(policy)s).") % {
        "metric": fired.get("metric", ""), "policy": fired.get("policy", "")}  # fmt: skip
    return _auto(ticket, reason, summary)


# ---------------------------------------------------------- transitions


def _locked(escalation: Escalation) -> Escalation:
    return (
        Escalation.objects.select_for_update(of=("self",))
        .select_related("ticket", "target_team", "owner").get(pk=escalation.pk)
    )  # fmt: skip


def _member(actor: User, escalation: Escalation) -> bool:
    return in_target_team(actor, escalation)


def _lead(actor: User, escalation: Escalation) -> bool:
    return actor.is_admin or (
        actor.role == Role.LEAD and actor.team_id == escalation.target_team_id
    )


def _move(escalation: Escalation, actor: User, new: str, allowed_from: Iterable[str],
          *, after: dict | None = None, now: datetime) -> None:  # fmt: skip
    old = escalation.status
    if old not in allowed_from:
        raise EscalationConflict(
            _("A %(old)s escalation cannot become %(new)s.")
            % {"old": S(old).label.lower(), "new": S(new).label.lower()}
        )
    escalation.status, escalation.updated_at = new, now
    if new not in OPEN_ESCALATION:
        escalation.closed_at = now
    _ticket_event(
        escalation.ticket, actor, TicketEventKind(f"escalation_{new}"), now=now,
        before={"status": old}, after={**_describe(escalation), **(after or {})},
    )  # fmt: skip


def _note(escalation: Escalation, actor: User | None, body: str, now: datetime) -> None:
    EscalationNote.objects.create(escalation=escalation, author=actor, body=body, created_at=now)


def _stop_paging(escalation: Escalation, actor: User, now: datetime) -> None:
    """Someone has it: its open pages are cancelled."""
    Page.objects.filter(escalation=escalation, status=Page.Status.OPEN).update(
        status=Page.Status.CANCELLED, next_action_at=None, acknowledged_by=actor,
        acknowledged_at=now)  # fmt: skip


@transaction.atomic
def escalation_accept(*, actor: User, escalation: Escalation) -> Escalation:
    escalation = _locked(escalation)
    if not _member(actor, escalation):
        raise EscalationError(_("Only %(team)s accepts these.") % {"team": escalation.target_team})
    now = timezone.now()
    _move(escalation, actor, S.ACCEPTED, [S.REQUESTED], now=now)
    escalation.owner = escalation.owner or actor
    escalation.accepted_at = now
    escalation.save(update_fields=["status", "owner", "accepted_at", "updated_at"])
    _stop_paging(escalation, actor, now)
    return escalation


@transaction.atomic
def escalation_assign(*, actor: User, escalation: Escalation, owner: User) -> Escalation:
    escalation = _locked(escalation)
    if not _lead(actor, escalation):
        raise EscalationError(_("Only a lead of %(team)s assigns these.")
                              % {"team": escalation.target_team})  # fmt: skip
    if not owner.is_active or owner.team_id != escalation.target_team_id:
        raise EscalationError(_("%(name)s is not in %(team)s.")
                              % {"name": owner, "team": escalation.target_team})  # fmt: skip
    if not escalation.is_open:
        raise EscalationConflict(_("Only an open escalation can be assigned."))
    if escalation.owner_id == owner.pk:
        return escalation
    now = timezone.now()
    before = {"owner": escalation.owner.email if escalation.owner else None}
    escalation.owner, escalation.updated_at = owner, now
    fields = ["owner", "updated_at"]
    if escalation.status == S.REQUESTED:
        escalation.status, escalation.accepted_at = S.ACCEPTED, now
        fields += ["status", "accepted_at"]
        _stop_paging(escalation, actor, now)
    escalation.save(update_fields=fields)
    _ticket_event(escalation.ticket, actor, TicketEventKind.ESCALATION_ASSIGNED, now=now,
                  before=before, after={**_describe(escalation), "owner": owner.email})  # fmt: skip
    return escalation


@transaction.atomic
def escalation_start(*, actor: User, escalation: Escalation) -> Escalation:
    escalation = _locked(escalation)
    if not (_lead(actor, escalation) or escalation.owner_id == actor.pk):
        raise EscalationError(_("Only its owner or a lead starts work on it."))
    now = timezone.now()
    _move(escalation, actor, S.IN_PROGRESS, [S.ACCEPTED], now=now)
    escalation.save(update_fields=["status", "updated_at"])
    return escalation


@transaction.atomic
def escalation_return(*, actor: User, escalation: Escalation, note: str) -> Escalation:
    """Back to the agent with a note saying what to do (the agent sees it on the ticket)."""
    escalation = _locked(escalation)
    if not _member(actor, escalation):
        raise EscalationError(_("Only %(team)s returns these.") % {"team": escalation.target_team})
    note = _text(note, _("A note for the agent"))
    now = timezone.now()
    _move(escalation, actor, S.RETURNED, OPEN_ESCALATION, after={"note": note[:500]}, now=now)
    escalation.save(update_fields=["status", "closed_at", "updated_at"])
    _note(escalation, actor, note, now)
    _stop_paging(escalation, actor, now)
    return escalation


@transaction.atomic
def escalation_resolve(*, actor: User, escalation: Escalation, outcome: str) -> Escalation:
    escalation = _locked(escalation)
    if not (_lead(actor, escalation) or escalation.owner_id == actor.pk):
        raise EscalationError(_("Only its owner or a lead resolves it."))
    outcome = _text(outcome, _("The outcome"))
    now = timezone.now()
    _move(escalation, actor, S.RESOLVED, [S.ACCEPTED, S.IN_PROGRESS],
          after={"outcome": outcome[:500]}, now=now)  # fmt: skip
    escalation.outcome = outcome
    escalation.save(update_fields=["status", "outcome", "closed_at", "updated_at"])
    return escalation


@transaction.atomic
def escalation_reject(*, actor: User, escalation: Escalation, note: str) -> Escalation:
    escalation = _locked(escalation)
    if not _lead(actor, escalation):
        raise EscalationError(_("Only a lead of %(team)s rejects these.")
                              % {"team": escalation.target_team})  # fmt: skip
    note = _text(note, _("A reason"))
    now = timezone.now()
    _move(escalation, actor, S.REJECTED, [S.REQUESTED, S.ACCEPTED], after={"note": note[:500]},
          now=now)  # fmt: skip
    escalation.save(update_fields=["status", "closed_at", "updated_at"])
    _note(escalation, actor, note, now)
    _stop_paging(escalation, actor, now)
    return escalation


@transaction.atomic
def escalation_note_add(*, actor: User, escalation: Escalation, body: str) -> EscalationNote:
    escalation = _locked(escalation)
    body = _text(body, _("A note"), limit=10_000)
    now = timezone.now()
    note = EscalationNote.objects.create(escalation=escalation, author=actor, body=body,
                                         created_at=now)  # fmt: skip
    Escalation.objects.filter(pk=escalation.pk).update(updated_at=now)
    _ticket_event(escalation.ticket, actor, TicketEventKind.ESCALATION_NOTE, now=now,
                  after={"escalation": escalation.pk, "note": body[:500]})  # fmt: skip
    return note


# ------------------------------------------------------------- incidents


def _can_run_incidents(actor: User) -> bool:
    return selectors.can_manage_incidents(actor)


@transaction.atomic
def incident_open(*, actor: User, title: str, severity: int, commander: User | None = None,
                  team: Team | None = None, tickets: Iterable[Ticket] = (), tracker_key: str = "",
                  tracker_url: str = "") -> Incident:  # fmt: skip
    if not _can_run_incidents(actor):
        raise EscalationError(_("Only in-house leads and admins open incidents."))
    title = _text(title, _("A title"), limit=200)
    if severity not in Severity.values:
        raise EscalationError(_("Choose a severity."))
    now = timezone.now()
    incident = Incident.objects.create(
        title=title, severity=severity, commander=commander or actor, team=team,
        tracker_key=tracker_key.strip()[:64], tracker_url=tracker_url.strip()[:500],
        created_by=actor, created_at=now, updated_at=now,
    )  # fmt: skip
    IncidentUpdate.objects.create(incident=incident, author=actor, status=incident.status,
                                  body=_("Incident opened."), created_at=now)  # fmt: skip
    incident_add_tickets(actor=actor, incident=incident, tickets=tickets)
    if severity in PAGING_SEVERITIES and team is not None:
        rotation = Rotation.objects.filter(team=team).first()
        if rotation is not None:
            page_open(rotation=rotation, severity=severity, incident=incident, now=now,
                      summary=f"{incident.get_severity_display()}: {title}"[:300])  # fmt: skip
    return incident


@transaction.atomic
def incident_add_tickets(*, actor: User, incident: Incident, tickets: Iterable[Ticket]) -> int:
    if not _can_run_incidents(actor):
        raise EscalationError(_("Only in-house leads and admins change incidents."))
    now = timezone.now()
    have = set(incident.links.values_list("ticket_id", flat=True))
    added = 0
    linked: list[Ticket] = []
    for ticket in tickets:
        if ticket.pk in have:
            continue
        IncidentTicket.objects.create(incident=incident, ticket=ticket, added_by=actor,
                                      added_at=now)  # fmt: skip
        _ticket_event(ticket, actor, TicketEventKind.INCIDENT_LINKED, now=now,
                      after={"incident": incident.pk, "title": incident.title})  # fmt: skip
        have.add(ticket.pk)
        linked.append(ticket)
        added += 1
    if added:
        Incident.objects.filter(pk=incident.pk).update(updated_at=now)
        hooks.incident_tickets_linked.send(
            hooks.TicketsLinked(incident=incident, tickets=tuple(linked))
        )
    return added


@transaction.atomic
def incident_remove_ticket(*, actor: User, incident: Incident, ticket: Ticket) -> bool:
    if not _can_run_incidents(actor):
        raise EscalationError(_("Only in-house leads and admins change incidents."))
    deleted, _rows = IncidentTicket.objects.filter(incident=incident, ticket=ticket).delete()
    if deleted:
        _ticket_event(ticket, actor, TicketEventKind.INCIDENT_UNLINKED,
                      after={"incident": incident.pk, "title": incident.title})  # fmt: skip
    return bool(deleted)


@transaction.atomic
def incident_post_update(*, actor: User, incident: Incident, body: str, status: str = "",
                         notify_requesters: bool = False, macro: Macro | None = None,
                         expected_plan: str = "") -> IncidentUpdate:  # fmt: skip
    """An update on the incident's timeline; optionally also a public reply on every
    linked ticket the actor may answer (``selectors.incident_reply_plan``: each goes out
    through the outbox, in the ticket's language when the chosen macro has a variant in
    it). ``expected_plan`` is the fingerprint of the plan the actor confirmed: if the
    tickets it would reach have changed since, nothing is posted."""
    from tickets.services import TicketError, macro_render, ticket_reply

    if not _can_run_incidents(actor):
        raise EscalationError(_("Only in-house leads and admins post incident updates."))
    body = _text(body, _("The update"), required=macro is None, limit=10_000)
    if macro is not None and not selectors.incident_macros(actor).filter(pk=macro.pk).exists():
        raise EscalationError(_("That macro is not available to you."))
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    now = timezone.now()
    status = status or incident.status
    if status not in Incident.Status.values:
        raise EscalationError(_("Unknown incident status."))
    fields = ["updated_at"]
    if status != incident.status:
        incident.status = status
        incident.resolved_at = now if status == Incident.Status.RESOLVED else None
        fields += ["status", "resolved_at"]
        if status == Incident.Status.RESOLVED:
            Page.objects.filter(incident=incident, status=Page.Status.OPEN).update(
                status=Page.Status.CANCELLED, next_action_at=None)  # fmt: skip
    incident.updated_at = now
    incident.save(update_fields=fields)
    sent = 0
    if notify_requesters:
        plan = selectors.incident_reply_plan(actor, incident, body=body, macro=macro)
        if expected_plan and expected_plan != plan.fingerprint:
            raise EscalationConflict(
                _("The linked tickets changed since the preview: check it again before sending.")
            )
        for ticket, variant in plan.send:
            text = macro_render(variant, ticket=ticket, agent=actor) if variant else body
            try:
                with transaction.atomic():
                    ticket_reply(actor=actor, ticket=ticket, body=text)
            except TicketError:
                continue  # changed under us (closed meanwhile); counted as not sent
            sent += 1
    update = IncidentUpdate.objects.create(
        incident=incident, author=actor, status=status, created_at=now, sent_to=sent,
        body=body or (macro.body if macro else ""),
    )  # fmt: skip
    return update


@transaction.atomic
def incident_comment(*, actor: User, incident: Incident, body: str) -> IncidentUpdate:
    """A comment on the incident's timeline from anyone who may see the incident (vendors
    read and comment on incidents that link their tickets): the status, the tickets and
    the requesters are left alone. The timeline entry names its author."""
    if not selectors.visible_incidents(actor).filter(pk=incident.pk).exists():
        raise EscalationError(_("You cannot comment on this incident."))
    body = _text(body, _("A comment"), limit=10_000)
    # The row lock orders the comment after any status change in flight, so the status
    # it records is the one in force.
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    return IncidentUpdate.objects.create(incident=incident, author=actor, status=incident.status,
                                         body=body, created_at=timezone.now())  # fmt: skip


@transaction.atomic
def incident_set_tracker(*, actor: User, incident: Incident, key: str, url: str) -> Incident:
    if not _can_run_incidents(actor):
        raise EscalationError(_("Only in-house leads and admins change incidents."))
    url = url.strip()
    if url and not url.startswith(("https://", "http://")):
        raise EscalationError(_("The bug tracker link must start with https://."))
    Incident.objects.filter(pk=incident.pk).update(
        tracker_key=key.strip()[:64], tracker_url=url[:500], updated_at=timezone.now())  # fmt: skip
    incident.refresh_from_db()
    return incident


# ------------------------------------------------------------------ pages


def _page_notify(page: Page, now: datetime) -> None:
    """Email the person paged now; post to the rotation's webhook if it has one. The key
    names the attempt, so each repeat and each next person is its own notification."""
    target = page.target
    if target is None:
        return
    rotation = page.rotation
    link = absolute_url("escalations:page", page.token)
    attempt = [page.pk, len(page.tried), page.attempts, target.pk]
    batch = outbox.Batch()
    batch.email(
        kind="page", key=[*attempt, "email"], to=target.email, template="page",
        context={"page": page, "team": rotation.team.name, "link": link,
                 "repeats": rotation.repeats},
        language=mail.language_for(target), automatic="auto-generated", now=now,
        ticket=page.escalation.ticket if page.escalation else None,
    )  # fmt: skip
    if rotation.webhook_url:
        batch.webhook(
            kind="page", key=[*attempt, "webhook"], url=rotation.webhook_url, now=now,
            payload={"event": "page", "rotation_id": rotation.pk, "team": rotation.team.name,
                     "severity": f"SEV{page.severity}", "summary": page.summary,
                     "on_call": target.email, "attempt": page.attempts, "acknowledge_url": link},
        )  # fmt: skip
    batch.queue()


def page_open(*, rotation: Rotation, severity: int, summary: str, now: datetime,
              escalation: Escalation | None = None,
              incident: Incident | None = None) -> Page | None:  # fmt: skip
    members = oncall.members(rotation)
    if not members:
        return None
    target = oncall.on_call_at(rotation, now, members=members) or members[0]
    page = Page.objects.create(
        rotation=rotation, escalation=escalation, incident=incident, severity=severity,
        summary=summary, target=target, attempts=1, tried=[target.pk], created_at=now,
        next_action_at=now + timedelta(minutes=rotation.repeat_minutes),
    )  # fmt: skip
    _page_notify(page, now)
    return page


@transaction.atomic
def page_acknowledge(*, actor: User, page: Page) -> Page:
    page = Page.objects.select_for_update().get(pk=page.pk)
    if page.status != Page.Status.OPEN:
        return page
    now = timezone.now()
    page.status, page.acknowledged_by, page.acknowledged_at = Page.Status.ACKNOWLEDGED, actor, now
    page.next_action_at = None
    page.save(update_fields=["status", "acknowledged_by", "acknowledged_at", "next_action_at"])
    if page.escalation:
        _ticket_event(page.escalation.ticket, actor, TicketEventKind.PAGE_ACKNOWLEDGED, now=now,
                      after={"page": page.pk, "escalation": page.escalation_id})  # fmt: skip
    return page


def pages_sweep(now: datetime | None = None, batch: int = 200) -> int:
    """Repeat each due, unacknowledged page to the same person, or after
    ``rotation.repeats`` tries move it to the next person in the rotation."""
    now = now or timezone.now()
    done = 0
    with transaction.atomic():
        due = list(
            Page.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(status=Page.Status.OPEN, next_action_at__lte=now)
            .select_related("rotation__team", "target", "escalation__ticket")
            .order_by("next_action_at")[:batch]
        )  # fmt: skip
        for page in due:
            rotation = page.rotation
            if page.attempts >= rotation.repeats:
                members = oncall.members(rotation)
                following = oncall.next_after(members, page.target_id)
                if following is not None:
                    page.target = following
                    page.tried = [*page.tried, following.pk]
                    page.attempts = 0
            page.attempts += 1
            page.next_action_at = now + timedelta(minutes=rotation.repeat_minutes)
            page.save(update_fields=["target", "tried", "attempts", "next_action_at"])
            _page_notify(page, now)
            done += 1
    return done
