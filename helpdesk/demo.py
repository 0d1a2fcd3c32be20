"""The demo organisation that `seed_demo` creates and `make run` prints."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from accounts import services
from accounts.models import Role, Team, User, Vendor
from helpdesk.demo_data import DEMO_PASSWORD, TEAMS, USERS, VENDORS


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
            role=Role(demo.role),
            team=teams[demo.team] if demo.team else None,
            languages=demo.languages,
            time_zone=demo.time_zone,
            password=DEMO_PASSWORD,
        )
        report.created.append(f"user {demo.email}")
    return report
