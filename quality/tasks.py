from celery import shared_task

from quality import services

BATCH = 500


@shared_task(ignore_result=True)
def send_surveys() -> int:
    """Beat, every minute: the surveys that fell due, a transaction per batch of 500."""
    total = 0
    while True:
        done = sum(services.surveys_send_due(limit=BATCH).values())
        total += done
        if done < BATCH:
            return total


@shared_task(ignore_result=True)
def remind_disputes() -> int:
    """Beat, hourly: disputes past their due time go to their deciders again, once."""
    from quality import qa

    return qa.disputes_remind()
