"""Escalation reasons and rotations for tests."""

from __future__ import annotations

import datetime
import itertools

from django.utils.text import slugify

from accounts.models import Team, User
from escalations.models import EscalationReason, Rotation, RotationMember, Severity
from tickets.models import Queue

_seq = itertools.count(1)


def reason(team: Team, *, name: str | None = None, trigger: str = EscalationReason.Trigger.MANUAL,
           severity: int = Severity.SEV3, **fields) -> EscalationReason:  # type: ignore[no-untyped-def]  # fmt: skip
    name = name or f"Reason {next(_seq)}"
    return EscalationReason.objects.create(
        name=name,
        slug=slugify(name),
        trigger=trigger,
        target_team=team,
        severity=severity,
        **fields,
    )


def rotation(team: Team, members: list[User], *, starts_on: datetime.date | None = None,
             **fields) -> Rotation:  # type: ignore[no-untyped-def]  # fmt: skip
    fields.setdefault("handoff_weekday", 0)
    fields.setdefault("handoff_time", datetime.time(9, 0))
    made = Rotation.objects.create(team=team, starts_on=starts_on or datetime.date(2026, 1, 5),
                                   **fields)  # fmt: skip
    for position, user in enumerate(members):
        RotationMember.objects.create(rotation=made, user=user, position=position)
    return made


def works_queues(team: Team, *queues: Queue) -> None:
    """Grant a specialist team the queues it takes escalations from: an escalation is seen
    only by people who may see its ticket."""
    for queue in queues:
        queue.teams.add(team)
