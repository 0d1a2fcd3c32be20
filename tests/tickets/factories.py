"""Tickets for tests, made through the services like real ones."""

from __future__ import annotations

import itertools

from django.utils.text import slugify

from accounts.models import Team, Vendor
from tickets import services
from tickets.models import Macro, Queue, Requester, Ticket

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
