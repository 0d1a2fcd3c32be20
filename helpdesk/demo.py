"""The demo organisation that `seed_demo` creates and `make run` prints."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils.text import slugify

from accounts import services
from accounts.models import Role, Team, User, Vendor
from helpdesk.demo_data import DEMO_PASSWORD, MACROS, QUEUES, TEAMS, USERS, VENDORS
from tickets.models import Macro, Queue, Ticket


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
    _seed_queues_and_macros(report, vendors, teams)
    return report


def _seed_queues_and_macros(report: SeedReport, vendors: dict[str, Vendor],
                            teams: dict[str, Team]) -> None:  # fmt: skip
    for name, languages, team_slugs, vendor_names, priority in QUEUES:
        if Queue.objects.filter(name=name).exists():
            continue
        queue = Queue.objects.create(
            name=name, slug=slugify(name)[:60], languages=languages, default_priority=priority
        )
        queue.teams.set([teams[slug] for slug in team_slugs])
        queue.vendors.set([vendors[vendor] for vendor in vendor_names])
        report.created.append(f"queue {name}")
    queues = {queue.name: queue for queue in Queue.objects.all()}
    for name, language, body, status, priority, tags in MACROS:
        macro, created = Macro.objects.get_or_create(
            name=name, language=language,
            defaults={"body": body, "set_status": status or "", "set_priority": priority,
                      "add_tags": tags},
        )  # fmt: skip
        if created:
            report.created.append(f"macro {name} ({language})")
            if name.startswith("Impersonation"):
                macro.queues.set([queues["Trust & Safety"], queues["General Support"]])


def has_tickets() -> bool:
    return Ticket.objects.exists()
