"""The push server's application (uvicorn; `push` in the Procfile): event streams only,
the pages are served by gunicorn (helpdesk.wsgi)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
# No persistent connections here (Django's advice under ASGI): each request runs its sync
# parts in a thread of its own, and a connection kept for CONN_MAX_AGE outlives that
# thread unused; the chat bench saw the push server hold 70+ of PostgreSQL's connections.
os.environ["DATABASE_CONN_MAX_AGE"] = "0"
application = get_asgi_application()
