"""Actions on selected tickets that apps building on tickets add to the queue's bulk bar
("Link to an incident"), registered from their ``AppConfig.ready()``.

An action has a picker of targets (``choices(user)``: what this person may choose; an
empty list and the action is not offered) and ``apply(user, tickets, target)``, which
changes the tickets through the app's own services and returns the sentence to show, or
raises a ``core.errors.DomainError`` whose message is shown instead. The tickets are
those of the selection the person may see; the target is checked again by ``apply``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

    from accounts.models import User
    from tickets.models import Ticket


@dataclass(frozen=True)
class BulkAction:
    name: str  # the action's value, and the name of its picker's field
    option_label: StrPromise  # in the "With selected" list
    picker_label: StrPromise
    picker_empty: StrPromise  # the picker's first, empty choice
    missing: StrPromise  # the error when no target (or one not offered) was posted
    choices: Callable[[User], list[tuple[int, str]]]
    apply: Callable[[User, list[Ticket], int], str]


_actions: dict[str, BulkAction] = {}


def register(action: BulkAction) -> BulkAction:
    existing = _actions.get(action.name)
    if existing is not None and existing != action:
        raise ValueError(f"a bulk action named {action.name!r} is already registered")
    _actions[action.name] = action
    return action


def registered() -> list[BulkAction]:
    return list(_actions.values())


def get(name: str) -> BulkAction | None:
    return _actions.get(name)
