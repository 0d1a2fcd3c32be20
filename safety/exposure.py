"""Exposure of the people who review graphic content: counted, limited, and eased.

Every reveal of protected content is an ``Exposure`` row (``reveal_start``; its seconds
come later from ``reveal_end``). Only categories marked ``graphic`` count toward caps.
A *shift* is a rolling window: the last ``SAFETY_SHIFT_HOURS`` hours (default 9), not a
rota; totals per category over it are one query on the ``safety_exposure_agent`` index.

- Soft cap (``soft_cap_minutes`` / ``soft_cap_items``): once passed, ``after_reveal``
  answers a ``Prompt`` (take a break) and a cool-down of ``cooldown_minutes`` starts, in
  which "next ticket" hands out no graphic work.
- Hard cap: ``reveal_start`` refuses (``HardCapReached``) unless a lead granted a live
  ``CapOverride``.
- Next ticket (``tickets.next_rules``): graphic queues are skipped in a cool-down and for
  the categories the agent opted out of, and taken only when nothing else waits right
  after a graphic ticket (never two in a row while other work waits).

The rule answers from one cache read (``cache.get_many`` of the agent's three keys, one
Redis round trip) and the per-process taxonomy: "next ticket" is the hot path. The keys:
``cooldown`` (until when), ``last-graphic`` (the last ticket assigned to them was in a
graphic queue; written after commit by the ``assigned`` hook) and ``opt-outs`` (the
category ids of their approved opt-outs; rewritten after every opt-out decision, and
rebuilt after the next assignment when Redis lost it)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Count, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import Conflict, Forbidden, Invalid, NotFound
from safety import categories
from safety.models import CapOverride, Clearance, Exposure, HarmCategory, OptOut, SafetyEvent
from tickets import hooks, next_rules

if TYPE_CHECKING:
    from accounts.models import User
    from tickets.models import Attachment, Ticket

MAX_REVEAL_SECONDS = 600
MAX_OVERRIDE_HOURS = 12
_KEY = "safety:exposure:{}:{}"


class ExposureError(Invalid):
    """An exposure change refused as asked."""


class HardCapReached(Forbidden, ExposureError):
    """The agent reached a category's hard cap this shift; a lead may override it."""


class NotYourPeople(NotFound, ExposureError):
    """The lead does not lead this person (404: whom they lead is not to be probed)."""


class ExposureConflict(Conflict, ExposureError):
    """The opt-out or override changed meanwhile."""


@dataclass(frozen=True)
class Totals:
    items: int = 0
    seconds: int = 0

    @property
    def minutes(self) -> int:
        return self.seconds // 60


@dataclass(frozen=True)
class Prompt:
    """A break to suggest after a reveal past a soft cap."""

    category: str
    items: int
    minutes: int
    cooldown_minutes: int
    until: datetime

    @property
    def message(self) -> str:
        return _(
            "You have looked at %(items)s items (%(minutes)s minutes) of %(category)s this "
            "shift. Take a break: for the next %(cooldown)s minutes “Next ticket” gives you "
            "other work."
        ) % {
            "items": self.items,
            "minutes": self.minutes,
            "category": self.category,
            "cooldown": self.cooldown_minutes,
        }


# ------------------------------------------------------------------------ windows


def shift_hours() -> int:
    return settings.SAFETY_SHIFT_HOURS


def shift_start(now: datetime | None = None) -> datetime:
    """The start of the rolling window that counts as the current shift."""
    return (now or timezone.now()) - timedelta(hours=shift_hours())


def totals_by_category(agent: User, *, since: datetime | None = None) -> dict[int | None, Totals]:
    """Items and seconds per category since ``since`` (the shift): one indexed query."""
    rows = (
        Exposure.objects.filter(agent_id=agent.pk, revealed_at__gte=since or shift_start())
        .values("category_id")
        .annotate(items=Count("id"), seconds=Coalesce(Sum("seconds"), 0))
        .order_by()
    )
    return {row["category_id"]: Totals(row["items"], row["seconds"]) for row in rows}


def soft_passed(category: HarmCategory, totals: Totals) -> bool:
    return bool(
        (category.soft_cap_items is not None and totals.items >= category.soft_cap_items)
        or (category.soft_cap_minutes is not None and totals.minutes >= category.soft_cap_minutes)
    )


