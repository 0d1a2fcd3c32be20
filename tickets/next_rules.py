"""Rules the apps above add to "next ticket" (``services.ticket_claim_next``).

A rule looks at the agent and answers with queues to ``skip`` (never handed out to them
now) and queues to take ``later`` (only when nothing else they may work is waiting).
Trust & safety registers one: after a graphic ticket the next is a non-graphic one when
there is one, and past a soft exposure cap graphic queues are skipped for a cool-down::

    next_rules.register("safety-exposure", exposure_rule)

"Next ticket" is the agent's hottest path: a rule answers from per-process caches and at
most one cache (Redis) read, never a query of its own."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from accounts.models import User


@dataclass(frozen=True)
class NextRule:
    skip: frozenset[int] = frozenset()
    later: frozenset[int] = frozenset()


NOTHING = NextRule()
Rule = Callable[["User"], NextRule | None]
_rules: dict[str, Rule] = {}


def register(name: str, rule: Rule) -> None:
    _rules[name] = rule


def unregister(name: str) -> None:
    _rules.pop(name, None)


def for_agent(agent: User) -> NextRule:
    """Every rule's answer, together."""
    skip: set[int] = set()
    later: set[int] = set()
    for rule in _rules.values():
        answer = rule(agent)
        if answer is not None:
            skip |= answer.skip
            later |= answer.later
    if not skip and not later:
        return NOTHING
    return NextRule(skip=frozenset(skip), later=frozenset(later - skip))
