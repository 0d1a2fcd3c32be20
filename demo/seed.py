"""The demo organisation that `seed_demo` creates and `make run` prints."""

from __future__ import annotations

import dataclasses
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.utils.text import slugify

from accounts import services
from accounts.models import Role, Team, User, Vendor
from demo.data import (
    CALENDARS,
    DEMO_PASSWORD,
    EMAIL_ROUTES,
    ESCALATION_REASONS,
    MACROS,
    MAILBOXES,
    QUEUES,
    ROTATIONS,
    SLA_POLICIES,
    SOPS,
    TEAMS,
    USERS,
    VENDORS,
)
from tickets.models import (
    BusinessCalendar,
    BusinessHours,
    EmailRoute,
    Macro,
    Mailbox,
    Queue,
    SLAPolicy,
    SLATarget,
    Ticket,
)


@dataclass
class SeedReport:
    created: list[str]
    existing: list[str]
    # Demo logins given a random password by this run (email -> password), to show once.
    passwords: dict[str, str] = dataclasses.field(default_factory=dict)


def _random_password() -> str:
    return secrets.token_urlsafe(12)


@transaction.atomic
def seed_organisation(*, random_passwords: bool = False) -> SeedReport:
    """Create whatever part of the demo organisation is missing; never change what exists.

    ``random_passwords`` (``make run`` with DEBUG off): new demo logins get a random
    password each instead of the published one, and a demo login still on the published
    password gets a random one; ``report.passwords`` holds them, to be shown once."""
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
        existing = User.objects.filter(email__iexact=demo.email).first()
        if existing is not None:
            report.existing.append(demo.email)
            if random_passwords and existing.check_password(DEMO_PASSWORD):
                report.passwords[demo.email] = _random_password()
                existing.set_password(report.passwords[demo.email])
                existing.save(update_fields=["password"])
            continue
        if random_passwords:
            report.passwords[demo.email] = _random_password()
        services.user_create(
            actor=None,
            email=demo.email,
            full_name=demo.full_name,
            role=Role(demo.role),
            team=teams[demo.team] if demo.team else None,
            languages=demo.languages,
            time_zone=demo.time_zone,
            password=report.passwords.get(demo.email, DEMO_PASSWORD),
        )
        report.created.append(f"user {demo.email}")
    _seed_queues_and_macros(report, vendors, teams)
    _seed_mailboxes(report)
    _seed_sla(report)
    _seed_sops(report)
    _seed_escalation_setup(report)
    if not random_passwords and any(item.startswith("user ") for item in report.created):
        _relax_second_factor_for_the_demo(report)
    return report


def _relax_second_factor_for_the_demo(report: SeedReport) -> None:
    """The printed demo logins sign in at once: a second factor is optional for every
    role in a laptop's demo (the product's default, set by identity's migration, needs
    one for admins and leads; an admin turns it back on at Access → Policies). With
    random passwords (a demo reachable by others) the default stays."""
    from identity import policy
    from identity.services import role_policy_save

    admin = User.objects.filter(role=Role.ADMIN).order_by("pk").first()
    if admin is None:
        return
    policy.forget()  # the rows as they are now, not a copy read before (say) a flush
    for role in Role.values:
        if policy.for_role(role).require_second_factor:
            role_policy_save(actor=admin, role=role, require_second_factor=False)
            report.created.append(f"second factor optional for {role}s (demo)")


def _seed_escalation_setup(report: SeedReport) -> None:
    """Escalation reasons (some escalate by themselves) and an on-call rotation."""
    from escalations.models import EscalationReason, Rotation, RotationMember

    for name, trigger, team, severity, categories, tags in ESCALATION_REASONS:
        _reason, created = EscalationReason.objects.get_or_create(
            name=name, defaults={"slug": slugify(name)[:60], "trigger": trigger,
                                 "target_team": Team.objects.get(slug=team),
                                 "severity": severity, "match_categories": categories,
                                 "match_tags": tags},
        )  # fmt: skip
        if created:
            report.created.append(f"escalation reason {name}")
    for team, time_zone, emails in ROTATIONS:
        rotation, created = Rotation.objects.get_or_create(
            team=Team.objects.get(slug=team), defaults={"time_zone": time_zone})  # fmt: skip
        if created:
            for position, email in enumerate(emails):
                RotationMember.objects.create(rotation=rotation, position=position,
                                              user=User.objects.get(email=email))  # fmt: skip
            report.created.append(f"on-call rotation {team}")


