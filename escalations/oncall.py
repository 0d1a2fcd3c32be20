"""Who is on call: turns counted in the rotation's own wall-clock time, so a hand-off
stays at 09:00 local across daylight-saving changes; an override wins while it lasts."""

from __future__ import annotations

import math
import zoneinfo
from datetime import date, datetime, timedelta

from accounts.models import User
from escalations.models import Rotation


def members(rotation: Rotation) -> list[User]:
    return [
        m.user
        for m in rotation.members.select_related("user").filter(user__is_active=True)
        .order_by("position", "id")
    ]  # fmt: skip


def first_handoff(rotation: Rotation) -> datetime:
    """The first hand-off, as a naive local date and time."""
    day: date = rotation.starts_on
    day += timedelta(days=(rotation.handoff_weekday - day.weekday()) % 7)
    return datetime.combine(day, rotation.handoff_time)


def on_call_at(rotation: Rotation, at: datetime, *,
               members: list[User] | None = None) -> User | None:  # fmt: skip
    override = (
        rotation.overrides.filter(starts_at__lte=at, ends_at__gt=at, user__is_active=True)
        .select_related("user").order_by("-starts_at").first()
    )  # fmt: skip
    if override is not None:
        return override.user
    people = members if members is not None else globals()["members"](rotation)
    if not people:
        return None
    local = at.astimezone(zoneinfo.ZoneInfo(rotation.time_zone)).replace(tzinfo=None)
    elapsed = (local - first_handoff(rotation)) / timedelta(days=max(1, rotation.shift_days))
    return people[math.floor(elapsed) % len(people)]


def next_after(people: list[User], user_id: int | None) -> User | None:
    """The next person in the rotation's order after ``user_id`` (wrapping round)."""
    if not people:
        return None
    ids = [p.pk for p in people]
    if user_id not in ids:
        return people[0]
    return people[(ids.index(user_id) + 1) % len(people)]
