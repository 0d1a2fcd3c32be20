import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from helpdesk.health import system_health


class Command(BaseCommand):
    help = "Print the health report of /healthz; fail if a required part is down."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--require",
            default="database,redis,worker,beat",
            help="Comma-separated parts that must be up (database, redis, worker, beat).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        report = system_health()
        self.stdout.write(json.dumps(report, indent=2))
        required = [part.strip() for part in options["require"].split(",") if part.strip()]
        unknown = sorted(set(required) - set(report["checks"]))
        if unknown:
            raise CommandError(f"unknown part(s): {', '.join(unknown)}")
        down = [part for part in required if not report["checks"][part]["ok"]]
        if down:
            raise CommandError(f"down: {', '.join(down)}")