def _seed_sops(report: SeedReport) -> None:
    """Published SOPs (one with two versions, so history and differences show something)
    and one proposal waiting for review, written through the SOP services."""
    from sops import services as sop_services  # sops imports tickets
    from sops.models import SOP

    admin = User.objects.filter(role=Role.ADMIN).order_by("pk").first()
    if admin is None:
        return
    lead = User.objects.filter(email="lead@example.com").first() or admin
    queues = {queue.name: queue for queue in Queue.objects.all()}
    vendors = {vendor.name: vendor for vendor in Vendor.objects.all()}
    for title, summary, queue_names, categories, tags, languages, vendor_names, macro_names, \
            versions, proposal in SOPS:  # fmt: skip
        if SOP.objects.filter(title=title).exists():
            continue
        macros = [Macro.objects.get(name=n, language=lang)
                  for n, lang in (m.split("|") for m in macro_names)]  # fmt: skip
        version = None
        for body, steps, change in versions:
            if version is None:  # the first version
                version = sop_services.sop_create(
                    actor=admin, title=title, summary=summary,
                    queues=[queues[q] for q in queue_names], categories=categories, tags=tags,
                    languages=languages, vendors=[vendors[v] for v in vendor_names],
                    body=body, steps=steps, macros=macros, change_summary=change,
                )  # fmt: skip
            else:
                version = sop_services.sop_draft_start(actor=admin, sop=version.sop)
                version = sop_services.sop_draft_save(
                    actor=admin, version=version, expected_revision=version.revision,
                    body=body, steps=steps, macros=macros, change_summary=change,
                    effective_on=None, requires_acknowledgement=True,
                )  # fmt: skip
            sop_services.sop_version_submit(actor=admin, version=version)
            sop_services.sop_version_publish(actor=admin, version=version)
        if proposal is not None and version is not None:
            body, steps, change = proposal
            draft = sop_services.sop_draft_start(actor=lead, sop=version.sop)
            draft = sop_services.sop_draft_save(
                actor=lead, version=draft, expected_revision=draft.revision, body=body,
                steps=steps, macros=macros, change_summary=change, effective_on=None,
                requires_acknowledgement=True,
            )  # fmt: skip
            sop_services.sop_version_submit(actor=lead, version=draft)
        report.created.append(f"SOP {title}")


def _seed_sla(report: SeedReport) -> None:
    for name, tz, always_open, country, hours in CALENDARS:
        calendar, created = BusinessCalendar.objects.get_or_create(
            name=name, defaults={"time_zone": tz, "always_open": always_open,
                                 "holiday_country": country},
        )  # fmt: skip
        if created:
            report.created.append(f"calendar {name}")
            if hours:
                BusinessHours.objects.bulk_create(
                    BusinessHours(calendar=calendar, weekday=day, opens=hours[0], closes=hours[1])
                    for day in range(5)
                )
    queues = {queue.name: queue for queue in Queue.objects.all()}
    for name, position, calendar_name, queue_names, vip, warn, breach, targets in SLA_POLICIES:
        if SLAPolicy.objects.filter(name=name).exists():
            continue
        policy = SLAPolicy.objects.create(
            name=name, position=position, calendar=BusinessCalendar.objects.get(name=calendar_name),
            high_profile=vip, warning_actions=warn, breach_actions=breach,
        )  # fmt: skip
        policy.queues.set([queues[q] for q in queue_names])
        SLATarget.objects.bulk_create(
            SLATarget(policy=policy, priority=priority, first_reply_minutes=first,
                      next_reply_minutes=nxt, resolution_minutes=resolution)
            for priority, (first, nxt, resolution) in targets.items()
        )  # fmt: skip
        report.created.append(f"SLA policy {name}")


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
    for name, language, body, status, set_priority, tags in MACROS:
        macro, created = Macro.objects.get_or_create(
            name=name, language=language,
            defaults={"body": body, "set_status": status or "", "set_priority": set_priority,
                      "add_tags": tags},
        )  # fmt: skip
        if created:
            report.created.append(f"macro {name} ({language})")
            if name.startswith("Impersonation"):
                macro.queues.set([queues["Trust & Safety"], queues["General Support"]])


def _seed_mailboxes(report: SeedReport) -> None:
    queues = {queue.name: queue for queue in Queue.objects.all()}
    for queue_name, address, sender_name in MAILBOXES:
        _box, created = Mailbox.objects.get_or_create(
            address=address, defaults={"queue": queues[queue_name], "from_name": sender_name}
        )
        if created:
            report.created.append(f"mailbox {address}")
    if EmailRoute.objects.exists():
        return
    for position, (field, contains, queue_name, category) in enumerate(EMAIL_ROUTES, 1):
        EmailRoute.objects.create(position=position, field=field, contains=contains,
                                  queue=queues[queue_name], category=category)  # fmt: skip
        report.created.append(f"email route {contains}")


def has_tickets() -> bool:
    return Ticket.objects.exists()


