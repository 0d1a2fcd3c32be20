"""Tickets for tests, made through the services like real ones."""

from __future__ import annotations

import itertools
from datetime import time

from django.utils.text import slugify

from accounts.models import Team, Vendor
from tickets import services
from tickets.models import (
    BusinessCalendar,
    BusinessHours,
    Macro,
    Priority,
    Queue,
    Requester,
    SLAPolicy,
    SLATarget,
    Ticket,
)

_seq = itertools.count(1)


def queue(name: str | None = None, *, teams: list[Team] = (), vendors: list[Vendor] = (),
          languages: list[str] | None = None) -> Queue:  # fmt: skip
    name = name or f"Queue {next(_seq)}"
    q = Queue.objects.create(name=name, slug=slugify(name)[:60] or f"q{next(_seq)}",
                             languages=languages or [])  # fmt: skip
    q.teams.set(teams)
    q.vendors.set(vendors)
    return q


def requester(**fields) -> Requester:  # type: ignore[no-untyped-def]
    n = next(_seq)
    fields.setdefault("email", f"requester{n}@example.net")
    fields.setdefault("name", f"Requester {n}")
    return services.requester_get_or_create(**fields)


def ticket(queue: Queue, *, subject: str = "Cannot log in", body: str = "Help me please.",
           language: str = "en", requester_: Requester | None = None, **fields) -> Ticket:  # type: ignore[no-untyped-def]  # fmt: skip
    return services.ticket_create(
        actor=None, requester=requester_ or requester(), queue=queue, subject=subject, body=body,
        language=language, **fields,
    )  # fmt: skip


def macro(**fields) -> Macro:  # type: ignore[no-untyped-def]
    fields.setdefault("name", f"Macro {next(_seq)}")
    fields.setdefault("language", "en")
    fields.setdefault("body", "Hi {requester_name}, this is {agent_name} about {ticket_reference}.")
    return Macro.objects.create(**fields)


def calendar(name: str | None = None, *, time_zone: str = "UTC", office_hours: bool = False,
             **fields) -> BusinessCalendar:  # type: ignore[no-untyped-def]  # fmt: skip
    """24/7 by default; ``office_hours`` gives Monday to Friday, 09:00 to 18:00."""
    cal = BusinessCalendar.objects.create(
        name=name or f"Calendar {next(_seq)}", time_zone=time_zone,
        always_open=not office_hours, **fields,
    )  # fmt: skip
    if office_hours:
        BusinessHours.objects.bulk_create(
            BusinessHours(calendar=cal, weekday=day, opens=time(9), closes=time(18))
            for day in range(5)
        )
    return cal


def sla_policy(*, calendar_: BusinessCalendar | None = None, queues: list[Queue] = (),
               targets: dict[int, tuple[int | None, int | None, int | None]] | None = None,
               **fields) -> SLAPolicy:  # type: ignore[no-untyped-def]  # fmt: skip
    """Targets in minutes per priority: (first reply, next reply, resolution). Default:
    every priority 60 / 120 / 480."""
    fields.setdefault("name", f"Policy {next(_seq)}")
    policy = SLAPolicy.objects.create(calendar=calendar_ or calendar(), **fields)
    policy.queues.set(queues)
    for priority in Priority.values:
        first, nxt, resolution = (targets or {}).get(priority, (60, 120, 480))
        SLATarget.objects.create(policy=policy, priority=priority, first_reply_minutes=first,
                                 next_reply_minutes=nxt, resolution_minutes=resolution)  # fmt: skip
    return policy
