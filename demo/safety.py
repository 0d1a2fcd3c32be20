"""The trust & safety part of the demo: who works reports, who is cleared for child
safety, a few words masked, and reports to look at (two about the same post, grouped;
one with an image shown blurred; an anonymous child-safety report only the cleared lead
can open; one decided, with its statement of reasons to a Spanish-speaking notifier)."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

from accounts.models import Team, User
from safety import reports, taxonomy
from safety.models import Case, Clearance, MaskWord
from tickets.models import Queue

TEAM = "trust-safety"
CLEARED = "lead@example.com"
MASKED = {"en": ["kill", "idiot", "scum"], "es": ["matar", "idiota", "escoria"]}


def _picture() -> SimpleUploadedFile:
    """A stand-in for disturbing content: loud shapes a blurred preview makes unreadable."""
    image = Image.new("RGB", (1200, 800), (250, 240, 230))
    draw = ImageDraw.Draw(image)
    for i in range(12):
        draw.ellipse((60 + i * 90, 120 + (i % 3) * 160, 220 + i * 90, 300 + (i % 3) * 160),
                     fill=(200 - i * 10, 20 + i * 12, 30), outline=(0, 0, 0), width=6)  # fmt: skip
    draw.rectangle((100, 620, 1100, 700), fill=(20, 20, 20))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return SimpleUploadedFile("evidence.jpg", buffer.getvalue(), content_type="image/jpeg")


def seed_safety_examples() -> int:
    """The setup and example reports, once (nothing when a case exists). Returns how many
    reports were added."""
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
    if Case.objects.exists():
        return 0
    post = "https://social.example.com/p/88213"
    examples = [
        (reports.ReportInput(
            channel="web", item_type="post", category="hate-speech", item_url=post,
            explanation="This post calls a whole group scum and says someone should kill them.",
            good_faith=True, notifier_name="Priya Nair", notifier_email="priya@example.net",
            notifier_language="en", account_id="acct-5521"), []),
        (reports.ReportInput(
            channel="api", item_type="post", category="hate-speech", item_url=post + "/",
            explanation="Este mensaje insulta a todo un grupo y pide matar a sus miembros.",
            good_faith=True, notifier_name="Lucía Romero", notifier_email="lucia@example.es",
            notifier_language="es", notifier_user_id="u-77120", account_id="acct-5521"), []),
        (reports.ReportInput(
            channel="web", item_type="video", category="graphic-violence",
            item_id="vid-40017", explanation="The video shows a street fight with injuries.",
            good_faith=True, notifier_name="Tom Becker", notifier_email="tom@example.de",
            notifier_language="de"), [_picture()]),
        (reports.ReportInput(
            channel="web", item_type="account", category="child-safety",
            item_id="acct-90412", explanation="This account asks children for private photos.",
            good_faith=True), []),
    ]  # fmt: skip
    submitted = [reports.report_submit(data=data, files=files) for data, files in examples]
    agent = User.objects.filter(email="agent@example.com").first()
    if agent is not None and team is not None:
        reports.case_decide(
            actor=agent, case=submitted[0].case, outcome="content_removed", ground="hate-speech",
            facts="The post attacks people for their ethnicity and calls for violence "
                  "against them.",
        )  # fmt: skip
    return len(submitted)
