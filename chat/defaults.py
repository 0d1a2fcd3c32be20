"""What every organisation starts with: the built-in agent statuses, the chat queue and
its SLA policy. Migrations 0002 and 0003 seed them with their historical models; the demo
and tests call ``ensure_defaults`` (a test database flushed between tests has lost them)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Q

BUILTIN = [("online", "Online", True), ("away", "Away", False), ("break", "On break", False),
           ("wellness", "Wellness break", False), ("offline", "Offline", False)]  # fmt: skip

# The chat queue's policy: a first reply within a minute and each next reply within two,
# in business seconds, at every priority (tickets.models.Priority: urgent 1 to low 4).
# No actions: a chat answered late shows red and counts as a breach in the reports, but
# mailing a lead for every chat that waited a minute would bury them.
CHAT_POLICY = "Chat"
CHAT_FIRST_REPLY_SECONDS = 60
CHAT_NEXT_REPLY_SECONDS = 120
PRIORITIES = (1, 2, 3, 4)


def seed(agent_status: Any, queue: Any) -> None:
    """With the given model classes (historical ones in a migration)."""
    for position, (key, name, available) in enumerate(BUILTIN):
        agent_status.objects.get_or_create(
            key=key,
            defaults={
                "name": name,
                "available": available,
                "builtin": True,
                "position": position * 10,
            },
        )
    queue.objects.get_or_create(slug="chat", defaults={
        "name": "Live chat", "description": "Chats from the help center and the apps.",
        "default_priority": 2})  # fmt: skip


def seed_sla(queue_model: Any, policy_model: Any, target_model: Any) -> Any | None:
    """Give the chat queue its own SLA policy, tried before every other, on the calendar
    of the default policy (the first active one without conditions). Nothing when the
    queue already has a policy (one naming it, or any queue's policy for the chat channel,
    or its default: an admin chose), or there is no policy to take a calendar from (SLAs
    are not set up). Returns the policy made, if any. With model classes, as ``seed``."""
    queue = queue_model.objects.filter(slug=settings.CHAT_QUEUE).first()
    if queue is None or queue.default_sla_policy_id is not None:
        return None
    chosen = Q(queues=queue) | Q(queues__isnull=True, channels__contains=["chat"])
    if policy_model.objects.filter(chosen | Q(name=CHAT_POLICY)).exists():
        return None
    active = policy_model.objects.filter(is_active=True).order_by("position", "id")
    first = active.first()
    if first is None:
        return None
    default = active.filter(queues__isnull=True, priorities=[], channels=[],
                            high_profile="any").first() or first  # fmt: skip
    policy = policy_model.objects.create(
        name=CHAT_POLICY, position=max(0, first.position - 1), calendar_id=default.calendar_id,
        channels=["chat"],
    )  # fmt: skip
    policy.queues.set([queue])
    target_model.objects.bulk_create(
        target_model(policy=policy, priority=priority,
                     first_reply_seconds=CHAT_FIRST_REPLY_SECONDS,
                     next_reply_seconds=CHAT_NEXT_REPLY_SECONDS)
        for priority in PRIORITIES
    )  # fmt: skip
    return policy


def ensure_defaults() -> None:
    from chat.models import AgentStatus
    from tickets.models import Queue, SLAPolicy, SLATarget

    seed(AgentStatus, Queue)
    seed_sla(Queue, SLAPolicy, SLATarget)
