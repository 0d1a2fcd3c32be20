import sys
import time

from django.core.management.base import BaseCommand, CommandParser

from analytics import backfill


class Command(BaseCommand):
    help = ("Rebuild the analytics facts and rollups from the tickets' audit trails. "
            "Resumes an unfinished run unless --fresh.")  # fmt: skip

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--fresh", action="store_true", help="start over")
        parser.add_argument("--batch", type=int, default=2000, help="tickets per transaction")

    def handle(self, *args: object, fresh: bool, batch: int, **options: object) -> None:
        started = time.monotonic()
        tty = sys.stdout.isatty()

        def report(progress: backfill.Progress) -> None:
            elapsed = time.monotonic() - started
            rate = progress.done / elapsed if elapsed else 0
            share = progress.done / progress.total if progress.total else 1
            bar = "#" * int(share * 30)
            eta = (progress.total - progress.done) / rate if rate else 0
            line = (f"[{bar:<30}] {progress.done:,}/{progress.total:,} tickets "
                    f"({share:.0%}) · {progress.facts:,} facts · {rate:,.0f}/s · "
                    f"eta {eta:,.0f} s")  # fmt: skip
            self.stdout.write(("\r" + line) if tty else line, ending="" if tty else "\n")

        result = backfill.run(fresh=fresh, batch=batch, report=report)
        if tty:
            self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(
            f"Backfilled {result.done:,} tickets ({result.facts:,} facts) in "
            f"{time.monotonic() - started:,.1f} s."))  # fmt: skip
