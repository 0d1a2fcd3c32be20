"""A requester writes through the help center and answers from their link."""

import re

from playwright.sync_api import expect

from tickets.models import Notification, Ticket


def test_a_requester_asks_then_replies_from_the_link(page, demo_org):
    page.goto("/help/")
    expect(page).to_have_title(re.compile("Contact support"))
    page.get_by_label("Your email address").fill("maria@example.net")
    page.get_by_label("Your name").fill("María")
    page.get_by_label("What is it about?").select_option("billing")
    page.get_by_label("Subject", exact=True).fill("Doble cobro")
    page.get_by_label("Describe the problem").fill("Me cobraron dos veces la suscripción.")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_test_id("help-sent")).to_contain_text("Your reference is")
    ticket = Ticket.objects.get(subject="Doble cobro")
    assert ticket.channel == "web" and ticket.language == "en"  # the page's language

    link = re.search(r"https?://\S+(/help/t/\S+/)", Notification.objects.get(
        kind="help_center_ack", ticket=ticket).body).group(1)  # fmt: skip
    page.goto(link)
    expect(page.get_by_test_id("help-ticket-subject")).to_have_text("Doble cobro")
    page.get_by_label("Your reply").fill("Adjunto el recibo más tarde.")
    page.get_by_role("button", name="Send reply").click()
    expect(page.get_by_test_id("help-conversation").get_by_role("listitem")).to_have_count(2)
