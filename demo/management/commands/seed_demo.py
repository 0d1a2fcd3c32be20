from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from analytics import backfill
from demo import chat as demo_chat
from demo import data as demo_data
from demo import safety as demo_safety
from demo import seed as demo
from demo import tickets as demo_tickets
from demo.arrivals import DEMO_SPIKE

DEFAULT_DEMO_TICKETS = 400
# The first demo set: three months of history, and a surge of Spanish account tickets in
# the last hours for the analytics' spike alert to find.
DEFAULT_DEMO_DAYS = 90


class Command(BaseCommand):
    help = (
        "Create the demo organisation (vendors, teams, people, queues, macros) and, the first "
        "time, a few hundred demo tickets. Idempotent. --tickets N adds N more tickets (bulk, "
        "for benchmarks: a million take a few minutes)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tickets", type=int, default=None, help="Add this many tickets.")
        parser.add_argument(
            "--open-share", type=float, default=None,
            help="Share of added tickets that are active (default 0.1 with --tickets, "
            "0.5 for the first demo set).",
        )  # fmt: skip
        parser.add_argument("--seed", type=int, default=None, help="Random seed.")
        parser.add_argument(
            "--days", type=int, default=None,
            help="Spread the added tickets over this many days (default 365 with --tickets, "
            f"{DEFAULT_DEMO_DAYS} for the first demo set).",
        )  # fmt: skip
        parser.add_argument(
            "--spike", action="store_true",
            help="Make some of the added tickets a surge of Spanish account tickets in the last "
            "hours (always in the first demo set).",
        )  # fmt: skip
        parser.add_argument("--quiet-logins", action="store_true", help="Do not print the logins.")
        parser.add_argument(
            "--random-passwords", action="store_true",
            help="Give new demo logins (and any still on the published demo password) a random "
            "password each, printed once (`make run` with DEBUG off).",
        )  # fmt: skip

    def handle(self, *args: Any, **options: Any) -> None:
        random_passwords = options["random_passwords"]
        report = demo.seed_organisation(random_passwords=random_passwords)
        if report.created:
            self.stdout.write(f"Created {len(report.created)} demo records.")
        else:
            self.stdout.write("Demo organisation already present; nothing changed.")
        # Idempotent: the report queues' team, the lead's child-safety clearance, masked words.
        demo_safety.seed_safety_setup()
        # Idempotent: who works the chat queue.
        demo_chat.seed_chat_setup()
        count, share, days = options["tickets"], options["open_share"], options["days"]
        spike = DEMO_SPIKE if options["spike"] else None
        first_set = count is None and not demo.has_tickets()
        if first_set:
            count, share = DEFAULT_DEMO_TICKETS, share if share is not None else 0.5
            days, spike = days or DEFAULT_DEMO_DAYS, DEMO_SPIKE
        if count:
            if count < 0:
                raise CommandError("--tickets must be positive.")
            if days is not None and days < 1:
                raise CommandError("--days must be positive.")
            stats = demo_tickets.seed_tickets(
                count, open_share=0.1 if share is None else share, seed=options["seed"],
                days=days or 365, spike=spike,
                progress=lambda message: self.stdout.write(f"  {message}"),
            )  # fmt: skip
            self.stdout.write(
                f"Added {stats.tickets} tickets, {stats.messages} messages, {stats.events} events, "
                f"{stats.clocks} SLA clocks "
                f"in {stats.seconds:.1f}s ({stats.tickets / max(stats.seconds, 0.001):.0f} "
                "tickets/s)."
                + (f" {stats.spike} of the tickets are a spike in the last hours." if stats.spike
                   else "")
            )  # fmt: skip
        if demo.seed_escalation_examples():
            self.stdout.write("Added demo escalations and an incident.")
        if demo.seed_report_example():
            self.stdout.write("Added a weekly scheduled report for the demo lead.")
        if first_set:
            # Before the rebuild, which counts them (they are written past the hooks too).
            surveys = demo.seed_survey_examples()
            self.stdout.write(f"Added {surveys} satisfaction surveys on recently solved tickets.")
            reviews = demo.seed_quality_examples()
            self.stdout.write(
                f"Added a QA scorecard, two reviewers and a cycle of {reviews} "
                "reviews, a few of them submitted."
            )
            # The seed writes with COPY, past the hooks that keep the analytics: they are
            # rebuilt from the audit trail, so the dashboards (and the spike) show at once.
            rebuilt = backfill.run(fresh=True)
            self.stdout.write(f"Analytics rebuilt from the history of {rebuilt.done} tickets.")
        elif count:
            self.stdout.write("Run `manage.py analytics_backfill` to count them in the analytics.")
        # Random passwords exist nowhere else: they are printed even with --quiet-logins.
        if random_passwords or not options["quiet_logins"]:
            self.stdout.write("Demo logins (email, password, who):")
            for line in demo_data.login_lines(report.passwords if random_passwords else None):
                self.stdout.write(line)