def seed_escalation_examples() -> int:
    """A few escalations in different states and an open incident on demo tickets, the
    first time (written through the services, as people would)."""
    from escalations import services as esc
    from escalations.models import Escalation, EscalationReason, Incident
    from tickets.models import ACTIVE_STATUSES

    if Escalation.objects.exists() or Incident.objects.exists():
        return 0
    people = {u.email: u for u in User.objects.filter(email__endswith="@example.com")}
    reasons = {r.name: r for r in EscalationReason.objects.all()}
    made = 0
    # Escalations follow their ticket's visibility: these are on General Support, which
    # both the raising vendor and the Trust & Safety team (the reasons' target) work.
    plan = [
        ("General Support", "northwind.agent@example.com", "Payments investigation", 2,
         "Card charged three times; the payment log shows one order.", None),
        ("General Support", "northwind.agent@example.com", "Legal or law-enforcement request", 3,
         "The requester says their lawyer will write to us.", "accept"),
        ("General Support", "agent@example.com", "Bug for engineering", 4,
         "Uploads fail for every Arabic file name.", "return"),
    ]  # fmt: skip
    for position, (queue, agent, reason, severity, summary, then) in enumerate(plan):
        ticket = (Ticket.objects.filter(queue__name=queue, status__in=ACTIVE_STATUSES)
                  .order_by("id")[position:].first())  # fmt: skip
        if ticket is None or reason not in reasons or agent not in people:
            continue
        escalation = esc.escalation_raise(actor=people[agent], ticket=ticket,
                                          reason=reasons[reason], severity=severity,
                                          summary=summary)  # fmt: skip
        lead = people["lead@example.com"]
        if then == "accept":
            esc.escalation_accept(actor=lead, escalation=escalation)
        elif then == "return":
            esc.escalation_return(
                actor=lead,
                escalation=escalation,
                note="Please attach the file name and the app version.",
            )
        made += 1
    outage = list(Ticket.objects.filter(status__in=ACTIVE_STATUSES, category="bugs")
                  .order_by("id")[:3])  # fmt: skip
    if outage:
        esc.incident_open(actor=people["lead@example.com"], title="Video uploads failing",
                          severity=3, tickets=outage, tracker_key="ENG-1042")  # fmt: skip
    return made


def seed_report_example() -> int:
    """A weekly report of the demo lead's dashboard to themselves, the first time (through
    the service, audited as a lead's own would be)."""
    from analytics import reports
    from analytics.models import ScheduledReport

    lead = User.objects.filter(email="lead@example.com", is_active=True).first()
    if lead is None or ScheduledReport.objects.exists():
        return 0
    reports.report_save(actor=lead, data=reports.ReportInput(
        name="Monday numbers", page="dashboard", slice="", cadence="weekly", weekday=0,
        hour=8, time_zone=lead.time_zone or "UTC", recipients=[lead],
    ))  # fmt: skip
    return 1


_SOLVED_WITH_CREDIT_SQL = """
SELECT DISTINCT ON (t.id) t.id, t.requester_id, t.language, t.solved_at, m.author_id
  FROM tickets_ticket AS t
  JOIN tickets_requester AS r ON r.id = t.requester_id AND r.email <> ''
  JOIN tickets_message AS m ON m.ticket_id = t.id AND m.kind = 'public'
                           AND m.author_type = 'agent' AND m.created_at <= t.solved_at
 WHERE t.solved_at >= %s AND t.solved_at < %s AND t.status IN ('solved', 'closed')
 ORDER BY t.id, m.created_at DESC, m.id DESC
"""
# Comments by language, for a good and for a bad rating ("" = none given).
_DEMO_COMMENTS = {
    "en": (["Quick and clear, thank you.", ""], ["Still waiting for my refund.", ""]),
    "es": (["Muy amables, gracias.", ""], ["Tardaron demasiado.", ""]),
    "ar": (["شكراً على المساعدة.", ""], ["لم تُحل مشكلتي بعد.", ""]),
    "ja": (["丁寧な対応でした。", ""], ["まだ解決していません。", ""]),
}


