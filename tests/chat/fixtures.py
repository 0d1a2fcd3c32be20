"""Fixtures for chat's tests and the browser tests (the root conftest loads them)."""

import pytest

from accounts.models import Role
from chat import agents, defaults, services
from chat.models import Chat
from tests import factories
from tickets.models import Queue


@pytest.fixture
def line(org, settings):
    """The chat queue worked by the in-house team and Northwind; three agents who speak
    Spanish (two in-house, one at Northwind), one who speaks only English."""
    settings.CHAT_OFFER_SECONDS = 30
    seed()
    queue = Queue.objects.get(slug="chat")
    queue.teams.set([org["teams"]["inhouse"]])
    queue.vendors.set([org["vendors"]["north"]])
    team = org["teams"]["inhouse"]
    people = {
        "ana": factories.user(team=team, full_name="Ana Ruiz", languages=("es", "en")),
        "ben": factories.user(team=team, full_name="Ben Ortiz", languages=("es",)),
        "nora": factories.user(
            team=org["teams"]["north"], full_name="Nora Díaz", languages=("es",)
        ),
        "eli": factories.user(team=team, full_name="Eli Stone", languages=("en",)),
        "atlas": factories.user(
            team=org["teams"]["atlas"], full_name="Ali Atlas", languages=("es",)
        ),
        "lead": factories.user(role=Role.LEAD, team=team, full_name="Lea Lead", languages=("es",)),
    }
    return {**org, "queue": queue, "chatters": people}


def seed() -> None:
    """What migration chat 0002 makes (a transactional test's flush removed it)."""
    defaults.ensure_defaults()


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run a call and what it left for after commit (pushes, the gate in Redis), as a
    committed transaction would: the tests run inside one that never commits."""

    def run(call, *args, **kwargs):  # type: ignore[no-untyped-def]
        with django_capture_on_commit_callbacks(execute=True):
            return call(*args, **kwargs)

    return run


@pytest.fixture
def online(committed):
    def put_online(*users, limit=None):  # type: ignore[no-untyped-def]
        for user in users:
            committed(agents.status_set, user=user, key="online")
            if limit is not None:
                committed(agents.set_limit, actor=user, user=user, limit=limit)

    return put_online


@pytest.fixture
def start(committed):
    def start_chat(
        language="es",
        body="Hola, no puedo entrar en mi cuenta",
        email="maria@example.net",
        **fields,
    ):  # type: ignore[no-untyped-def]
        chat, token = committed(
            services.chat_start,
            name="María",
            email=email,
            language=language,
            body=body,
            client_id="c-1",
            **fields,
        )
        return Chat.objects.select_related("ticket").get(pk=chat.pk), token

    return start_chat