def hard_reached(category: HarmCategory, totals: Totals) -> bool:
    return bool(
        (category.hard_cap_items is not None and totals.items >= category.hard_cap_items)
        or (category.hard_cap_minutes is not None and totals.minutes >= category.hard_cap_minutes)
    )


def live_override(agent: User, category: HarmCategory) -> CapOverride | None:
    return (
        CapOverride.objects.filter(
            agent_id=agent.pk, category_id=category.pk, expires_at__gt=timezone.now()
        )
        .order_by("-expires_at")
        .first()
    )


# ------------------------------------------------------------------------ reveals


def reveal_start(
    *,
    agent: User,
    ticket: Ticket | None,
    category: HarmCategory | None,
    kind: str,
    attachment: Attachment | None = None,
) -> Exposure:
    """Record one reveal. Past a graphic category's hard cap it is refused
    (``HardCapReached``) unless a lead's override is live; such a reveal names it and
    is audited."""
    override = None
    if category is not None and category.graphic:
        totals = totals_by_category(agent).get(category.pk, Totals())
        if hard_reached(category, totals):
            override = live_override(agent, category)
            if override is None:
                raise HardCapReached(
                    _(
                        "You have reached this shift's limit for %(category)s. A lead can "
                        "allow you to go on (an override)."
                    )
                    % {"category": category.name}
                )
    with transaction.atomic():
        exposure = Exposure.objects.create(
            agent=agent,
            ticket=ticket,
            category=category,
            attachment=attachment,
            kind=kind,
            # 32 hex characters: fits the column as 0002 made it (32) and as 0003 widens it.
            token=secrets.token_hex(16),
            override=override,
        )
        if override is not None:
            SafetyEvent.objects.create(
                kind="exposure_past_hard_cap",
                actor=agent,
                subject=agent,
                data={"category": category.key if category else "", "override": override.pk},
            )
    return exposure


def reveal_end(*, agent: User, token: str, seconds: int) -> Exposure | None:
    """How long the reveal lasted, clamped to [0, 600]; it only grows. Someone else's
    token, or an unknown one, changes nothing (None)."""
    seconds = max(0, min(int(seconds), MAX_REVEAL_SECONDS))
    with transaction.atomic():
        exposure = (
            Exposure.objects.select_for_update().filter(token=token, agent_id=agent.pk).first()
        )
        if exposure is None:
            return None
        if seconds > exposure.seconds:
            exposure.seconds = seconds
            exposure.save(update_fields=["seconds"])
    return exposure


def after_reveal(agent: User, category: HarmCategory | None) -> Prompt | None:
    """A break prompt when the agent is past the category's soft cap this shift, or None.
    Passing it starts a cool-down (unless one runs already), audited."""
    if category is None or not category.graphic:
        return None
    if category.soft_cap_items is None and category.soft_cap_minutes is None:
        return None
    totals = totals_by_category(agent).get(category.pk, Totals())
    if not soft_passed(category, totals):
        return None
    now = timezone.now()
    running = cooldown_until(agent)
    if running is not None and running > now:
        until = running
    else:
        until = now + timedelta(minutes=category.cooldown_minutes)
        SafetyEvent.objects.create(
            kind="exposure_cooldown_started",
            actor=agent,
            subject=agent,
            data={
                "category": category.key,
                "items": totals.items,
                "minutes": totals.minutes,
                "until": until.isoformat(),
            },
        )
        _after_commit(lambda: _set_cooldown(agent.pk, until))
    return Prompt(
        category=category.name,
        items=totals.items,
        minutes=totals.minutes,
        cooldown_minutes=category.cooldown_minutes,
        until=until,
    )


# ---------------------------------------------------------------------- the cache


def _key(agent_id: int, part: str) -> str:
    return _KEY.format(agent_id, part)


def _after_commit(action: Any) -> None:
    transaction.on_commit(action)


def _set_cooldown(agent_id: int, until: datetime) -> None:
    timeout = max(1, int((until - timezone.now()).total_seconds()))
    cache.set(_key(agent_id, "cooldown"), until.timestamp(), timeout=timeout)


def cooldown_until(agent: User) -> datetime | None:
    value = cache.get(_key(agent.pk, "cooldown"))
    if value is None:
        return None
    until = datetime.fromtimestamp(float(value), tz=timezone.get_current_timezone())
    return until if until > timezone.now() else None


