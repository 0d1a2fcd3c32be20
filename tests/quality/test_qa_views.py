"""The QA pages: the review page (score, read, acknowledge, dispute, decide) in a fixed
number of queries and blind until submitted; the lists each person may see; cycles,
reviewers and scorecards for those who run the programme (404 for everyone else)."""

from __future__ import annotations

import pytest

from accounts.models import AccountEvent
from quality import qa
from quality.models import Review, Scorecard
from tests.quality.conftest import GOOD, HOUR, _cycle, solved_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def todo(programme):
    ticket = solved_ticket(programme["queues"]["north"], programme["people"]["north_agent"])
    cycle, _sample = _cycle(programme, quota=1)
    review = Review.objects.get(cycle=cycle, ticket=ticket)
    Review.objects.filter(pk=review.pk).update(reviewer=programme["reviewer"])
    return {**programme, "review": review, "ticket": ticket}


def _form(values: dict) -> dict:
    return {f"value-{key}": "na" if value is None else str(value) for key, value in values.items()}


def test_the_review_page_is_blind_until_submitted_and_takes_a_fixed_number_of_queries(
    todo, client, django_assert_max_num_queries
):
    review, people = todo["review"], todo["people"]
    path = f"/quality/reviews/{review.pk}/"
    for who in ("north_agent", "atlas_lead", "north_lead"):
        client.force_login(people[who])
        assert client.get(path).status_code == 404, who  # not submitted yet: nobody else
    client.force_login(todo["reviewer"])
    client.get(path)
    with django_assert_max_num_queries(8):
        page = client.get(path)
    body = page.content.decode()
    assert page.status_code == 200 and 'data-testid="score-form"' in body
    assert "Help me please." in body  # the conversation, read-only beside the scorecard


def test_scoring_from_the_page_then_the_agent_acknowledges(todo, client):
    review, people = todo["review"], todo["people"]
    client.force_login(todo["reviewer"])
    missing = client.post(f"/quality/reviews/{review.pk}/submit/", _form({"greeting": 1}))
    assert missing.status_code == 400 and 'data-testid="review-error"' in missing.content.decode()
    done = client.post(
        f"/quality/reviews/{review.pk}/submit/",
        {**_form({**GOOD, "tone": None}), "comment-accuracy": "Spot on."},
    )
    assert done.status_code == 302
    review.refresh_from_db()
    assert review.score == pytest.approx(87.5) and review.values["accuracy"]["comment"]
    client.force_login(people["north_agent"])
    body = client.get("/quality/reviews/?tab=mine").content.decode()
    assert review.ticket.reference in body
    page = client.get(f"/quality/reviews/{review.pk}/").content.decode()
    assert "87.5" in page and 'data-testid="dispute-form"' in page
    assert client.post(f"/quality/reviews/{review.pk}/acknowledge/").status_code == 302
    review.refresh_from_db()
    assert review.state == "acknowledged"


def test_a_dispute_and_its_decision_from_the_pages(todo, client):
    review, people = todo["review"], todo["people"]
    client.force_login(todo["reviewer"])
    client.post(f"/quality/reviews/{review.pk}/submit/", _form({**GOOD, "privacy": 0}))
    client.force_login(people["north_agent"])
    empty = client.post(f"/quality/reviews/{review.pk}/dispute/", {"reason": ""})
    assert empty.status_code == 400
    client.post(
        f"/quality/reviews/{review.pk}/dispute/",
        {"reason": "Not personal data.", "propose-privacy": "1"},
    )
    client.force_login(people["north_lead"])  # not the reviewer's lead
    page = client.get(f"/quality/reviews/{review.pk}/").content.decode()
    assert 'data-testid="decide-form"' not in page
    client.force_login(people["inhouse_lead"])
    disputes = client.get("/quality/reviews/?tab=disputes").content.decode()
    assert review.ticket.reference in disputes
    client.post(
        f"/quality/reviews/{review.pk}/decide/",
        {
            "decision": "partly",
            "note": "Privacy fine.",
            "final-privacy": "1",
            "final-accuracy": "3",
        },
    )
    review.refresh_from_db()
    # greeting 100 ×1, accuracy 50 ×3, tone 50 ×2, privacy 100 ×2 → 550/8
    assert review.state == "decided" and review.score == pytest.approx(68.75)


def test_the_lists_show_each_person_what_they_may_see(todo, client):
    review, people = todo["review"], todo["people"]
    client.force_login(todo["reviewer"])
    client.post(f"/quality/reviews/{review.pk}/submit/", _form(GOOD))
    ref = review.ticket.reference
    for who, sees in (
        ("admin", True),
        ("north_lead", True),
        ("atlas_lead", False),
        ("north_agent", True),
        ("atlas_agent", False),
        ("inhouse_lead", True),
    ):
        client.force_login(people[who])
        assert (ref in client.get("/quality/reviews/?tab=all").content.decode()) is sees, who
        status = client.get(f"/quality/reviews/{review.pk}/").status_code
        assert status == (200 if sees else 404), who


