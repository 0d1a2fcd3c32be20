"""The trust & safety part of the demo: who works reports (the Trust & Safety team gets
both report queues), who is cleared for child safety (the lead, not the agent), and a
few words masked. No example reports: send one through /safety/report/."""

from __future__ import annotations

from accounts.models import Team, User
from safety import taxonomy
from safety.models import Clearance, MaskWord
from tickets.models import Queue

TEAM = "trust-safety"
CLEARED = "lead@example.com"
MASKED = {"en": ["kill", "idiot", "scum"], "es": ["matar", "idiota", "escoria"]}


def seed_safety_setup() -> int:
    """The setup, once (what exists is kept). Returns how many people are cleared."""
    taxonomy.ensure_defaults()
    team = Team.objects.filter(slug=TEAM).first()
    if team is not None:
        for queue in Queue.objects.filter(slug__in=["safety-reports", "child-safety"]):
            queue.teams.add(team)
    lead = User.objects.filter(email=CLEARED).first()
    admin = User.objects.filter(email="admin@example.com").first()
    if lead is not None and admin is not None:
        Clearance.objects.get_or_create(user=lead, defaults={
            "granted_by": admin, "note": "Child-safety specialist (demo)"})  # fmt: skip
    for language, words in MASKED.items():
        for word in words:
            MaskWord.objects.get_or_create(language=language, word=word)
    return Clearance.objects.count()