def end_cooldown(agent: User) -> None:
    cache.delete(_key(agent.pk, "cooldown"))


def _approved_opt_out_ids(agent_id: int) -> list[int]:
    return list(
        OptOut.objects.filter(agent_id=agent_id, state=OptOut.State.APPROVED).values_list(
            "category_id", flat=True
        )
    )


def _store_opt_outs(agent_id: int) -> None:
    cache.set(_key(agent_id, "opt-outs"), _approved_opt_out_ids(agent_id), timeout=None)


def exposure_rule(agent: User) -> next_rules.NextRule | None:
    """The next-ticket rule: one cache round trip, no query (the taxonomy is cached).
    It works on tickets' categories, not queues: graphic and other reports share the
    reports queue, and a cool-down or an opt-out leaves the rest of its work open."""
    graphic = categories.graphic_keys()
    if not graphic:
        return None
    keys = [_key(agent.pk, "cooldown"), _key(agent.pk, "last-graphic"), _key(agent.pk, "opt-outs")]
    state = cache.get_many(keys)
    skip: set[str] = set()
    until = state.get(keys[0])
    if until is not None and float(until) > timezone.now().timestamp():
        skip |= graphic
    opted = state.get(keys[2]) or ()
    if opted:
        known = categories.by_id()
        skip |= {known[pk].key for pk in opted if pk in known}
    later = graphic if state.get(keys[1]) else frozenset()
    if not skip and not later:
        return None
    return next_rules.NextRule(skip_categories=frozenset(skip), later_categories=later)


def on_assigned(event: hooks.Assigned) -> None:
    """Remember, after commit, whether the agent's last ticket was graphic."""
    if event.new is None:
        return
    graphic = categories.graphic_keys()
    if not graphic:
        return
    agent_id = event.new
    was_graphic = event.ticket.category in graphic

    def remember() -> None:
        key = _key(agent_id, "last-graphic")
        if was_graphic:
            cache.set(key, True, timeout=shift_hours() * 3600)
        else:
            cache.delete(key)
        if cache.get(_key(agent_id, "opt-outs")) is None:
            _store_opt_outs(agent_id)

    _after_commit(remember)


# ------------------------------------------------------------------------ leading


def leads(lead: User, agent: User) -> bool:
    """The lead leads this person: an admin anyone; a vendor's lead their vendor's
    agents; an in-house lead their team's agents (not a fellow lead, whose figures are
    theirs and the admins'). Nobody leads themselves."""
    from accounts.models import Role
    from accounts.selectors import visible_users

    if lead.pk == agent.pk or not lead.is_active:
        return False
    if lead.is_admin:
        return True
    if not lead.is_lead or agent.role != Role.AGENT:
        return False
    return visible_users(lead).filter(pk=agent.pk).exists()


def grant_override(
    *,
    lead: User,
    agent: User,
    category: HarmCategory,
    reason: str,
    until: datetime | None = None,
) -> CapOverride:
    """Let the agent go past the category's hard cap until ``until`` (at most 12 hours
    from now), or the end of the current shift window when not given."""
    if not leads(lead, agent):
        raise NotYourPeople(_("No such person among the people you lead."))
    reason = (reason or "").strip()
    if not reason:
        raise ExposureError(_("Say why the limit may be passed."))
    now = timezone.now()
    if until is None:
        until = now + timedelta(hours=shift_hours())
    if until <= now:
        raise ExposureError(_("The override must end in the future."))
    if until > now + timedelta(hours=MAX_OVERRIDE_HOURS):
        raise ExposureError(_("An override lasts at most 12 hours."))
    with transaction.atomic():
        override = CapOverride.objects.create(
            agent=agent, category=category, granted_by=lead, reason=reason, expires_at=until
        )
        SafetyEvent.objects.create(
            kind="cap_override_granted",
            actor=lead,
            subject=agent,
            data={"category": category.key, "until": until.isoformat(), "reason": reason},
        )
    return override


# ---------------------------------------------------------------------- opt-outs


