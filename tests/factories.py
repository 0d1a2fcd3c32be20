"""People and organisations for tests, made through the services like real ones."""

from __future__ import annotations

import itertools

from accounts import services
from accounts.models import Role, Team, User, Vendor

PASSWORD = "correct-horse-battery"
_seq = itertools.count(1)


def vendor(name: str | None = None) -> Vendor:
    return services.vendor_create(actor=None, name=name or f"Vendor {next(_seq)}")


def team(name: str | None = None, *, vendor: Vendor | None = None) -> Team:
    return services.team_create(actor=None, name=name or f"Team {next(_seq)}", vendor=vendor)


def user(
    *,
    role: Role = Role.AGENT,
    team: Team | None = None,
    email: str | None = None,
    full_name: str | None = None,
    languages: tuple[str, ...] = ("en",),
    time_zone: str = "UTC",
) -> User:
    n = next(_seq)
    if team is None and role != Role.ADMIN:
        team = globals()["team"]()
    return services.user_create(
        actor=None,
        email=email or f"person{n}@example.com",
        full_name=full_name or f"Person {n:04d}",
        role=role,
        team=team,
        languages=languages,
        time_zone=time_zone,
        password=PASSWORD,
    )


def api_key(user: User, *, scope: str = "write", name: str = "test") -> str:
    """A named API token for the person; returns its key."""
    from identity.services import token_create

    return token_create(actor=user, name=name, scope=scope, expires_in_days=None)[1]
