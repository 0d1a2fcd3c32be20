"""The push server's application (uvicorn; `push` in the Procfile): event streams only,
the pages are served by gunicorn (helpdesk.wsgi)."""

from __future__ import annotations

import asyncio
import os
import weakref
from typing import Any

from django.core.asgi import get_asgi_application

from helpdesk.startup import import_url_configuration

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")

# Streams opening at once (hundreds, when chats are accepted together or every browser
# comes back after a restart) pass the middleware and their lookups this many at a time:
# each holds a database connection until its stream has started (and has given it back).
# (The chat bench, 500 chats starting over a minute, opened streams no faster with 48.)
OPENING_AT_ONCE = int(os.environ.get("PUSH_OPENING_AT_ONCE", "16"))

# No persistent connections here (Django's advice under ASGI): each request runs its sync
# parts in a thread of its own, and a connection kept for CONN_MAX_AGE outlives that
# thread unused (the chat bench saw the push server hold 70+ of PostgreSQL's). A pool
# instead: a closed connection goes back to it, and the next lookup takes it at once.
os.environ.setdefault("DATABASE_POOL_SIZE", str(OPENING_AT_ONCE + 4))


class OpeningGate:
    """Lets ``OPENING_AT_ONCE`` requests at a time run until their first body chunk; an
    open stream then waits on Redis without holding a place."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary()
        )

    def _gate(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        if loop not in self._gates:
            self._gates[loop] = asyncio.Semaphore(OPENING_AT_ONCE)
        return self._gates[loop]

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        gate = self._gate()
        await gate.acquire()
        held = True

        async def sending(message: dict) -> None:
            nonlocal held
            if held and message["type"] == "http.response.body":
                held = False
                gate.release()
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            if held:
                gate.release()


application = OpeningGate(get_asgi_application())
# After a restart every browser reconnects at once.
import_url_configuration()