def test_cycles_reviewers_and_scorecards_are_for_those_who_run_the_programme(programme, client):
    people = programme["people"]
    client.force_login(people["north_agent"])
    for path in ("/quality/cycles/", "/quality/scorecards/", "/quality/scorecards/new/"):
        assert client.get(path).status_code == 404
    client.force_login(people["north_lead"])
    assert client.get("/quality/cycles/").status_code == 200
    assert client.get("/quality/scorecards/new/").status_code == 404  # a vendor's lead
    assert (
        client.post("/quality/reviewers/", {"reviewers": [people["north_agent"].pk]}).status_code
        == 404
    )
    bad = client.post(
        "/quality/cycles/",
        {"name": "W", "starts_on": "2026-03-09", "ends_on": "2026-03-01", "quota": "0"},
    )
    assert bad.status_code == 400
    body = bad.content.decode()
    assert 'id="id_ends_on_error"' in body and 'id="id_quota_error"' in body
    solved_ticket(programme["queues"]["north"], people["north_agent"], delta=HOUR)
    started = client.post(
        "/quality/cycles/",
        {"name": "W", "starts_on": "2026-03-01", "ends_on": "2026-03-08", "quota": "3"},
    )
    assert started.status_code == 302
    assert Review.objects.filter(cycle__name="W", agent=people["north_agent"]).exists()

    client.force_login(people["admin"])
    client.post("/quality/reviewers/", {"reviewers": [people["atlas_lead"].pk]})
    assert list(qa.reviewers().values_list("pk", flat=True)) == [people["atlas_lead"].pk]
    assert AccountEvent.objects.filter(
        action=AccountEvent.Action.ADDED_ROLES_CHANGED, target_id=people["atlas_lead"].pk,
        after={"roles": ["qa_reviewer"]},
    ).exists()  # fmt: skip
    form = {
        "name": "Chat",
        "description": "",
        "pass_mark": "85",
        "is_active": "on",
        "cat-TOTAL_FORMS": "2",
        "cat-INITIAL_FORMS": "0",
        "cat-0-name": "Empathy",
        "cat-0-weight": "2",
        "cat-0-scale": "five",
        "cat-1-name": "Policy",
        "cat-1-weight": "1",
        "cat-1-scale": "pass_fail",
        "cat-1-critical": "on",
    }
    assert client.post("/quality/scorecards/new/", form).status_code == 302
    card = Scorecard.objects.get(name="Chat")
    assert card.current_version.number == 1 and card.pass_mark == 85
    assert [c["key"] for c in card.current_version.categories] == ["empathy", "policy"]
    bad_weight = client.post(f"/quality/scorecards/{card.pk}/", {**form, "cat-0-weight": "0"})
    assert bad_weight.status_code == 400


def test_a_calibration_session_and_a_coaching_task_are_404_to_outsiders(todo, client):
    from quality import qa
    from tests import factories

    people = todo["people"]
    third = factories.user(team=todo["teams"]["inhouse"], email="qa3@example.com")
    reviewers = [todo["reviewer"], todo["north_reviewer"], third]
    qa.reviewers_set(actor=people["admin"], users=reviewers)
    client.force_login(people["admin"])
    page = client.post(
        "/quality/calibration/",
        {
            "name": "March",
            "scorecard": todo["review"].version.scorecard_id,
            "tickets": todo["ticket"].reference,
            "reviewers": [p.pk for p in reviewers],
            "benchmark": reviewers[0].pk,
        },
    )
    assert page.status_code == 302, page.content.decode()[-3000:]
    path = page["Location"]
    assert client.get(path).status_code == 200
    client.force_login(third)  # a reviewer in the session
    assert b"my-calibration-reviews" in client.get(path).content
    client.force_login(people["atlas_lead"])
    assert client.get(path).status_code == 404
    client.force_login(people["north_agent"])
    assert client.get(path).status_code == 404
    bad = client.post(
        "/quality/calibration/", {"name": "x", "tickets": "NOPE", "reviewers": [reviewers[0].pk]}
    )
    assert bad.status_code == 404  # an agent runs no calibration

    client.force_login(todo["reviewer"])
    client.post(
        f"/quality/reviews/{todo['review'].pk}/submit/",
        {f"value-{k}": str(v) for k, v in {**GOOD, "privacy": 0}.items()},
    )
    page = client.post(
        f"/quality/reviews/{todo['review'].pk}/coach/",
        {"category": "privacy", "note": "Mind personal data.", "due_on": "2026-03-20"},
    )
    assert page.status_code == 302
    task = todo["review"].coaching.get()
    client.force_login(people["atlas_agent"])
    assert client.post(f"/quality/coaching/{task.pk}/done/").status_code == 404
    client.force_login(people["north_agent"])
    assert b"Mind personal data." in client.get("/quality/reviews/?tab=mine").content
    assert client.post(f"/quality/coaching/{task.pk}/done/", {"note": "ok"}).status_code == 302
    task.refresh_from_db()
    assert task.done_at is not None


def test_grading_a_reviewer_from_the_calibration_page(todo, client):
    people = todo["people"]
    client.force_login(todo["north_reviewer"])
    Review.objects.filter(pk=todo["review"].pk).update(reviewer=todo["north_reviewer"])
    client.post(f"/quality/reviews/{todo['review'].pk}/submit/", _form(GOOD))
    client.force_login(people["north_lead"])  # a vendor's lead: no grading form
    assert b"regrade-form" not in client.get("/quality/calibration/").content
    client.force_login(people["admin"])
    same = client.post(
        "/quality/calibration/",
        {
            "action": "regrade",
            "regrade-name": "Nora",
            "regrade-reviewer": todo["reviewer"].pk,
            "regrade-grader": todo["reviewer"].pk,
            "regrade-count": "5",
        },
    )
    assert same.status_code == 400 and b"another reviewer" in same.content
    made = client.post(
        "/quality/calibration/",
        {
            "action": "regrade",
            "regrade-name": "Nora",
            "regrade-reviewer": todo["north_reviewer"].pk,
            "regrade-grader": todo["reviewer"].pk,
            "regrade-count": "5",
        },
    )
    assert made.status_code == 302
    assert b"grading the reviews of" in client.get(made["Location"]).content
