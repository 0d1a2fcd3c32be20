"""QA calibration in the browser: a lead starts a session of two tickets for three
reviewers with a benchmark; each reviewer scores blind (the session shows progress, not
scores, until everyone has submitted); then the scores stand side by side with
Krippendorff's alpha per category and each reviewer's alignment with the benchmark."""

import re

import krippendorff
from playwright.sync_api import expect

from quality import qa
from quality.models import Review
from tests.e2e.conftest import sign_in
from tests.tickets import factories as tf
from tickets import services
from tickets.models import Queue

# The demo's scorecard: greeting (pass/fail), understanding (5 points), accuracy (5
# points), tone (3 points, may be n/a), privacy (pass/fail, critical). Per reviewer, the
# values for the two tickets; the lead is the benchmark.
SCORES = {
    "lead@example.com": [
        {"greeting": 1, "understanding": 5, "accuracy": 4, "tone": 3, "privacy": 1},
        {"greeting": 1, "understanding": 2, "accuracy": 3, "tone": 2, "privacy": 1},
    ],
    "agent@example.com": [
        {"greeting": 1, "understanding": 4, "accuracy": 4, "tone": 3, "privacy": 1},
        {"greeting": 1, "understanding": 2, "accuracy": 3, "tone": 2, "privacy": 1},
    ],
    "admin@example.com": [
        {"greeting": 1, "understanding": 5, "accuracy": 5, "tone": 3, "privacy": 1},
        {"greeting": 0, "understanding": 1, "accuracy": 3, "tone": 2, "privacy": 1},
    ],
}


def _as(page, email):  # type: ignore[no-untyped-def]
    page.context.clear_cookies()
    sign_in(page, email)


def _score_blind(page, email, session_url, tickets):  # type: ignore[no-untyped-def]
    _as(page, email)
    for ticket, values in zip(tickets, SCORES[email], strict=True):
        page.goto(session_url)
        expect(page.get_by_test_id("calibration-category")).to_have_count(0)  # blind
        page.get_by_test_id("my-calibration-reviews").get_by_role(
            "link", name=ticket.reference
        ).click()
        for key, value in values.items():
            page.locator(f"#v-{key}-{value}").check()
        page.get_by_role("button", name="Submit review").click()
        expect(page.locator(".alert-success")).to_contain_text("Calibration review submitted")


def test_three_reviewers_score_blind_then_see_alpha_and_alignment(page, demo_org):
    from accounts.models import User

    people = {u.email: u for u in User.objects.filter(email__endswith="@example.com")}
    qa.reviewers_set(actor=people["admin@example.com"],
                     users=[people[email] for email in SCORES])  # fmt: skip
    grace = people["northwind.agent@example.com"]
    general = Queue.objects.get(name="General Support")
    tickets = []
    for subject in ("Refund not received", "Password reset loop"):
        ticket = tf.ticket(general, subject=subject)
        services.ticket_reply(actor=grace, ticket=ticket, body="Done.", status="solved")
        tickets.append(ticket)

    _as(page, "lead@example.com")
    page.goto("/quality/calibration/")
    expect(page).to_have_title(re.compile("Calibration"))
    form = page.locator("form").filter(has=page.get_by_label("Benchmark reviewer"))
    form.get_by_label("Name", exact=True).fill("December calibration")
    form.get_by_label("Scorecard").select_option(index=1)  # the demo's one (0 is blank)
    form.get_by_label("Tickets").fill(" ".join(t.reference for t in tickets))
    form.get_by_label("Reviewers (three or more)").select_option(
        [str(people[email].pk) for email in SCORES]
    )
    form.get_by_label("Benchmark reviewer").select_option(str(people["lead@example.com"].pk))
    form.get_by_role("button").click()
    expect(page.get_by_test_id("calibration-progress")).to_contain_text("0 / 2")
    session_url = page.url

    for email in SCORES:
        _score_blind(page, email, session_url, tickets)

    page.goto(session_url)
    expect(page.get_by_test_id("calibration-category")).to_have_count(5)
    ordered = sorted(SCORES, key=lambda email: people[email].pk)  # the page's columns
    for key, name, domain in (("understanding", "Understood the request", [1, 2, 3, 4, 5]),
                              ("accuracy", "Accurate and complete answer", [1, 2, 3, 4, 5]),
                              ("greeting", "Greeting and name", [0, 1])):  # fmt: skip
        data = [[SCORES[email][n][key] for n in range(2)] for email in ordered]
        expected = krippendorff.alpha(reliability_data=data, level_of_measurement="ordinal",
                                      value_domain=domain)  # fmt: skip
        table = page.get_by_test_id("calibration-category").filter(has_text=name)
        expect(table.get_by_test_id("alpha")).to_have_text(f"{expected:.2f}")
    # Alignment with the benchmark, worked by hand: per ticket Σ weight × (1 − |score −
    # benchmark's| / points) / Σ weight (weights 1, 2, 3, 2, 2; points 1, 4, 4, 2, 1),
    # then the mean. Ana: (0.95 + 1) / 2; the admin: (0.925 + 0.85) / 2 = 0.8875.
    alignment = page.get_by_test_id("alignment")
    for email, shown in (("lead@example.com", "100%"), ("agent@example.com", "98%"),
                         ("admin@example.com", "89%")):  # fmt: skip
        row = alignment.get_by_role("row").filter(has_text=people[email].get_full_name())
        expect(row.get_by_role("cell")).to_have_text(shown)
    assert Review.objects.filter(session__isnull=False, submitted_at__isnull=False).count() == 6
