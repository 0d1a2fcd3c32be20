import random
from datetime import timedelta
from email import message_from_bytes
from pathlib import Path

import pytest
from django.core import mail
from django.utils import timezone

from tests import processes
from tests.tickets import factories as tf
from tickets import outbox, services
from tickets.models import Message, Notification, NotificationAttempt

State = Notification.State


class BrokenBackend:
    """An email backend whose server is down."""

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        """Takes whatever Django passes a backend; there is nothing to set up."""

    def send_messages(self, messages):  # type: ignore[no-untyped-def]
        raise ConnectionRefusedError("smtp down")


def reply(desk, body="We refunded you.", subject="Refund\r\nBcc: victim@example.com"):  # type: ignore[no-untyped-def]
    ticket = tf.ticket(desk["queues"]["inhouse"], subject=subject)
    Message.objects.filter(ticket=ticket).update(channel_message_id="<first@requester.example>")
    message = services.ticket_reply(actor=desk["people"]["inhouse_agent"], ticket=ticket, body=body)
    return ticket, message, Notification.objects.get(message=message)


@pytest.mark.django_db
def test_a_reply_is_handed_to_a_worker_only_after_commit(desk, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        reply(desk)
    # One hand-over to the worker (the others are pushes to agents' pages: chat.live).
    handed = [c for c in callbacks if "hand_over" in c.__qualname__]
    assert len(handed) == 1


@pytest.mark.django_db
def test_delivery_sends_once_with_threading_headers_and_no_header_injection(desk):
    ticket, message, notification = reply(desk)
    assert outbox.notification_deliver(notification.pk) == State.SENT
    assert outbox.notification_deliver(notification.pk) == "skipped"  # safe to run twice
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == [ticket.requester.email]
    assert "\n" not in sent.subject and "Bcc" in sent.subject  # folded into the subject text
    assert sent.extra_headers["In-Reply-To"] == "<first@requester.example>"
    assert sent.extra_headers["X-Helpdesk-Idempotency-Key"] == notification.idempotency_key
    message.refresh_from_db()
    assert message.channel_message_id == sent.extra_headers["Message-ID"]
    notification.refresh_from_db()
    assert (notification.state, notification.attempts) == (State.SENT, 1)
    assert NotificationAttempt.objects.get(notification=notification).ok


@pytest.mark.django_db
def test_failures_back_off_then_die_and_an_admin_can_retry(desk, settings):
    settings.EMAIL_BACKEND = "tests.tickets.tasks.test_outbox.BrokenBackend"
    settings.NOTIFICATION_MAX_ATTEMPTS = 3
    _, _, notification = reply(desk)
    assert outbox.notification_deliver(notification.pk) == State.FAILED
    notification.refresh_from_db()
    assert notification.next_attempt_at > timezone.now()
    assert "smtp down" in notification.last_error
    assert outbox.notification_deliver(notification.pk) == "skipped"  # not due yet
    for expected in (State.FAILED, State.DEAD):
        Notification.objects.filter(pk=notification.pk).update(next_attempt_at=timezone.now())
        assert outbox.notification_deliver(notification.pk) == expected
    assert NotificationAttempt.objects.filter(notification=notification, ok=False).count() == 3
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert outbox.notification_retry(notification=notification)
    assert outbox.notification_deliver(notification.pk) == State.SENT


def test_backoff_grows_exponentially_with_jitter_and_a_cap(settings):
    settings.NOTIFICATION_RETRY_BASE_SECONDS = 30
    settings.NOTIFICATION_RETRY_MAX_SECONDS = 3600
    rng = random.Random(1)
    delays = [outbox.backoff(n, rng=rng).total_seconds() for n in range(1, 10)]
    first, second = delays[0], delays[1]
    assert first >= 15 and first <= 45  # 30 s ± 50%
    assert second >= 30 and second <= 90  # 60 s ± 50%
    assert all(d <= 5400 for d in delays) and delays[-1] >= 1800


@pytest.mark.django_db
def test_a_send_left_unfinished_by_a_dead_worker_is_picked_up_again(desk, settings):
    _, _, notification = reply(desk)
    stale = timezone.now() - timedelta(seconds=settings.NOTIFICATION_SENDING_TIMEOUT + 1)
    Notification.objects.filter(pk=notification.pk).update(
        state=State.SENDING, next_attempt_at=stale
    )
    assert outbox.notifications_due() == [notification.pk]
    assert outbox.notification_deliver(notification.pk) == State.SENT


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_delivers_the_reply(desk, tmp_path):
    worker = processes.start_worker("outbox", env={"TEST_EMAIL_FILE_PATH": str(tmp_path)})
    try:
        ticket, _, notification = reply(desk, body="Delivered by a real worker.")
        assert processes.wait_for(
            lambda: Notification.objects.get(pk=notification.pk).state == State.SENT, timeout=60
        )
    finally:
        processes.stop(worker)
    files = list(Path(tmp_path).glob("*.log"))
    assert len(files) == 1
    sent = message_from_bytes(files[0].read_bytes())
    assert sent["To"] == ticket.requester.email
    assert "Delivered by a real worker." in files[0].read_text()


@pytest.mark.django_db
def test_the_queue_counts_task_refreshes_the_shared_counts(desk):
    from tickets import selectors
    from tickets.tasks import refresh_queue_counts

    agent = desk["people"]["north_agent"]
    tf.ticket(desk["queues"]["north"])
    assert selectors.sidebar_counts(agent)["all"] == 1
    tf.ticket(desk["queues"]["north"])
    refresh_queue_counts()  # what beat runs every few seconds
    assert selectors.sidebar_counts(agent)["all"] == 2


@pytest.mark.django_db
def test_the_sweep_hands_a_row_over_again_only_after_the_reenqueue_interval(desk, settings):
    settings.NOTIFICATION_REENQUEUE_SECONDS = 30
    _ticket, _message, notification = reply(desk)
    assert notification.pk not in outbox.notifications_due()  # its task is still queued
    Notification.objects.filter(pk=notification.pk).update(
        enqueued_at=timezone.now() - timedelta(seconds=31)
    )
    assert outbox.notifications_due() == [notification.pk]  # lost? hand it over again
    assert outbox.notifications_due() == []  # and not again at the next sweep


@pytest.mark.django_db
def test_with_a_broker_backlog_only_retries_and_reclaimed_sends_are_handed_over(desk, settings):
    _t, _m, waiting = reply(desk)
    _t, _m, retry = reply(desk, body="Second reply")
    long_ago = timezone.now() - timedelta(minutes=5)
    Notification.objects.filter(pk=waiting.pk).update(enqueued_at=long_ago)
    Notification.objects.filter(pk=retry.pk).update(state=State.FAILED, enqueued_at=None)
    assert outbox.notifications_due(include_waiting=False) == [retry.pk]
    assert outbox.notifications_due(include_waiting=True) == [waiting.pk]


@pytest.mark.django_db
def test_a_retry_lost_with_a_worker_goes_again_despite_a_backlog(desk, settings):
    settings.NOTIFICATION_REENQUEUE_SECONDS = 30
    _t, _m, retry = reply(desk)
    Notification.objects.filter(pk=retry.pk).update(
        state=State.FAILED, enqueued_at=timezone.now() - timedelta(seconds=10)
    )
    assert outbox.notifications_due(include_waiting=False) == []  # its task may still run
    Notification.objects.filter(pk=retry.pk).update(
        enqueued_at=timezone.now() - timedelta(seconds=31)
    )
    assert outbox.notifications_due(include_waiting=False) == [retry.pk]


@pytest.fixture
def wakes(monkeypatch):  # type: ignore[no-untyped-def]
    """The delivery tasks started, one entry each (none runs); the wake-up mark is clear
    before and after."""
    from core import heartbeats
    from tickets.tasks import deliver_queued

    started: list[str] = []
    monkeypatch.setattr(deliver_queued, "delay", lambda: started.append("woken"))
    heartbeats.client().delete(outbox.DRAIN_KEY)
    yield started
    heartbeats.client().delete(outbox.DRAIN_KEY)


@pytest.mark.django_db
def test_a_woken_worker_delivers_every_queued_row_in_batches_and_records_each(desk, wakes):
    sent = [reply(desk, body=f"Answer {n}") for n in range(5)]
    later = outbox.queue_email(
        kind="requester_reply", key=["later"], to="later@example.net", template="reply",
        context={"ticket": sent[0][0], "body": "Later."}, language="en",
        now=timezone.now() + timedelta(hours=1),
    )  # fmt: skip
    _t, _m, retry = reply(desk, body="A retry is the sweep's")
    Notification.objects.filter(pk=retry.pk).update(state=State.FAILED)

    from core import heartbeats

    # As a woken task finds it: its own wake-up still marked (commits meanwhile start none).
    heartbeats.client().set(outbox.DRAIN_KEY, "1", ex=outbox.DRAIN_KEY_SECONDS)
    assert outbox.notifications_deliver_queued(batch=2) == 5
    # Two full batches each started another task for the next, past the task's own mark;
    # the last was not full; and the mark is cleared once nothing is left.
    assert wakes == ["woken", "woken"]
    assert not heartbeats.client().exists(outbox.DRAIN_KEY)
    assert len(mail.outbox) == 5
    ids = {mail_.extra_headers["Message-ID"] for mail_ in mail.outbox}
    for _ticket, message, notification in sent:
        notification.refresh_from_db()
        message.refresh_from_db()
        assert (notification.state, notification.attempts) == (State.SENT, 1)
        assert notification.sent_message_id in ids
        assert message.channel_message_id == notification.sent_message_id  # replies thread
        assert NotificationAttempt.objects.get(notification=notification).ok
    assert len(ids) == 5
    later.refresh_from_db()
    retry.refresh_from_db()
    assert (later.state, retry.state) == (State.QUEUED, State.FAILED)  # not due; the sweep's
    assert outbox.notifications_deliver_queued() == 0


@pytest.mark.django_db
def test_a_failure_in_a_batch_backs_off_that_row_alone(desk, wakes):
    _t, _m, first = reply(desk)
    nowhere = outbox.queue_webhook(kind="nowhere_hook", key=[1], url="https://hooks.example/x",
                                   payload={"n": 1})  # fmt: skip
    _t, _m, last = reply(desk, body="Second")
    assert outbox.notifications_deliver_queued() == 3
    for row in (first, nowhere, last):
        row.refresh_from_db()
    assert (first.state, last.state) == (State.SENT, State.SENT)
    assert nowhere.state == State.FAILED and nowhere.next_attempt_at > timezone.now()
    assert "no active webhook endpoint" in nowhere.last_error
    assert not NotificationAttempt.objects.get(notification=nowhere).ok
    assert len(mail.outbox) == 2


@pytest.mark.django_db
def test_rows_a_slow_batch_has_not_reached_go_back_unsent(desk, settings, wakes):
    settings.NOTIFICATION_SENDING_TIMEOUT = 0  # every send is "too late" after the first
    rows = [reply(desk, body=f"Answer {n}")[2] for n in range(3)]
    assert outbox.notifications_deliver_queued() == 3
    for row in rows:
        row.refresh_from_db()
    assert [(row.state, row.attempts) for row in rows] == [
        (State.SENT, 1), (State.QUEUED, 0), (State.QUEUED, 0)]  # fmt: skip
    assert len(mail.outbox) == 1 and wakes == ["woken"]  # another worker goes on with them


@pytest.mark.django_db
def test_a_batch_records_as_it_goes_so_a_killed_worker_sends_little_again(desk, wakes,
                                                                          monkeypatch):  # fmt: skip
    monkeypatch.setattr(outbox, "RECORD_EVERY_SECONDS", 0.0)  # every send recorded at once
    rows = [reply(desk, body=f"Answer {n}")[2] for n in range(3)]
    send = outbox._send

    def killed_at_the_second(row, session):  # type: ignore[no-untyped-def]
        if row.pk == rows[1].pk:
            raise KeyboardInterrupt  # the worker dies here (SIGKILL leaves no chance at all)
        return send(row, session)

    monkeypatch.setattr(outbox, "_send", killed_at_the_second)
    with pytest.raises(KeyboardInterrupt):
        outbox.notifications_deliver_queued()
    for row in rows:
        row.refresh_from_db()
    # The first is recorded sent; only the rows the worker held unsent wait for the sweep.
    assert [row.state for row in rows] == [State.SENT, State.SENDING, State.SENDING]


def test_wake_ups_share_one_task_until_it_finds_nothing_more(wakes, monkeypatch):
    from core import heartbeats
    from tickets.tasks import deliver_queued

    for _ in range(3):
        outbox.wake_delivery()
    assert wakes == ["woken"]  # three commits, one task on its way
    assert 0 < heartbeats.client().ttl(outbox.DRAIN_KEY) <= outbox.DRAIN_KEY_SECONDS
    monkeypatch.setattr(outbox, "_claim_queued", lambda limit: [])  # the task runs dry
    outbox.notifications_deliver_queued()
    outbox.wake_delivery()  # a commit after that wakes another
    assert wakes == ["woken", "woken"]

    def broker_away() -> None:
        raise ConnectionRefusedError("broker down")

    heartbeats.client().delete(outbox.DRAIN_KEY)
    monkeypatch.setattr(deliver_queued, "delay", broker_away)
    outbox.wake_delivery()  # refused: nothing is on its way, so nothing is marked
    assert not heartbeats.client().exists(outbox.DRAIN_KEY)


@pytest.mark.django_db
def test_with_a_broker_backlog_a_row_whose_wake_up_was_lost_still_gets_a_delivery_task(
        desk, settings, monkeypatch):  # fmt: skip
    """The sweep hands no queued row over one by one while the broker has a backlog;
    but a queued row has no task in that backlog (a woken delivery task claims it), so
    one whose wake-up was lost starts a delivery task on the timers queue, which has
    none, instead of waiting for the backlog to drain."""
    from core import heartbeats
    from tickets import tasks

    settings.NOTIFICATION_REENQUEUE_SECONDS = 30
    heartbeats.client().delete(outbox.LEFT_WAITING_KEY)
    started: list[dict] = []
    monkeypatch.setattr(tasks, "_broker_backlog", lambda: 10_000)
    monkeypatch.setattr(tasks.deliver_queued, "apply_async", lambda **kw: started.append(kw))
    monkeypatch.setattr(tasks.deliver_notification, "apply_async", lambda *a, **kw: None)
    _t, _m, waiting = reply(desk)
    Notification.objects.filter(pk=waiting.pk).update(
        enqueued_at=timezone.now() - timedelta(seconds=10)
    )
    assert tasks.sweep_notifications() == 0
    assert started == []  # its wake-up may still come
    Notification.objects.filter(pk=waiting.pk).update(
        enqueued_at=timezone.now() - timedelta(seconds=31)
    )
    assert tasks.sweep_notifications() == 0  # not handed over row by row
    assert started == [{"queue": "timers"}]
    assert tasks.sweep_notifications() == 0  # still waiting: that task will take it
    assert started == [{"queue": "timers"}]
    heartbeats.client().delete(outbox.LEFT_WAITING_KEY)  # NOTIFICATION_REENQUEUE_SECONDS on
    assert tasks.sweep_notifications() == 0
    assert started == [{"queue": "timers"}] * 2
    Notification.objects.filter(pk=waiting.pk).update(state=State.SENT)
    heartbeats.client().delete(outbox.LEFT_WAITING_KEY)
    assert tasks.sweep_notifications() == 0
    assert started == [{"queue": "timers"}] * 2  # nothing left waiting: no task
    heartbeats.client().delete(outbox.LEFT_WAITING_KEY)
