from datetime import timedelta
from typing import Any

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from tickets import services


@shared_task(name="tickets.tasks.close_quiet_solved_tickets", ignore_result=True)
def close_quiet_solved_tickets() -> int:
    """Close solved tickets that stayed quiet for TICKET_AUTO_CLOSE_HOURS. Safe to run twice."""
    return services.tickets_close_quiet_solved(
        quiet_for=timedelta(hours=settings.TICKET_AUTO_CLOSE_HOURS)
    )


@shared_task(name="tickets.tasks.deliver_notification", ignore_result=True)
def deliver_notification(notification_id: int) -> str:
    """Deliver one outbox row. Claims it first, so running twice sends once."""
    from tickets import outbox

    return outbox.notification_deliver(notification_id)


@shared_task(name="tickets.tasks.deliver_queued", ignore_result=True)
def deliver_queued() -> int:
    """Deliver every queued outbox row that is due, in batches (woken after commits by
    ``outbox.wake_delivery``). Claims each row first, so it never sends one twice."""
    from tickets import outbox

    return outbox.notifications_deliver_queued()


@shared_task(name="tickets.tasks.sweep_notifications", ignore_result=True)
def sweep_notifications() -> int:
    """Hand every due outbox row to a worker: retries whose backoff has passed, rows
    whose enqueue was lost (broker down at commit), and sends a dead worker left."""
    from tickets import outbox

    # With a backlog in the broker, rows still queued are almost surely in it: hand over
    # only retries and reclaimed sends, not thousands of duplicates the workers would
    # then have to skip one by one.
    backlog = _broker_backlog()
    waiting_too = backlog < settings.NOTIFICATION_REENQUEUE_MAX_BACKLOG
    due = outbox.notifications_due(include_waiting=waiting_too)  # committed before handed over
    for notification_id in due:
        deliver_notification.apply_async((notification_id,), queue="timers")
    if not waiting_too and outbox.notifications_left_waiting():
        # Queued rows have no task of their own in that backlog (a woken delivery task
        # claims them): one whose wake-up was lost would wait for the backlog to drain.
        # A delivery task on the timers queue, which has none, takes them all (at most
        # one per NOTIFICATION_REENQUEUE_SECONDS: the timers queue is for deadlines).
        deliver_queued.apply_async(queue="timers")
    return len(due)


def _broker_backlog() -> int:
    """Messages waiting in the default queue (0 if the broker cannot say)."""
    from celery import current_app

    try:
        with current_app.connection_for_read() as connection:
            name = current_app.conf.task_default_queue
            # The transport's channel (kombu's abstract one does not declare queue_declare).
            channel: Any = connection.default_channel
            return channel.queue_declare(queue=name, passive=True).message_count
    except Exception:  # a count we cannot read must not stop the sweep
        return 0


@shared_task(name="tickets.tasks.refresh_queue_counts", ignore_result=True, expires=10)
def refresh_queue_counts() -> int:
    """Fold the ticket changes since the last run into the queue counts, and share the
    counts for every agent's sidebar, off the web request path."""
    from tickets import counts, selectors

    counts.fold_deltas(since=timezone.now() - timedelta(days=selectors.RECENTLY_SOLVED_DAYS))
    return len(selectors.refresh_queue_counts())


@shared_task(name="tickets.tasks.recount_queue_counts", ignore_result=True, expires=300)
def recount_queue_counts() -> int:
    """Count every queue's tickets from scratch, correct the kept counts and log any
    drift (a check on the triggers that keep them; every ten minutes)."""
    from tickets import counts, selectors

    check = counts.recount(since=timezone.now() - timedelta(days=selectors.RECENTLY_SOLVED_DAYS))
    return check.total


@shared_task(name="tickets.tasks.refresh_queue_facets", ignore_result=True, expires=300)
def refresh_queue_facets() -> int:
    """Recount the languages and popular tags the queue's filters offer, off the web
    request path (half a second at a million tickets)."""
    from tickets import selectors

    return len(selectors.refresh_queue_facets())


@shared_task(name="tickets.tasks.sweep_sla", ignore_result=True, expires=30)
def sweep_sla() -> dict:
    """Fire the SLA warnings and breaches that are due (each once). Beat runs it every
    SLA_SWEEP_SECONDS; a run that finds much due works through it in batches."""
    result = services.sla_sweep(budget_seconds=settings.SLA_SWEEP_BUDGET_SECONDS)
    return {"warnings": result.warnings, "breaches": result.breaches}


@shared_task(name="tickets.tasks.recompute_sla_clocks", ignore_result=True,
             time_limit=900, soft_time_limit=840)  # fmt: skip
def recompute_sla_clocks(policy_ids: list[int], reason: str) -> int:
    """Move live clocks to their policies' current targets and calendars."""
    return services.sla_recompute(policy_ids=policy_ids, reason=reason)


@shared_task(name="tickets.tasks.poll_mailboxes", ignore_result=True)
def poll_mailboxes() -> int:
    """Hand each IMAP mailbox to a worker of its own, so one slow server delays no other."""
    from tickets.intake import imap

    ids = imap.mailboxes_to_poll()
    for mailbox_id in ids:
        poll_mailbox.apply_async((mailbox_id,), expires=settings.IMAP_POLL_SECONDS)
    return len(ids)


@shared_task(name="tickets.tasks.poll_mailbox", ignore_result=True)
def poll_mailbox(mailbox_id: int) -> int:
    """Ingest what waits in one mailbox (skips if another worker is polling it)."""
    from tickets.intake import imap
    from tickets.models import Mailbox

    mailbox = Mailbox.objects.select_related("queue").filter(pk=mailbox_id).first()
    if mailbox is None or not mailbox.polls:
        return 0
    return imap.mailbox_poll(mailbox).total
