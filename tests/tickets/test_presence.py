"""Who else has a ticket open, as the push server records it when a page's stream opens
(``tickets.presence.arrive``): the page's state is kept, and only news is announced."""

import itertools
import json

from core import heartbeats, push
from tickets import presence

_tickets = itertools.count(900_000_001)  # ids no other test's ticket has


def _announced(ticket_id: int) -> int:
    return int(heartbeats.client().xlen(push.key(presence.topic(ticket_id))))


def _entry(ticket_id: int, user_id: int) -> dict:
    return json.loads(heartbeats.client().hget(f"helpdesk:presence:ticket:{ticket_id}",
                                               str(user_id)))  # fmt: skip


def test_arriving_records_viewing_and_announces_it_once():
    ticket = next(_tickets)
    assert presence.arrive(ticket, user_id=1, name="Ana") == []
    assert (_entry(ticket, 1)["name"], _entry(ticket, 1)["state"]) == ("Ana", presence.VIEWING)
    assert _announced(ticket) == 1
    # Her stream reconnects: nothing new to tell.
    presence.arrive(ticket, user_id=1, name="Ana")
    assert _announced(ticket) == 1


def test_arriving_keeps_the_state_the_page_set_and_returns_the_others_fresh_and_sorted():
    ticket = next(_tickets)
    presence.touch(ticket, user_id=1, name="Ana", state=presence.REPLYING)
    presence.touch(ticket, user_id=2, name="Zoe", state=presence.VIEWING)
    presence.touch(ticket, user_id=3, name="Ben", state=presence.REPLYING)
    before = _announced(ticket)
    others = presence.arrive(ticket, user_id=1, name="Ana")
    assert [(o["name"], o["state"]) for o in others] == [
        ("Ben", presence.REPLYING), ("Zoe", presence.VIEWING)]  # fmt: skip
    assert _entry(ticket, 1)["state"] == presence.REPLYING
    assert _announced(ticket) == before


def test_a_stale_entry_arriving_again_is_news_and_viewing():
    ticket = next(_tickets)
    key = f"helpdesk:presence:ticket:{ticket}"
    stale = {"name": "Ana", "state": presence.REPLYING, "at": 1.0}
    heartbeats.client().hset(key, "1", json.dumps(stale))
    presence.arrive(ticket, user_id=1, name="Ana")
    assert _announced(ticket) == 1
    assert _entry(ticket, 1)["at"] > 1.0
    assert _entry(ticket, 1)["state"] == presence.VIEWING
