"""Read RFC 822 messages from files (one message per file) or standard input and make
each a ticket, a reply, or a record of why not. Prints one line per message. Whatever
a message holds, it is stored (quarantined if it cannot be read); the command exits 75
(EX_TEMPFAIL: the mail server keeps the message and retries) only when one could not be
stored at all, such as when the database is unreachable."""

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tickets.intake.email import email_ingest
from tickets.models import InboundEmail, Queue


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="*", help="Message files; none reads standard input.")
        parser.add_argument("--queue", default="", help="Queue slug for new tickets.")

    def handle(self, *args: Any, **options: Any) -> None:
        queue = None
        if options["queue"]:
            queue = Queue.objects.filter(slug=options["queue"]).first()
            if queue is None:
                raise CommandError(f"No queue with the slug {options['queue']!r}.")
        sources: list[Path | None] = [Path(f) for f in options["files"]] or [None]
        failed = 0
        for source in sources:
            try:
                raw = source.read_bytes() if source else sys.stdin.buffer.read()
                result = email_ingest(raw, source=InboundEmail.Source.PIPE, queue=queue)
            except Exception as exc:  # report, go on with the next one
                failed += 1
                self.stderr.write(f"{source or 'stdin'}: not stored: {exc}")
                continue
            self.stdout.write(f"{source or 'stdin'}: {result.line()}")
        if failed:
            raise CommandError(f"{failed} message(s) could not be stored.", returncode=75)
