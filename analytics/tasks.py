from celery import shared_task

from analytics import fold as folding


@shared_task(ignore_result=True)
def fold() -> int:
    """Beat: fold the facts written since the last fold into the rollups."""
    return folding.fold_all()
