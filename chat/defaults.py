"""What every organisation starts with: the built-in agent statuses and the chat queue.
Migration 0002 seeds them with its historical models; the demo and tests call
``ensure_defaults`` (a test database flushed between tests has lost them)."""

from __future__ import annotations

from typing import Any

BUILTIN = [("online", "Online", True), ("away", "Away", False), ("break", "On break", False),
           ("wellness", "Wellness break", False), ("offline", "Offline", False)]  # fmt: skip


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


def ensure_defaults() -> None:
    from chat.models import AgentStatus
    from tickets.models import Queue

    seed(AgentStatus, Queue)
