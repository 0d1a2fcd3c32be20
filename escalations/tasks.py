from celery import shared_task

from escalations import services


@shared_task(name="escalations.tasks.sweep_pages", ignore_result=True, expires=60)
def sweep_pages() -> int:
    """Repeat or move on every unacknowledged page that is due (beat, every 20 s)."""
    total = 0
    while True:
        done = services.pages_sweep()
        total += done
        if done < 200:
            return total