def seed_survey_examples(*, days: int = 60, limit: int = 3000) -> int:
    """Satisfaction surveys on tickets solved in the last ``days``, the first time: sent a
    day after the solve, about two in five rated (mostly good), with the rows and
    timeline events the quality services write, so the analytics rebuild counts them."""
    import random
    from datetime import timedelta

    from django.db import connection
    from django.utils import timezone

    from quality.models import Survey, TicketEventKind
    from tickets import events

    if Survey.objects.exists():
        return 0
    rng, now = random.Random(20261130), timezone.now()  # noqa: S311 - demo data, not secrets
    with connection.cursor() as cursor:
        cursor.execute(
            _SOLVED_WITH_CREDIT_SQL, [now - timedelta(days=days), now - timedelta(days=1)]
        )
        solved = cursor.fetchall()[-limit:]
    surveys = []
    for ticket_id, requester_id, language, solved_at, agent_id in solved:
        sent_at = solved_at + timedelta(hours=24)
        survey = Survey(ticket_id=ticket_id, requester_id=requester_id, agent_id=agent_id,
                        state=Survey.State.SENT, language=language or "en", solved_at=solved_at,
                        due_at=sent_at, sent_at=sent_at, created_at=solved_at)  # fmt: skip
        if rng.random() < 0.4:
            score = rng.choices([5, 4, 3, 2, 1], weights=[50, 28, 8, 6, 8])[0]
            survey.score, survey.positive = score, score >= 4
            survey.reason = "" if score >= 4 else rng.choice(["slow", "unresolved", "unclear"])
            good, bad = _DEMO_COMMENTS.get(language, _DEMO_COMMENTS["en"])
            survey.comment = rng.choice(good if survey.positive else bad)
            survey.rated_at = survey.changed_at = sent_at + timedelta(minutes=rng.randint(3, 900))
            survey.channel, survey.revisions = Survey.Channel.EMAIL, 1
            if not survey.positive and survey.rated_at > now - timedelta(days=7):
                survey.follow_up = Survey.FollowUp.OPEN
        surveys.append(survey)
    Survey.objects.bulk_create(surveys, batch_size=1000)
    audit = []
    for survey in surveys:
        audit.append(events.build(survey.ticket_id, None, TicketEventKind.CSAT_SENT,
                                  at=survey.sent_at, after={"survey": survey.pk, "by_email": True,
                                                            "agent": survey.agent_id}))  # fmt: skip
        if survey.rated_at is not None:
            audit.append(events.build(survey.ticket_id, None, TicketEventKind.CSAT_RATED,
                                      at=survey.rated_at, after={
                "survey": survey.pk, "agent": survey.agent_id, "scale": survey.scale,
                "score": survey.score, "positive": survey.positive, "reason": survey.reason,
                "comment": survey.comment, "channel": survey.channel,
                "rated_at": survey.rated_at.isoformat()}))  # fmt: skip
    events.record_many(audit)
    return len(surveys)


def seed_quality_examples() -> int:
    """A QA programme the first time: a scorecard, two reviewers (the in-house agent, and
    Northwind's lead for Northwind's agents), a cycle over the last seven days, and the
    in-house reviewer's first reviews submitted (through the services, as people would).
    Returns the reviews sampled."""
    import random
    from datetime import timedelta

    from django.utils import timezone

    from quality import qa
    from quality.models import Review, Scorecard
    from quality.scoring import Category

    if Scorecard.objects.exists():
        return 0
    people = {u.email: u for u in User.objects.filter(email__endswith="@example.com")}
    admin = people.get("admin@example.com")
    if admin is None:
        return 0
    categories = [
        Category("greeting", "Greeting and name", 1, "pass_fail"),
        Category("understanding", "Understood the request", 2, "five"),
        Category("accuracy", "Accurate and complete answer", 3, "five"),
        Category("tone", "Tone and empathy", 2, "three", allow_na=True),
        Category("privacy", "Personal data protected", 2, "pass_fail", critical=True),
    ]
    qa.scorecard_save(
        actor=admin,
        scorecard=None,
        name="Support quality",
        description="The standard for every queue.",
        queues=[],
        languages=[],
        vendors=[],
        pass_mark=80,
        categories=categories,
    )
    reviewers = [
        people[e] for e in ("agent@example.com", "northwind.lead@example.com") if e in people
    ]
    qa.reviewers_set(actor=admin, users=reviewers)
    now = timezone.now()
    _cycle, sample = qa.cycle_start(
        actor=admin, name="Last seven days", starts_at=now - timedelta(days=7), ends_at=now, quota=3
    )
    rng = random.Random(7)  # noqa: S311 - demo data, not secrets
    first = people.get("agent@example.com")
    if first is None:
        return len(sample.reviews)
    assigned = Review.objects.filter(reviewer=first, state=Review.State.ASSIGNED).order_by("id")[:4]
    for review in assigned:
        values = {
            "greeting": 1,
            "understanding": rng.choice([3, 4, 5]),
            "accuracy": rng.choice([2, 4, 5]),
            "tone": rng.choice([2, 3, None]),
            "privacy": rng.choice([1, 1, 1, 0]),
        }
        qa.review_submit(
            actor=first,
            review_id=review.pk,
            values=values,
            comments={"accuracy": "The refund steps were complete."},
        )
    return len(sample.reviews)
