"""Chat's background work: offers that ran out, chats waiting for someone free, idle
requesters and those who left the line, and agents whose signs of life stopped (beat,
every few seconds)."""

from __future__ import annotations

from datetime import datetime

from celery import shared_task

from chat import agents, services


@shared_task(ignore_result=True)
def expire_offer(chat_id: int, expires_at: str) -> None:
    services.chat_offer_expired(chat_id=chat_id, expires_at=datetime.fromisoformat(expires_at))


@shared_task(ignore_result=True)
def route_waiting() -> None:
    services.route_waiting()


@shared_task(ignore_result=True)
def sweep() -> None:
    """The net under the fast paths: offers past their time, requesters who left the
    line, waiting chats, idle requesters, silent agents."""
    services.sweep_offers()
    agents.sweep_silent()
    services.sweep_abandoned()
    services.route_waiting()
    services.sweep_idle()
