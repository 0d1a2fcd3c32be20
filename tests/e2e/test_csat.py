"""Satisfaction in the browser: a requester clicks a rating in the real survey email
read back from the outbox, says why in Spanish, and the lead's CSAT moves; the lead
follows the bad rating up from the ratings list."""

import re

from playwright.sync_api import expect

from analytics.fold import fold_all
from quality import services as quality
from quality.models import Survey
from tests.e2e.conftest import sign_in
from tests.tickets import factories as tf
from tickets import services
from tickets.models import Notification, Queue


def _tile(page):  # type: ignore[no-untyped-def]
    page.goto("/analytics/?range=7")
    return page.get_by_test_id("tile-csat").inner_text()


def test_a_requester_rates_from_the_email_in_spanish_and_the_csat_moves(page, demo_org):
    from accounts.models import User

    admin, agent = User.objects.get(email="admin@example.com"), User.objects.get(
        email="agent@example.com")  # fmt: skip
    quality.survey_settings_save(actor=admin, values={"delay_hours": 0})
    fold_all()
    sign_in(page, "lead@example.com")
    before = _tile(page)
    responses = int(re.search(r"(\d[\d,.]*) respons", before).group(1).replace(",", ""))

    lucia = tf.requester(email="lucia@example.net")
    ticket = tf.ticket(Queue.objects.get(name="General Support"), language="es",
                       subject="No puedo entrar", requester_=lucia)  # fmt: skip
    services.ticket_reply(actor=agent, ticket=ticket, body="Restablecimos su acceso.",
                          status="solved")  # fmt: skip
    assert quality.surveys_send_due().get("sent") == 1
    mail = Notification.objects.get(kind="csat_survey", ticket=ticket)
    assert mail.recipient == "lucia@example.net"
    links = dict(re.findall(r"(\d) · [^:\n]+: https?://[^/\s]+(/quality/survey/\S+)", mail.body))
    page.goto(links["2"])  # "Insatisfecho"
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_test_id("csat-thanks")).to_be_visible()
    page.get_by_label("¿Qué salió mal?").select_option(label="Tardó demasiado")
    page.get_by_label("¿Quieres añadir algo? (opcional)").fill("Tres días sin respuesta.")
    page.get_by_role("button", name="Enviar").click()
    expect(page.get_by_test_id("csat-thanks")).to_contain_text("comentario")
    survey = Survey.objects.get(ticket=ticket)
    assert (survey.score, survey.reason, survey.comment) == (2, "slow", "Tres días sin respuesta.")

    fold_all()
    after = _tile(page)
    assert after != before
    assert f"{responses + 1:,}" in after.replace("\u202f", ",").replace("\xa0", ",") or str(
        responses + 1) in after  # fmt: skip

    page.goto("/quality/ratings/?show=follow_up")
    expect(page).to_have_title(re.compile("^Ratings"))
    row = page.get_by_test_id("rating-row").filter(has_text=ticket.reference)
    row.get_by_label(re.compile("What was done")).fill("Llamamos a Lucía.")
    row.get_by_role("button", name="Done").click()
    expect(page.get_by_role("status").or_(page.locator(".alert-success"))).to_contain_text(
        "Follow-up recorded")  # fmt: skip
    survey.refresh_from_db()
    assert survey.follow_up == "done"
