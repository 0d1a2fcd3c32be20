#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
    from django.core.management import execute_from_command_line

    from helpdesk.embedded import EmbeddedServiceError

    try:
        execute_from_command_line(sys.argv)
    except EmbeddedServiceError as exc:
        sys.stderr.write(f"error: {exc}\n")
        sys.exit(1)


if __name__ == "__main__":
    main()
