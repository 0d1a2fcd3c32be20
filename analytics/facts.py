"""Writing facts: the rows the handlers build, in one INSERT per change.

The vendor and team of a fact are those of its agent *at the time*: the INSERT reads them
from the agent's account in the same statement, so a person who moves team later takes
none of their history along.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import connection
from django.utils import timezone

from analytics import measures

if TYPE_CHECKING:
    from tickets.models import Ticket


@dataclass(slots=True)
class FactRow:
    kind: str
    at: datetime
    ticket_id: int
    queue_id: int | None
    language: str
    channel: str
    category: str
    priority: int | None
    tags: list[str]
    agent_id: int | None = None
    sign: int = 1
    value: float | None = None
    bucket: int | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        if self.kind not in measures.ALL_KINDS:
            raise ValueError(f"unknown analytics fact kind {self.kind!r}")
        if self.kind in measures.DURATION_KINDS:
            if self.value is None:
                raise ValueError(f"a {self.kind} fact needs its duration")
            self.value = max(0.0, self.value)
            self.bucket = measures.bucket_of(self.value)

    def as_json(self) -> dict:
        return {
            "kind": self.kind, "at": self.at.isoformat(), "sign": self.sign,
            "value": self.value, "bucket": self.bucket, "ticket_id": self.ticket_id,
            "queue_id": self.queue_id, "agent_id": self.agent_id, "language": self.language,
            "channel": self.channel, "category": self.category, "priority": self.priority,
            "tags": self.tags,
        }  # fmt: skip


def of_ticket(ticket: Ticket, kind: str, at: datetime, *, agent_id: int | None = None,
              sign: int = 1, value: float | None = None) -> FactRow:  # fmt: skip
    """A fact about ``ticket`` as it is now (its queue, language, tags …)."""
    return FactRow(
        kind=kind, at=at, ticket_id=ticket.pk, queue_id=ticket.queue_id,
        language=ticket.language or "", channel=ticket.channel or "",
        category=ticket.category or "", priority=ticket.priority, tags=list(ticket.tags or []),
        agent_id=agent_id, sign=sign, value=value,
    )  # fmt: skip


_INSERT_SQL = """
INSERT INTO analytics_fact (kind, at, sign, value, bucket, ticket_id, queue_id, vendor_id,
                            team_id, agent_id, language, channel, category, priority, tags,
                            recorded_at, folded)
SELECT f.kind, f.at, f.sign, f.value, f.bucket, f.ticket_id, f.queue_id, person.vendor_id,
       person.team_id, f.agent_id, f.language, f.channel, f.category, f.priority,
       coalesce(f.tags, '{}'), now(), false
  FROM jsonb_to_recordset(%s::jsonb) AS f (kind text, at timestamptz, sign smallint,
       value float8, bucket smallint, ticket_id bigint, queue_id bigint, agent_id bigint,
       language text, channel text, category text, priority smallint, tags text[])
  -- Each fact's agent looked up by key (LIMIT keeps it a lookup: as a join the planner,
  -- guessing a hundred facts, hashed the whole user table: 0.6 ms of a 1 ms insert with
  -- 5,000 people).
  LEFT JOIN LATERAL (
       SELECT u.team_id, t.vendor_id FROM accounts_user AS u
         LEFT JOIN accounts_team AS t ON t.id = u.team_id
        WHERE u.id = f.agent_id LIMIT 1) AS person ON true
"""


_COLUMNS = ("kind", "at", "sign", "value", "bucket", "ticket_id", "queue_id", "vendor_id",
            "team_id", "agent_id", "language", "channel", "category", "priority", "tags",
            "recorded_at", "folded")  # fmt: skip
_TYPES = ("text", "timestamptz", "int2", "float8", "int2", "int8", "int8", "int8", "int8",
          "int8", "text", "text", "text", "int2", "text[]", "timestamptz", "bool")  # fmt: skip
_COPY_SQL = f"COPY analytics_fact ({', '.join(_COLUMNS)}) FROM STDIN"
_PEOPLE_SQL = """
SELECT u.id, u.team_id, t.vendor_id FROM accounts_user AS u
  LEFT JOIN accounts_team AS t ON t.id = u.team_id
"""

People = dict[int, tuple[int | None, int | None]]


def people() -> People:
    """Everyone's team and vendor now, by person: for ``copy``."""
    with connection.cursor() as cursor:
        cursor.execute(_PEOPLE_SQL)
        return {person: (team, vendor) for person, team, vendor in cursor.fetchall()}


def copy(rows: list[FactRow], *, people: People) -> None:
    """Many facts at once (the backfill), as ``write`` would, their agents' teams and
    vendors taken from ``people``: a COPY costs a third of the INSERT at a backfill's
    batch (no JSON to build and parse, no lookup per fact)."""
    if not rows:
        return
    now = timezone.now()
    nobody = (None, None)
    with connection.cursor() as cursor, cursor.cursor.copy(_COPY_SQL) as stream:
        stream.set_types(_TYPES)
        for row in rows:
            team, vendor = people.get(row.agent_id, nobody) if row.agent_id else nobody
            stream.write_row((
                row.kind, row.at, row.sign, row.value, row.bucket, row.ticket_id, row.queue_id,
                vendor, team, row.agent_id, row.language, row.channel, row.category,
                row.priority, row.tags, now, False,
            ))  # fmt: skip


def write(rows: list[FactRow]) -> None:
    """All of a change's facts in one statement, in the caller's transaction."""
    if not rows:
        return
    with connection.cursor() as cursor:
        cursor.execute(_INSERT_SQL, [json.dumps([row.as_json() for row in rows])])
