from datetime import timedelta

from celery import shared_task
from django.conf import settings

from tickets import services


@shared_task(name="tickets.tasks.close_quiet_solved_tickets", ignore_result=True)
def close_quiet_solved_tickets() -> int:
    """Close solved tickets that stayed quiet for TICKET_AUTO_CLOSE_HOURS. Safe to run twice."""
    return services.tickets_close_quiet_solved(
        quiet_for=timedelta(hours=settings.TICKET_AUTO_CLOSE_HOURS)
    )
