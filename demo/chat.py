"""The live chat part of the demo: the chat queue is worked by the Trust & Safety team and
Northwind Support (Ana and Grace take chats once they set themselves Online), in the
languages of General Support and Arabic, under its own SLA policy ("Chat": first reply in
60 s, next reply in 120 s; ``chat.defaults``, once the demo's policies exist). No example
chats: open /help/chat/ in another browser and start one."""

from __future__ import annotations

from accounts.models import Team, Vendor
from chat import defaults
from tickets.models import Queue

TEAM = "trust-safety"
VENDOR = "Northwind Support"


def seed_chat_setup() -> bool:
    """The setup, once (what exists is kept, the chat queue's SLA policy too). Returns
    whether the chat queue exists."""
    defaults.ensure_defaults()
    queue = Queue.objects.filter(slug="chat").first()
    if queue is None:
        return False
    team = Team.objects.filter(slug=TEAM).first()
    if team is not None:
        queue.teams.add(team)
    vendor = Vendor.objects.filter(name=VENDOR).first()
    if vendor is not None:
        queue.vendors.add(vendor)
    if not queue.languages:
        queue.languages = ["en", "es", "pt", "fr", "de", "ar"]
        queue.save(update_fields=["languages"])
    return True
