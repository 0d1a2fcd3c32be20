"""Surveys follow their tickets (``tickets.hooks``): a solve schedules one, a reopen
cancels the one still waiting. Each costs one statement and reads no configuration."""

from __future__ import annotations

from quality import services
from tickets import hooks
from tickets.models import ACTIVE_STATUSES


def on_status_changed(event: hooks.StatusChanged) -> None:
    if event.new in services.DONE and event.old in ACTIVE_STATUSES:
        services.survey_schedule(ticket=event.ticket)
    elif event.old in services.DONE and event.new in ACTIVE_STATUSES:
        services.survey_cancel(ticket=event.ticket, reason="reopened")


def on_merged(event: hooks.Merged) -> None:
    services.survey_cancel(ticket=event.source, reason="merged")


def connect() -> None:
    hooks.status_changed.connect(on_status_changed)
    hooks.merged.connect(on_merged)
