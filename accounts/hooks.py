"""Changes to a person's access, announced to the apps that build on accounts (sign-in
sessions and API tokens live in ``identity``, which ends and revokes them). The rule for
handlers is tickets.hooks': sent inside the caller's transaction after the change and its
audit event are written; no I/O (defer it with ``transaction.on_commit``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from core.hooks import Hook

if TYPE_CHECKING:
    from accounts.models import User


@dataclass(frozen=True, slots=True)
class AccessChanged:
    """The person's role or team changed, or they were deactivated (``what``: "role",
    "team", "deactivated"). ``actor`` is who did it (None: the system)."""

    user: User
    actor: User | None
    what: str


access_changed: Hook[AccessChanged] = Hook("access_changed")
