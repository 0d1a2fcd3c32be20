"""Rules the apps above add to "next ticket" (``services.ticket_claim_next``).

A rule looks at the agent and answers with queues to ``skip`` (never handed out to them
now) and queues to take ``later`` (only when nothing else they may work is waiting), and
the same for tickets' categories (contact reasons: ``skip_categories``,
``later_categories``), for work that shares a queue with other work. Trust & safety
registers one: after a graphic ticket the next is a non-graphic one when there is one,
past a soft exposure cap graphic categories are skipped for a cool-down, and a category
an agent opted out of is skipped::

    next_rules.register("safety-exposure", exposure_rule)

A rule may also skip whole channels (``skip_channels``: live chats are offered by the
chat app's routing, never pulled) or ``refuse`` with a sentence the agent reads (live
chat: "you are on a break", "you are at your limit of conversations").

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
    skip_categories: frozenset[str] = frozenset()
    later_categories: frozenset[str] = frozenset()
    skip_channels: frozenset[str] = frozenset()
    refuse: str = ""

    @property
    def has_later(self) -> bool:
        return bool(self.later or self.later_categories)


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
    skip_categories: set[str] = set()
    later_categories: set[str] = set()
    skip_channels: set[str] = set()
    refusals: list[str] = []
    for rule in _rules.values():
        answer = rule(agent)
        if answer is not None:
            skip |= answer.skip
            later |= answer.later
            skip_categories |= answer.skip_categories
            later_categories |= answer.later_categories
            skip_channels |= answer.skip_channels
            if answer.refuse:
                refusals.append(answer.refuse)
    if not (skip or later or skip_categories or later_categories or skip_channels or refusals):
        return NOTHING
    return NextRule(
        skip=frozenset(skip),
        later=frozenset(later - skip),
        skip_categories=frozenset(skip_categories),
        later_categories=frozenset(later_categories - skip_categories),
        skip_channels=frozenset(skip_channels),
        refuse=" ".join(refusals),
    )
