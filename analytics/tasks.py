from celery import shared_task

from analytics import fold as folding


@shared_task(ignore_result=True)
def fold() -> int:
    """Beat: fold the facts written since the last fold into the rollups."""
    return folding.fold_all()


@shared_task(ignore_result=True)
def check_weeks() -> int:
    """Beat, daily: the recent weekly rollups made equal again to their days."""
    return folding.check_weeks()


@shared_task(ignore_result=True)
def schedule_spike_watch() -> None:
    """Beat, on each ten-minute boundary: watch 30 s later, once what was in flight at the
    boundary has committed."""
    watch_spikes.apply_async(countdown=30)


@shared_task(ignore_result=True)
def watch_spikes() -> int:
    from analytics import watch

    return len(watch.evaluate())


@shared_task(ignore_result=True)
def send_reports() -> int:
    """Beat, every minute: send the scheduled reports that are due."""
    from analytics import reports

    return reports.reports_run_due()
