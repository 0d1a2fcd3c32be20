"""Reads for the wellbeing pages: an agent's own exposure, and the aggregates of the
people a lead leads. Figures only, never content nor ticket links; each read is a fixed
number of queries (bounded lists)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from accounts.models import Role, User
from accounts.selectors import visible_users
from safety import categories, exposure
from safety.models import CapOverride, Clearance, Exposure, HarmCategory, OptOut

TREND_DAYS = 14
MAX_PEOPLE = 200
MAX_CLEARED = 500


@dataclass
class CategoryRow:
    category: HarmCategory
    shift: exposure.Totals
    fortnight: exposure.Totals
    soft_passed: bool = False
    hard_reached: bool = False


@dataclass
class Wellbeing:
    person: User
    shift_hours: int
    rows: list[CategoryRow]
    other: exposure.Totals  # reveals in non-graphic categories (or none) this shift
    cooldown_until: datetime | None
    opt_outs: list[OptOut] = field(default_factory=list)
    can_opt_out: list[HarmCategory] = field(default_factory=list)


def _fortnight_start() -> datetime:
    return timezone.now() - timedelta(days=TREND_DAYS)


def wellbeing(person: User, *, with_opt_outs: bool = True) -> Wellbeing:
    """The person's exposure this shift and the last 14 days by category, their caps and
    cool-down, and their opt-outs: three queries (two with ``with_opt_outs`` off)."""
    shift = exposure.totals_by_category(person)
    fortnight = exposure.totals_by_category(person, since=_fortnight_start())
    rows: list[CategoryRow] = []
    other_items = other_seconds = 0
    graphic_ids = set()
    for category in categories.active():
        if not category.graphic:
            continue
        graphic_ids.add(category.pk)
        now = shift.get(category.pk, exposure.Totals())
        rows.append(CategoryRow(
            category=category, shift=now,
            fortnight=fortnight.get(category.pk, exposure.Totals()),
            soft_passed=exposure.soft_passed(category, now),
            hard_reached=exposure.hard_reached(category, now)))  # fmt: skip
    for category_id, totals in shift.items():
        if category_id not in graphic_ids:
            other_items += totals.items
            other_seconds += totals.seconds
    result = Wellbeing(
        person=person, shift_hours=exposure.shift_hours(), rows=rows,
        other=exposure.Totals(other_items, other_seconds),
        cooldown_until=exposure.cooldown_until(person))  # fmt: skip
    if with_opt_outs:
        result.opt_outs = list(
            OptOut.objects.filter(agent_id=person.pk).select_related("category")
            .order_by("-created_at")[:50]
        )  # fmt: skip
        live = {o.category_id for o in result.opt_outs if o.state in ("requested", "approved")}
        result.can_opt_out = [row.category for row in rows if row.category.pk not in live]
    return result


# ------------------------------------------------------------------- the lead's view


def led_people(lead: User) -> QuerySet[User]:
    """The people whose exposure the lead may see (as ``exposure.leads``): an admin
    everyone, a vendor's lead their vendor's agents, an in-house lead their team's
    agents; never themselves, and a lead never a fellow lead. Agents: nobody."""
    if not (lead.is_admin or lead.is_lead):
        return User.objects.none()
    people = visible_users(lead).filter(is_active=True).exclude(pk=lead.pk)
    return people if lead.is_admin else people.filter(role=Role.AGENT)


def can_lead(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active and (user.is_admin or user.is_lead))


@dataclass
class PersonRow:
    person: User
    items: int
    minutes: int
    by_category: dict[int, exposure.Totals]


@dataclass
class DayRow:
    day: date
    items: int
    minutes: int


@dataclass
class PeopleExposure:
    people: list[PersonRow]
    truncated: bool
    trend: list[DayRow]
    graphic: list[HarmCategory]
    requests: list[OptOut]
    overrides: list[CapOverride]


def people_exposure(lead: User) -> PeopleExposure:
    """The shift's graphic exposure of each person the lead leads (the most exposed
    first, at most 200), the daily trend over 14 days, open opt-out requests and live
    overrides: five queries."""
    people_qs = led_people(lead)
    people = list(people_qs.select_related("team").order_by("full_name", "pk")[: MAX_PEOPLE + 1])
    truncated = len(people) > MAX_PEOPLE
    people = people[:MAX_PEOPLE]
    ids = [p.pk for p in people]
    graphic = [c for c in categories.active() if c.graphic]
    graphic_ids = [c.pk for c in graphic]
    rows = (
        Exposure.objects.filter(agent_id__in=ids, revealed_at__gte=exposure.shift_start(),
                                category_id__in=graphic_ids)
        .values("agent_id", "category_id")
        .annotate(items=Count("id"), seconds=Coalesce(Sum("seconds"), 0))
        .order_by()
    )  # fmt: skip
    per: dict[int, dict[int, exposure.Totals]] = {}
    for row in rows:
        per.setdefault(row["agent_id"], {})[row["category_id"]] = exposure.Totals(
            row["items"], row["seconds"]
        )
    person_rows = []
    for person in people:
        by_category = per.get(person.pk, {})
        items = sum(t.items for t in by_category.values())
        seconds = sum(t.seconds for t in by_category.values())
        person_rows.append(PersonRow(person, items, seconds // 60, by_category))
    person_rows.sort(key=lambda r: (-r.minutes, -r.items, r.person.full_name))
    days = (
        Exposure.objects.filter(agent_id__in=people_qs.values("pk"),
                                revealed_at__gte=_fortnight_start(),
                                category_id__in=graphic_ids)
        .annotate(day=TruncDate("revealed_at"))
        .values("day")
        .annotate(items=Count("id"), seconds=Coalesce(Sum("seconds"), 0))
        .order_by("day")
    )  # fmt: skip
    trend = [DayRow(d["day"], d["items"], d["seconds"] // 60) for d in days]
    requests = list(
        OptOut.objects.filter(agent_id__in=people_qs.values("pk"), state=OptOut.State.REQUESTED)
        .select_related("agent", "category").order_by("created_at")[:100]
    )  # fmt: skip
    overrides = list(
        CapOverride.objects.filter(agent_id__in=people_qs.values("pk"),
                                   expires_at__gt=timezone.now())
        .select_related("agent", "category", "granted_by").order_by("expires_at")[:100]
    )  # fmt: skip
    return PeopleExposure(person_rows, truncated, trend, graphic, requests, overrides)


def person_for(lead: User, pk: int) -> User | None:
    """One person the lead leads (None: not theirs, or nobody)."""
    return led_people(lead).filter(pk=pk).first()


def daily_for(person: User) -> list[DayRow]:
    days = (
        Exposure.objects.filter(agent_id=person.pk, revealed_at__gte=_fortnight_start(),
                                category__graphic=True)
        .annotate(day=TruncDate("revealed_at"))
        .values("day")
        .annotate(items=Count("id"), seconds=Coalesce(Sum("seconds"), 0))
        .order_by("day")
    )  # fmt: skip
    return [DayRow(d["day"], d["items"], d["seconds"] // 60) for d in days]


# ------------------------------------------------------------------------ clearance


def cleared_people() -> list[Clearance]:
    return list(
        Clearance.objects.select_related("user", "granted_by")
        .order_by("user__full_name", "pk")[:MAX_CLEARED]
    )  # fmt: skip


def cleared_person(user_id: int) -> User | None:
    return User.objects.filter(pk=user_id, safety_clearance__isnull=False).first()
