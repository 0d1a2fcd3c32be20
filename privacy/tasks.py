from celery import shared_task

from privacy import access, retention, services


@shared_task
def run_erasures() -> dict[str, int]:
    """Run the erasure requests whose grace period has passed, each in its own
    transaction (one that a hold covers waits, and is tried again next time)."""
    outcomes: dict[str, int] = {}
    for request_id in services.erasures_due():
        outcome = services.erasure_run(request_id)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


@shared_task
def drain_access_log() -> int:
    """Move the reads the pages recorded into the access log's table."""
    return access.drain()


@shared_task
def run_retention() -> dict[str, int]:
    """The retention policies that are on, up to the day's cap."""
    return retention.run()
