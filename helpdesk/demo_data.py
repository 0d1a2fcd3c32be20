"""The demo organisation's people and passwords, importable before Django is set up
(`make run` prints the logins)."""

from __future__ import annotations

from dataclasses import dataclass

DEMO_PASSWORD = "helpdesk-demo"  # noqa: S105 - documented demo login, never for production


@dataclass(frozen=True)
class DemoUser:
    email: str
    full_name: str
    role: str  # accounts.models.Role value
    team: str | None  # team slug
    languages: tuple[str, ...]
    time_zone: str
    description: str


VENDORS = [
    ("Northwind Support", "ops@northwind.example.com"),
    ("Atlas Contact Centers", "ops@atlas.example.com"),
]
# (team name, vendor name or None for in-house)
TEAMS = [
    ("Trust & Safety", None),
    ("Tier 1 Americas", "Northwind Support"),
    ("MENA & Europe", "Atlas Contact Centers"),
]

USERS = [
    DemoUser("admin@example.com", "Ada Okafor", "admin", None, ("en",),
             "Europe/London", "admin: settings, SOPs, Django admin"),
    DemoUser("lead@example.com", "Leila Haddad", "lead", "trust-safety", ("en", "ar", "fr"),
             "Europe/Paris", "in-house Trust & Safety lead"),
    DemoUser("agent@example.com", "Ana Souza", "agent", "trust-safety", ("en", "pt", "es"),
             "America/Sao_Paulo", "in-house Trust & Safety agent"),
    DemoUser("northwind.lead@example.com", "Miguel Santos", "lead",
             "northwind-support-tier-1-americas", ("en", "es"), "America/Mexico_City",
             "vendor lead at Northwind Support"),
    DemoUser("northwind.agent@example.com", "Grace Tan", "agent",
             "northwind-support-tier-1-americas", ("en", "zh", "es"), "America/Los_Angeles",
             "vendor agent at Northwind Support"),
    DemoUser("atlas.lead@example.com", "Omar Farouk", "lead",
             "atlas-contact-centers-mena-europe", ("ar", "en", "fr"), "Africa/Cairo",
             "vendor lead at Atlas Contact Centers"),
    DemoUser("atlas.agent@example.com", "Yuki Sato", "agent",
             "atlas-contact-centers-mena-europe", ("ja", "en", "ru"), "Asia/Tokyo",
             "vendor agent at Atlas Contact Centers"),
]  # fmt: skip


def login_lines() -> list[str]:
    width = max(len(u.email) for u in USERS)
    return [f"  {u.email:<{width}}  {DEMO_PASSWORD}   {u.description}" for u in USERS]
