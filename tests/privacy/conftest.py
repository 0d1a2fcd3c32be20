import email.message
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from escalations import services as escalations
from quality import services as quality
from sops.models import SOPStep
from tests import factories
from tests.escalations import factories as ef
from tests.sops import factories as sf
from tickets import services
from tickets.intake.email import email_ingest
from tickets.intake.help_center import help_center_submit
from tickets.intake.inapp import app_client_create, inapp_request_create

# The subject, and a phrase only their messages hold.
EMAIL = "zelda.quirke@subject.example"
NAME = "Zelda Quirke"
EXTERNAL_ID = "usr-zq-77412"
PHRASE = "marmalade-periscope-4471"
NEEDLES = (EMAIL, NAME, EXTERNAL_ID, PHRASE)


@pytest.fixture
def officer(org):
    """An in-house lead given the privacy permission (a compliance officer)."""
    person = factories.user(role="lead", team=org["teams"]["inhouse"],
                            email="privacy.officer@example.com")  # fmt: skip
    person.user_permissions.add(Permission.objects.get(codename="handle_erasurerequest"))
    return person


def _email(subject: str, body: str, *, attachment: bytes) -> bytes:
    message = email.message.EmailMessage()
    message["From"] = f"{NAME} <{EMAIL}>"
    message["To"] = "help@helpdesk.test"
    message["Subject"] = subject
    message["Message-ID"] = "<zq-1@subject.example>"
    message.set_content(body)
    message.add_attachment(attachment, maintype="text", subtype="plain", filename="statement.txt")
    return bytes(message)


@pytest.fixture
def subject(desk, settings, tmp_path):
    """One person across every channel and feature: email with an attachment, the help
    center, in-app, replies both ways, an internal note, an escalation, an incident update,
    an SOP checklist, a rating and a data export."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    # Real files on disk, so the proof reads the media directory itself.
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage"}}  # fmt: skip
    queue = desk["queues"]["inhouse"]
    settings.INBOUND_EMAIL_QUEUE = queue.slug
    settings.HELP_CENTER_QUEUE = queue.slug
    people = desk["people"]
    agent, admin = people["inhouse_agent"], people["admin"]

    mailed = email_ingest(_email(f"Refund {PHRASE}", f"Hello, {PHRASE} again. {NAME}",
                                 attachment=f"My statement {PHRASE}".encode())).ticket  # fmt: skip
    assert mailed is not None
    upload = SimpleUploadedFile("id.txt", f"{PHRASE} id".encode())
    web = help_center_submit(email=EMAIL, name=NAME, subject="Account locked",
                             body=f"Locked out {PHRASE}", category="account", language="en",
                             files=[upload])  # fmt: skip
    client, _key = app_client_create(name="Subject app", queue=queue)
    inapp = inapp_request_create(client=client, user_id=EXTERNAL_ID, email=EMAIL, name=NAME,
                                 language="en", subject="Crash", description=f"It crashed {PHRASE}",
                                 category="bugs", app_version="1.2", device="Pixel",
                                 extra={"note": PHRASE})  # fmt: skip
    services.ticket_reply(actor=agent, ticket=mailed, body=f"Dear {NAME}, about {PHRASE}")
    services.ticket_requester_reply(ticket=mailed, body=f"Thanks, {PHRASE}", channel="email")
    services.ticket_reply(actor=agent, ticket=mailed, body=f"{NAME} {EMAIL} note",
                          internal=True)  # fmt: skip
    reason = ef.reason(desk["teams"]["inhouse"])
    escalations.escalation_raise(actor=agent, ticket=web, reason=reason, severity=3,
                                 summary=f"{NAME} says {PHRASE}")  # fmt: skip
    incident = escalations.incident_open(actor=admin, title="Login outage", severity=2,
                                         tickets=[web, inapp])  # fmt: skip
    escalations.incident_post_update(actor=admin, incident=incident,
                                     body="We are fixing the login outage.",
                                     notify_requesters=True)  # fmt: skip
    sop = sf.published(admin, queues=[queue], steps=("Verify identity", "Refund"))
    step = SOPStep.objects.filter(version=sop.current_version).first()
    assert step is not None
    from sops.services import sop_step_tick

    sop_step_tick(actor=agent, ticket=mailed, step=step, done=True)
    services.ticket_change_status(actor=agent, ticket=mailed, status="solved")
    survey = mailed.surveys.get()
    quality.surveys_send_due(now=timezone.now() + timedelta(days=3))
    quality.csat_rate(survey_id=survey.pk, score=2, channel="email",
                      comment=f"{NAME} unhappy {PHRASE}")  # fmt: skip
    return {
        **desk,
        "tickets": [mailed, web, inapp],
        "requester": mailed.requester,
        "agent": agent,
        "admin": admin,
    }
