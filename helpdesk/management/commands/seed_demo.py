from django.core.management.base import BaseCommand

from helpdesk import demo, demo_data


class Command(BaseCommand):
    help = "Create the demo organisation (vendors, teams, agents, leads, an admin). Idempotent."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--quiet-logins", action="store_true", help="Do not print the logins.")

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        report = demo.seed_organisation()
        if report.created:
            self.stdout.write(f"Created {len(report.created)} demo records.")
        else:
            self.stdout.write("Demo organisation already present; nothing changed.")
        if not options["quiet_logins"]:
            self.stdout.write("Demo logins (email, password, who):")
            for line in demo_data.login_lines():
                self.stdout.write(line)