def request_opt_out(*, agent: User, category: HarmCategory, reason: str) -> OptOut:
    if not category.graphic:
        raise ExposureError(_("Only graphic categories can be opted out of."))
    try:
        with transaction.atomic():
            opt_out = OptOut.objects.create(
                agent=agent, category=category, reason=(reason or "").strip()
            )
            SafetyEvent.objects.create(
                kind="opt_out_requested",
                actor=agent,
                subject=agent,
                data={"category": category.key, "opt_out": opt_out.pk},
            )
    except IntegrityError:
        raise ExposureConflict(
            _("You have already asked to opt out of %(category)s.") % {"category": category.name}
        ) from None
    return opt_out


def _locked_opt_out(pk: int, state: str) -> OptOut:
    opt_out = (
        OptOut.objects.select_for_update().select_related("agent", "category").filter(pk=pk).first()
    )
    if opt_out is None:
        raise NotYourPeople(_("No such request."))
    if opt_out.state != state:
        raise ExposureConflict(_("This request was already decided or withdrawn."))
    return opt_out


def decide_opt_out(*, lead: User, opt_out_id: int, approve: bool) -> OptOut:
    with transaction.atomic():
        opt_out = _locked_opt_out(opt_out_id, OptOut.State.REQUESTED)
        if not leads(lead, opt_out.agent):
            raise NotYourPeople(_("No such request."))
        opt_out.state = OptOut.State.APPROVED if approve else OptOut.State.REFUSED
        opt_out.decided_by = lead
        opt_out.decided_at = timezone.now()
        opt_out.save(update_fields=["state", "decided_by", "decided_at"])
        SafetyEvent.objects.create(
            kind="opt_out_approved" if approve else "opt_out_refused",
            actor=lead,
            subject=opt_out.agent,
            data={"category": opt_out.category.key, "opt_out": opt_out.pk},
        )
        agent_id = opt_out.agent_id
        _after_commit(lambda: _store_opt_outs(agent_id))
    return opt_out


def withdraw_opt_out(*, agent: User, opt_out_id: int) -> OptOut:
    with transaction.atomic():
        opt_out = (
            OptOut.objects.select_for_update()
            .select_related("category")
            .filter(pk=opt_out_id, agent_id=agent.pk)
            .first()
        )
        if opt_out is None:
            raise NotYourPeople(_("No such request."))
        if opt_out.state not in (OptOut.State.REQUESTED, OptOut.State.APPROVED):
            raise ExposureConflict(_("This request was already refused or withdrawn."))
        opt_out.state = OptOut.State.WITHDRAWN
        opt_out.save(update_fields=["state"])
        SafetyEvent.objects.create(
            kind="opt_out_withdrawn",
            actor=agent,
            subject=agent,
            data={"category": opt_out.category.key, "opt_out": opt_out.pk},
        )
        agent_id = agent.pk
        _after_commit(lambda: _store_opt_outs(agent_id))
    return opt_out


# --------------------------------------------------------------------- clearance


def grant_clearance(*, admin: User, user: User, note: str = "") -> Clearance:
    if not admin.is_admin:
        raise Forbidden(_("Only an administrator grants clearance."))
    try:
        with transaction.atomic():
            clearance = Clearance.objects.create(
                user=user, granted_by=admin, note=(note or "").strip()[:200]
            )
            SafetyEvent.objects.create(
                kind="clearance_granted", actor=admin, subject=user, data={"note": clearance.note}
            )
    except IntegrityError:
        raise ExposureConflict(_("%(user)s is already cleared.") % {"user": user}) from None
    return clearance


def revoke_clearance(*, admin: User, user: User) -> None:
    if not admin.is_admin:
        raise Forbidden(_("Only an administrator revokes clearance."))
    with transaction.atomic():
        deleted, _rows = Clearance.objects.filter(user_id=user.pk).delete()
        if not deleted:
            raise ExposureConflict(_("%(user)s is not cleared.") % {"user": user})
        SafetyEvent.objects.create(kind="clearance_revoked", actor=admin, subject=user)


# ---------------------------------------------------------------------- wiring


def _in_wellbeing(user: Any) -> bool:
    return bool(user.is_authenticated and user.is_active)


def connect() -> None:
    from core import navigation

    next_rules.register("safety-exposure", exposure_rule)
    hooks.assigned.connect(on_assigned)
    navigation.register(navigation.NavEntry(
        key="wellbeing", label=gettext_lazy("Wellbeing"), url_name="safety:wellbeing",
        order=650, visible_to=_in_wellbeing))  # fmt: skip
