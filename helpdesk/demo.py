"""The demo organisation that `seed_demo` creates and `make run` prints."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from accounts import services
from accounts.models import Role, Team, User, Vendor

DEMO_PASSWORD = "helpdesk-demo"  # noqa: S105 - documented demo login, never for production


@dataclass(frozen=True)
class DemoUser:
    email: str
    full_name: str
    role: Role
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
    DemoUser("admin@example.com", "Ada Okafor", Role.ADMIN, None, ("en",),
             "Europe/London", "admin: settings, SOPs, Django admin"),
    DemoUser("lead@example.com", "Leila Haddad", Role.LEAD, "trust-safety", ("en", "ar", "fr"),
             "Europe/Paris", "in-house Trust & Safety lead"),
    DemoUser("agent@example.com", "Ana Souza", Role.AGENT, "trust-safety", ("en", "pt", "es"),
             "America/Sao_Paulo", "in-house Trust & Safety agent"),
    DemoUser("northwind.lead@example.com", "Miguel Santos", Role.LEAD,
             "northwind-support-tier-1-americas", ("en", "es"), "America/Mexico_City",
             "vendor lead at Northwind Support"),
    DemoUser("northwind.agent@example.com", "Grace Tan", Role.AGENT,
             "northwind-support-tier-1-americas", ("en", "zh", "es"), "America/Los_Angeles",
             "vendor agent at Northwind Support"),
    DemoUser("atlas.lead@example.com", "Omar Farouk", Role.LEAD,
             "atlas-contact-centers-mena-europe", ("ar", "en", "fr"), "Africa/Cairo",
             "vendor lead at Atlas Contact Centers"),
    DemoUser("atlas.agent@example.com", "Yuki Sato", Role.AGENT,
             "atlas-contact-centers-mena-europe", ("ja", "en", "ru"), "Asia/Tokyo",
             "vendor agent at Atlas Contact Centers"),
]  # fmt: skip


@dataclass
class SeedReport:
    created: list[str]
    existing: list[str]


@transaction.atomic
def seed_organisation() -> SeedReport:
    """Create whatever part of the demo organisation is missing; never change what exists."""
    report = SeedReport(created=[], existing=[])
    vendors: dict[str, Vendor] = {}
    for name, contact in VENDORS:
        vendor = Vendor.objects.filter(name=name).first()
        if vendor is None:
            vendor = services.vendor_create(actor=None, name=name, contact_email=contact)
            report.created.append(f"vendor {name}")
        vendors[name] = vendor
    for name, vendor_name in TEAMS:
        vendor = vendors[vendor_name] if vendor_name else None
        if Team.objects.filter(name=name, vendor=vendor).exists():
            continue
        services.team_create(actor=None, name=name, vendor=vendor)
        report.created.append(f"team {name}")
    teams = {team.slug: team for team in Team.objects.all()}
    for demo in USERS:
        if User.objects.filter(email__iexact=demo.email).exists():
            report.existing.append(demo.email)
            continue
        services.user_create(
            actor=None,
            email=demo.email,
            full_name=demo.full_name,
            role=demo.role,
            team=teams[demo.team] if demo.team else None,
            languages=demo.languages,
            time_zone=demo.time_zone,
            password=DEMO_PASSWORD,
        )
        report.created.append(f"user {demo.email}")
    return report


def login_lines() -> list[str]:
    width = max(len(u.email) for u in USERS)
    return [f"  {u.email:<{width}}  {DEMO_PASSWORD}   {u.description}" for u in USERS]
