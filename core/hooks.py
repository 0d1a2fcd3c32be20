"""A typed announcement that an app makes and the apps above it subscribe to
(``tickets.hooks``, ``accounts.hooks``): the lower app never names the ones that listen."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

E = TypeVar("E")


class Hook(Generic[E]):
    """One kind of announcement and the handlers that listen to it."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._handlers: list[Callable[[E], None]] = []

    def connect(self, handler: Callable[[E], None]) -> Callable[[E], None]:
        """Subscribe (idempotent: a handler connected twice runs once). Usable as a
        decorator."""
        if handler not in self._handlers:
            self._handlers.append(handler)
        return handler

    def disconnect(self, handler: Callable[[E], None]) -> None:
        if handler in self._handlers:
            self._handlers.remove(handler)

    def send(self, event: E) -> None:
        for handler in self._handlers:
            handler(event)

    def __repr__(self) -> str:
        return f"<Hook {self.name}: {len(self._handlers)} handler(s)>"
