"""Agents' pages refreshed by push: a change to a ticket nudges its queue's topic
(``queue:<id>``), and the pages of the agents who see that queue reload their queue list
and counts (static/chat/agent.js), instead of asking every 15-20 s whether anything
changed. The nudge says only which queue moved, nothing about the ticket: the page then
fetches what it may see, through the usual scoping. A new message also goes to the
ticket's own topic, read by the pages open on that ticket (the new-message warning)."""

from __future__ import annotations

from core import push
from tickets import hooks, presence

QUEUE_PREFIX = "queue:"
# After passing on a queue's "changed", an agent's stream reads no queue topic for this
# long, then reads what came meanwhile as one "changed" (chat/push_views.py). The page
# reloads at most once per 10 s however many it gets (static/chat/agent.js), so it loses
# nothing; the push server is spared a wake-up per nudge per stream (every open stream
# follows every queue of its reader: 1,000 agents on 8 busy queues woke it ~15,000
# times a second, bench/agents.py).
CHANGED_QUIET_SECONDS = 5.0


def queue_topic(queue_id: int) -> str:
    return f"{QUEUE_PREFIX}{queue_id}"


def is_queue_topic(topic: str) -> bool:
    return topic.startswith(QUEUE_PREFIX)


def _nudge(*queue_ids: int | None) -> None:
    # At most one a half second per queue (push.nudge): every chat line is a change.
    push.nudge([queue_topic(pk) for pk in queue_ids if pk], "changed")


def on_created(event: hooks.TicketCreated) -> None:
    _nudge(event.ticket.queue_id)


def on_message(event: hooks.MessageAdded) -> None:
    _nudge(event.ticket.queue_id)
    message = event.message
    if (message.channel_message_id or "").startswith("chat:"):
        return  # a chat's line: its ticket page shows it live in the chat panel
    # The pages open on this ticket warn of it ("A new message came in"); whose it is and
    # what it says they read on reloading, through the usual scoping.
    push.publish(presence.topic(event.ticket.pk), "ticket_message", {
        "by": event.actor.pk if event.actor else None,
        "internal": message.is_internal,
    })  # fmt: skip


def on_status(event: hooks.StatusChanged) -> None:
    _nudge(event.ticket.queue_id)


def on_assigned(event: hooks.Assigned) -> None:
    _nudge(event.ticket.queue_id)


def on_queue(event: hooks.QueueChanged) -> None:
    _nudge(event.old, event.new)


def on_merged(event: hooks.Merged) -> None:
    _nudge(event.source.queue_id, event.target.queue_id)


def connect() -> None:
    hooks.ticket_created.connect(on_created)
    hooks.message_added.connect(on_message)
    hooks.status_changed.connect(on_status)
    hooks.assigned.connect(on_assigned)
    hooks.queue_changed.connect(on_queue)
    hooks.merged.connect(on_merged)
