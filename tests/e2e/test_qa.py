"""QA in the browser, the whole loop: a lead starts a cycle that samples tickets, a
reviewer scores one with a critical fail, the agent sees it and disputes it, the
reviewer's lead partly accepts, and the IQS on the dashboard changes."""

import re
from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from analytics.fold import fold_all
from quality import qa
from quality.models import Review
from tests.e2e.conftest import sign_in
from tests.tickets import factories as tf
from tickets import services
from tickets.models import Queue


def _as(page, email):  # type: ignore[no-untyped-def]
    page.context.clear_cookies()
    sign_in(page, email)


def _iqs(page):  # type: ignore[no-untyped-def]
    fold_all()
    page.goto("/analytics/?range=7")
    return page.get_by_test_id("tile-qa").inner_text()


def test_sample_score_dispute_decide_and_the_iqs_moves(page, demo_org):
    from accounts.models import User

    people = {u.email: u for u in User.objects.filter(email__endswith="@example.com")}
    admin, ana = people["admin@example.com"], people["agent@example.com"]
    grace = people["northwind.agent@example.com"]
    # The demo's scorecard: greeting (pass/fail ×1), understanding (5 points ×2), accuracy
    # (5 points ×3), tone (3 points ×2, may be n/a), privacy (pass/fail ×2, critical).
    qa.reviewers_set(actor=admin, users=[ana])
    ticket = tf.ticket(Queue.objects.get(name="General Support"), subject="Cuenta bloqueada",
                       language="es")  # fmt: skip
    services.ticket_reply(actor=grace, ticket=ticket, body="Desbloqueada.", status="solved")

    _as(page, "lead@example.com")
    page.goto("/quality/cycles/")
    expect(page).to_have_title(re.compile("^Sampling cycles"))
    today = timezone.localdate()
    page.get_by_label("Name").fill("Today")
    page.get_by_label("Tickets solved from").fill((today - timedelta(days=1)).isoformat())
    page.get_by_label("Up to and including").fill((today + timedelta(days=1)).isoformat())
    page.get_by_label("Reviews per agent").fill("50")
    page.get_by_role("button", name="Sample now").click()
    expect(page.locator(".alert-success")).to_contain_text("sampled")
    review = Review.objects.get(ticket=ticket)
    assert review.reviewer == ana and review.agent == grace

    _as(page, "agent@example.com")  # Ana reviews
    page.goto("/quality/reviews/?tab=todo")
    page.get_by_role("link", name=ticket.reference).click()
    expect(page.get_by_test_id("review-conversation")).to_contain_text("Desbloqueada.")
    page.locator("#v-greeting-1").check()
    page.locator("#v-understanding-5").check()
    page.locator("#v-accuracy-4").focus()
    page.keyboard.press("Space")  # by keyboard
    page.locator("#v-tone-na").check()
    page.locator("#v-privacy-0").check()
    page.get_by_label("Comment on Personal data protected").fill("Pasted the requester's email.")
    page.get_by_role("button", name="Submit review").click()
    expect(page.locator(".alert-success")).to_contain_text("Review submitted")

    _as(page, "admin@example.com")
    before = _iqs(page)  # the demo's reviews, and this one's 0

    _as(page, "northwind.agent@example.com")  # Grace sees and disputes it
    page.goto("/quality/reviews/?tab=mine")
    page.get_by_role("link", name=ticket.reference).click()
    expect(page.get_by_test_id("review-score")).to_have_text("0.0")
    expect(page.get_by_test_id("review-scores")).to_contain_text("critical fail")
    page.get_by_test_id("dispute-form").locator("summary").click()
    page.get_by_label("What do you disagree with?").fill("It was the requester's own email.")
    page.get_by_label("Proposed score for Personal data protected").select_option("1")
    page.get_by_role("button", name="Send dispute").click()
    expect(page.get_by_test_id("review-state")).to_have_text("Disputed")

    _as(page, "lead@example.com")  # Ana's lead decides
    page.goto("/quality/reviews/?tab=disputes")
    page.get_by_role("link", name=ticket.reference).click()
    form = page.get_by_test_id("decide-form")
    form.get_by_label("Partly accept: the final scores below").check()
    form.get_by_label("Final score for Personal data protected").select_option("1")
    form.get_by_label("Final score for Accurate and complete answer").select_option("2")
    form.get_by_label("Why").fill("Privacy was fine; the answer missed a step.")
    form.get_by_role("button", name="Record the decision").click()
    # greeting 100 ×1, understanding 100 ×2, accuracy 25 ×3, tone n/a, privacy 100 ×2
    # → 575 / 8 = 71.875
    expect(page.get_by_test_id("review-score")).to_have_text("71.9")

    _as(page, "admin@example.com")
    after = _iqs(page)
    assert after != before, (before, after)  # the IQS took the new score in
