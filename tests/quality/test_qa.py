"""QA reviews through the services: a cycle samples each agent's quota spread across queue
× language plus the tickets rules pull in, frozen, assigned to reviewers who never get
their own tickets (a vendor's reviewers only their vendor's agents); a review with a
critical fail scores 0; the agent acknowledges or disputes within seven days; the
reviewer's lead accepts, partly accepts or rejects; the IQS follows."""

from __future__ import annotations

from datetime import timedelta

import pytest

from accounts.models import Role
from analytics import metrics, selectors
from analytics.fold import fold_all
from analytics.selectors import Period, Slice
from escalations.models import EscalationReason
from escalations.services import escalation_raise
from quality import qa
from quality.models import Dispute, QualityEvent, Review
from tests import factories
from tests.quality.conftest import CARD, DAY, GOOD, HOUR, PERIOD, T0, _cycle, at, solved_ticket
from tests.tickets import factories as tf
from tickets import services
from tickets.models import Event, Notification

pytestmark = pytest.mark.django_db


def test_a_cycle_samples_each_agents_quota_across_queue_and_language_plus_rule_pulls(programme):
    people, queues = programme["people"], programme["queues"]
    north, atlas = people["north_agent"], people["atlas_agent"]
    spread = [
        solved_ticket(queues["north"], north, delta=n * HOUR, language=language)
        for n, language in enumerate(["en", "en", "en", "es", "es", "es"])
    ]
    breached = spread[0]
    type(breached).objects.filter(pk=breached.pk).update(sla_breached=True)
    for n in range(3):
        solved_ticket(queues["atlas"], atlas, delta=(10 + n) * HOUR, language="ar")
    later = solved_ticket(queues["north"], north, delta=8 * DAY)  # after the period
    cycle, sample = _cycle(programme)
    reviews = list(Review.objects.filter(cycle=cycle))
    by_agent = {agent: [r for r in reviews if r.agent_id == agent.pk] for agent in (north, atlas)}
    quota_north = [r for r in by_agent[north] if r.pulled_by == "quota"]
    languages = {r.ticket.language for r in quota_north}
    assert len(quota_north) == 2 and languages == {"en", "es"}  # one from each stratum
    assert len([r for r in by_agent[atlas] if r.pulled_by == "quota"]) == 2
    pulled = [r for r in by_agent[north] if r.pulled_by != "quota"]
    assert all(r.pulled_by == "sla_breached" for r in pulled)
    assert breached.pk in {r.ticket_id for r in by_agent[north]}  # pulled if not sampled
    assert later.pk not in {r.ticket_id for r in reviews}
    assert sample.agents == 2 and sample.without_scorecard == 0
    # Frozen: a ticket solved in the period afterwards does not join this cycle.
    solved_ticket(queues["north"], north, delta=2 * HOUR, language="fr")
    assert Review.objects.filter(cycle=cycle).count() == len(reviews)
    assert QualityEvent.objects.get(kind="cycle_started").after["reviews"] == len(reviews)


def test_reviewers_never_get_their_own_tickets_and_vendor_reviewers_only_their_vendor(programme):
    people, queues = programme["people"], programme["queues"]
    reviewer, north_reviewer = programme["reviewer"], programme["north_reviewer"]
    solved_ticket(queues["inhouse"], reviewer)  # the in-house reviewer's own ticket
    for n in range(4):
        solved_ticket(queues["north"], people["north_agent"], delta=n * HOUR)
        solved_ticket(queues["atlas"], people["atlas_agent"], delta=n * HOUR)
    cycle, sample = _cycle(programme, quota=4)
    for review in Review.objects.filter(cycle=cycle).select_related("agent__team"):
        assert review.reviewer_id != review.agent_id
        if review.reviewer_id == north_reviewer.pk:
            assert review.agent.team.vendor_id == programme["vendors"]["north"].pk
    own = Review.objects.get(cycle=cycle, agent=reviewer)
    assert own.reviewer == north_reviewer or own.reviewer is None
    assert sample.unassigned == Review.objects.filter(cycle=cycle, reviewer=None).count()


def test_rule_pulls_bring_in_escalated_and_reopened_tickets(programme):
    people, queues = programme["people"], programme["queues"]
    agent = people["inhouse_agent"]
    plain = [solved_ticket(queues["inhouse"], agent, delta=n * HOUR) for n in range(3)]
    reason = EscalationReason.objects.create(
        name="Legal", target_team=programme["teams"]["inhouse"], severity=3
    )
    with at(5 * HOUR):
        escalated = tf.ticket(queues["inhouse"])
        services.ticket_reply(actor=agent, ticket=escalated, body="Looking.")
        escalation_raise(actor=agent, ticket=escalated, reason=reason, severity=3, summary="Legal")
        services.ticket_change_status(actor=agent, ticket=escalated, status="solved")
    reopened = solved_ticket(queues["inhouse"], agent, delta=6 * HOUR)
    with at(7 * HOUR):
        services.ticket_requester_reply(ticket=reopened, body="Not fixed.")
        services.ticket_change_status(actor=agent, ticket=reopened, status="solved")
    cycle, _sample = _cycle(programme, quota=2)
    pulls = {r.ticket_id: r.pulled_by for r in Review.objects.filter(cycle=cycle)}
    assert pulls.get(escalated.pk) in ("escalated", "quota")
    assert pulls.get(reopened.pk) in ("reopened", "quota")
    assert len([t for t in plain if t.pk in pulls]) <= 2  # the quota, then what rules pull


@pytest.fixture
def submitted(programme):
    """A Northwind agent's ticket reviewed by the in-house reviewer with a critical fail."""
    ticket = solved_ticket(programme["queues"]["north"], programme["people"]["north_agent"])
    cycle, _sample = _cycle(programme, quota=1)
    review = Review.objects.get(cycle=cycle, ticket=ticket)
    Review.objects.filter(pk=review.pk).update(reviewer=programme["reviewer"])
    with at(8 * DAY):
        qa.review_submit(
            actor=programme["reviewer"],
            review_id=review.pk,
            values={**GOOD, "privacy": 0},
            comments={"privacy": "Shared an email."},
            comment="Careful with personal data.",
        )
    review.refresh_from_db()
    return {**programme, "review": review, "ticket": ticket}


def _iqs(user, slice_=None):  # type: ignore[no-untyped-def]
    fold_all()
    period = Period.last_days(10, tz="UTC", now=T0 + 9 * DAY)
    totals = selectors.totals(selectors.metric_scope(user), period, slice_ or Slice())
    return metrics.qa(totals), metrics.qa_reviews(totals)


def test_a_critical_fail_scores_zero_the_agent_is_told_and_the_iqs_counts_it(submitted):
    review, admin = submitted["review"], submitted["people"]["admin"]
    assert (review.state, review.score, review.auto_failed, review.passed) == (
        "submitted",
        0.0,
        True,
        False,
    )
    assert review.category_scores["accuracy"] == 75 and review.values["privacy"]["comment"]
    mail = Notification.objects.get(kind="qa_reviewed")
    assert mail.recipient == submitted["people"]["north_agent"].email
    assert Event.objects.filter(ticket=submitted["ticket"], kind="qa_reviewed").exists()
    assert _iqs(admin) == (0.0, 1)
    agent = submitted["people"]["north_agent"]
    assert _iqs(admin, Slice("agent", str(agent.pk))) == (0.0, 1)


def test_the_iqs_is_sliced_like_every_metric_by_agent_team_vendor_queue_language_category(
    programme,
):
    """Two reviews, hand-worked: a Northwind agent's Spanish billing ticket fails on a
    critical category (0); an Atlas agent's Arabic account ticket scores GOOD (78.125)."""
    people, queues, teams = programme["people"], programme["queues"], programme["teams"]
    north, atlas = people["north_agent"], people["atlas_agent"]
    bad = solved_ticket(queues["north"], north, language="es", category="billing")
    good = solved_ticket(queues["atlas"], atlas, delta=HOUR, language="ar", category="account")
    cycle, _sample = _cycle(programme, quota=1)
    for ticket, values in ((bad, {**GOOD, "privacy": 0}), (good, GOOD)):
        review = Review.objects.get(cycle=cycle, ticket=ticket)
        Review.objects.filter(pk=review.pk).update(reviewer=programme["reviewer"])
        with at(8 * DAY):
            qa.review_submit(actor=programme["reviewer"], review_id=review.pk, values=values,
                             comments={})  # fmt: skip
    admin, vendors = people["admin"], programme["vendors"]
    assert _iqs(admin) == (pytest.approx(39.0625), 2)
    for failed, passed in (
        (Slice("agent", str(north.pk)), Slice("agent", str(atlas.pk))),
        (Slice("team", str(teams["north"].pk)), Slice("team", str(teams["atlas"].pk))),
        (Slice("vendor", str(vendors["north"].pk)), Slice("vendor", str(vendors["atlas"].pk))),
        (Slice(queue_id=queues["north"].pk), Slice(queue_id=queues["atlas"].pk)),
        (Slice("language", "es"), Slice("language", "ar")),
        (Slice("category", "billing"), Slice("category", "account")),
    ):
        assert _iqs(admin, failed) == (0.0, 1), failed
        assert _iqs(admin, passed) == (pytest.approx(78.125), 1), passed
    # A vendor's lead sees their vendor's IQS only.
    assert _iqs(people["north_lead"]) == (0.0, 1)


def test_a_review_needs_every_category_and_only_its_reviewer_submits_it(programme):
    ticket = solved_ticket(programme["queues"]["north"], programme["people"]["north_agent"])
    cycle, _sample = _cycle(programme, quota=1)
    review = Review.objects.get(cycle=cycle, ticket=ticket)
    reviewer = review.reviewer
    assert reviewer is not None
    with pytest.raises(qa.QualityError, match="Score Accuracy"):
        qa.review_submit(
            actor=reviewer, review_id=review.pk, values={"greeting": 1, "privacy": 1}, comments={}
        )
    with pytest.raises(qa.QualityError, match="scores offered for Accuracy"):
        qa.review_submit(
            actor=reviewer, review_id=review.pk, values={**GOOD, "accuracy": 9}, comments={}
        )
    with pytest.raises(qa.QualityError, match="assigned to someone else"):
        qa.review_submit(
            actor=programme["people"]["admin"], review_id=review.pk, values=GOOD, comments={}
        )
    done = qa.review_submit(
        actor=reviewer, review_id=review.pk, values={**GOOD, "tone": None}, comments={}
    )
    assert done.score == pytest.approx(87.5) and done.passed is True


def test_the_agent_disputes_and_the_reviewers_lead_partly_accepts_and_the_iqs_changes(submitted):
    review, people = submitted["review"], submitted["people"]
    agent, lead = people["north_agent"], people["inhouse_lead"]
    with pytest.raises(qa.QualityError, match="Only the agent"):
        qa.dispute_open(actor=lead, review_id=review.pk, comment="x", proposed={})
    with at(9 * DAY):
        dispute = qa.dispute_open(
            actor=agent,
            review_id=review.pk,
            comment="The email was the requester's own.",
            proposed={"privacy": 1, "accuracy": 5},
        )
    assert dispute.due_at == T0 + 9 * DAY + timedelta(hours=72)
    assert Notification.objects.filter(kind="qa_dispute", recipient=lead.email).exists()
    assert [u.pk for u in qa.deciders(review)] == [lead.pk]  # the reviewer's team's lead
    with pytest.raises(qa.QualityError, match="reviewer's lead"):
        qa.dispute_decide(actor=people["north_lead"], review_id=review.pk, decision="accepted")
    with at(9 * DAY + HOUR):
        decided = qa.dispute_decide(
            actor=lead,
            review_id=review.pk,
            decision="partly",
            note="Privacy was fine; accuracy stands.",
            values={"privacy": 1},
        )
    assert decided.score == pytest.approx(78.125) and decided.state == "decided"
    assert not decided.locked and decided.dispute.state == "partly"
    assert _iqs(people["admin"]) == (pytest.approx(78.125), 1)  # taken back, counted again
    assert Event.objects.filter(ticket=submitted["ticket"], kind="qa_rescored").exists()
    assert Notification.objects.filter(kind="qa_decided", recipient=agent.email).exists()


def test_a_rejected_dispute_locks_the_scores_and_disputes_close_after_seven_days(submitted):
    review, people = submitted["review"], submitted["people"]
    agent, lead = people["north_agent"], people["inhouse_lead"]
    with at(9 * DAY):
        qa.dispute_open(actor=agent, review_id=review.pk, comment="Unfair.", proposed={})
    with pytest.raises(qa.QualityError, match="Say why"):
        qa.dispute_decide(actor=lead, review_id=review.pk, decision="rejected")
    decided = qa.dispute_decide(
        actor=lead, review_id=review.pk, decision="rejected", note="The policy is clear."
    )
    assert decided.locked and decided.score == 0.0
    with pytest.raises(qa.SurveyClosed):
        qa.dispute_open(actor=agent, review_id=review.pk, comment="Again.", proposed={})
    other = Review.objects.create(
        ticket=review.ticket,
        agent=agent,
        version=review.version,
        reviewer=programme_reviewer(submitted),
        state="submitted",
        submitted_at=T0,
        score=50.0,
    )
    with at(8 * DAY), pytest.raises(qa.SurveyClosed, match="no longer be disputed"):
        qa.dispute_open(actor=agent, review_id=other.pk, comment="Late.", proposed={})


def programme_reviewer(data):  # type: ignore[no-untyped-def]
    return data["reviewer"]


def test_the_agent_acknowledges_and_overdue_disputes_are_reminded_once(submitted):
    review, people = submitted["review"], submitted["people"]
    agent = people["north_agent"]
    with pytest.raises(qa.QualityError):
        qa.review_acknowledge(actor=people["inhouse_lead"], review_id=review.pk)
    qa.review_acknowledge(actor=agent, review_id=review.pk)
    with at(9 * DAY):
        qa.dispute_open(actor=agent, review_id=review.pk, comment="Hm.", proposed={})
    with at(13 * DAY):
        assert qa.disputes_remind() == 1
        assert qa.disputes_remind() == 0
    assert Notification.objects.filter(kind="qa_dispute_reminder").count() == 1
    assert Dispute.objects.get(review=review).reminded_at is not None


def test_a_sampled_ticket_is_skipped_or_replaced_only_with_a_reason(programme):
    agent = programme["people"]["north_agent"]
    for n in range(3):
        solved_ticket(programme["queues"]["north"], agent, delta=n * HOUR)
    cycle, _sample = _cycle(programme, quota=1)
    review = Review.objects.get(cycle=cycle)
    with pytest.raises(qa.QualityError, match="Say why"):
        qa.review_skip(actor=programme["people"]["admin"], review_id=review.pk, reason=" ")
    replacement = qa.review_skip(
        actor=programme["people"]["admin"],
        review_id=review.pk,
        reason="A test ticket.",
        replace=True,
    )
    assert replacement is not None and replacement.ticket_id != review.ticket_id
    assert replacement.pulled_by == "replacement" and replacement.agent_id == agent.pk
    review.refresh_from_db()
    assert review.state == "skipped" and review.skip_reason == "A test ticket."


def test_a_changed_scorecard_is_a_new_version_and_earlier_reviews_keep_theirs(submitted):
    admin = submitted["people"]["admin"]
    card = submitted["review"].version.scorecard
    qa.scorecard_save(
        actor=admin,
        scorecard=card,
        name=card.name,
        description="",
        queues=[],
        languages=[],
        vendors=[],
        pass_mark=80,
        categories=CARD[:2],
    )
    card.refresh_from_db()
    assert card.current_version.number == 2
    assert submitted["review"].version.number == 1
    with pytest.raises(qa.QualityError, match="cannot change scorecards"):
        qa.scorecard_save(
            actor=submitted["people"]["north_lead"],
            scorecard=card,
            name="x",
            description="",
            queues=[],
            languages=[],
            vendors=[],
            pass_mark=80,
            categories=CARD,
        )


def test_the_iqs_survives_a_rebuild_from_the_audit_trail(submitted):
    from django.core.management import call_command

    from tests.analytics.test_backfill import snapshot

    people = submitted["people"]
    with at(9 * DAY):
        qa.dispute_open(
            actor=people["north_agent"],
            review_id=submitted["review"].pk,
            comment="Fine.",
            proposed={"privacy": 1},
        )
        qa.dispute_decide(
            actor=people["inhouse_lead"], review_id=submitted["review"].pk, decision="accepted"
        )
    fold_all()
    live = snapshot("analytics_hourlyrollup")
    call_command("analytics_backfill", "--fresh", "--batch", "100")
    assert snapshot("analytics_hourlyrollup") == live
    assert _iqs(people["admin"])[1] == 1


def test_only_leads_and_admins_run_cycles(programme):
    agent = programme["people"]["north_agent"]
    with pytest.raises(qa.QualityError, match="cannot start"):
        qa.cycle_start(actor=agent, name="x", starts_at=PERIOD[0], ends_at=PERIOD[1], quota=1)
    lead = programme["people"]["north_lead"]
    assert lead.role == Role.LEAD
    cycle, _sample = qa.cycle_start(
        actor=lead, name="Northwind", starts_at=PERIOD[0], ends_at=PERIOD[1], quota=1
    )
    assert cycle.vendor == programme["vendors"]["north"]  # a vendor's lead samples their own


def test_a_calibration_session_is_blind_until_all_submit_then_shows_alpha_and_alignment(
    programme,
):
    import krippendorff
    import numpy as np

    from quality.selectors import visible_reviews

    people, queues = programme["people"], programme["queues"]
    extra = factories.user(
        team=programme["teams"]["inhouse"], email="qa3@example.com", full_name="Third QA"
    )
    reviewers = [programme["reviewer"], programme["north_reviewer"], extra]
    qa.reviewers_set(actor=people["admin"], users=reviewers)
    tickets = [
        solved_ticket(queues["north"], people["north_agent"], delta=n * HOUR) for n in range(3)
    ]
    version = Review._meta.get_field("version").related_model.objects.get()
    session = qa.calibration_start(
        actor=people["inhouse_lead"],
        name="March",
        version=version,
        tickets=tickets,
        reviewers=reviewers,
        benchmark=programme["reviewer"],
    )
    accuracy = {  # reviewer -> accuracy per ticket (the other categories agree)
        programme["reviewer"].pk: [5, 4, 2],
        programme["north_reviewer"].pk: [5, 3, 2],
        extra.pk: [4, 4, 1],
    }
    for position, ticket in enumerate(tickets):
        for person in reviewers:
            review = Review.objects.get(session=session, ticket=ticket, reviewer=person)
            assert qa.calibration_results(session).categories == []  # blind until all are in
            others = visible_reviews(person).filter(session=session).exclude(reviewer=person)
            assert not others.exists()
            qa.review_submit(
                actor=person,
                review_id=review.pk,
                comments={},
                values={**GOOD, "accuracy": accuracy[person.pk][position]},
            )
    session.refresh_from_db()
    assert session.revealed_at is not None
    results = qa.calibration_results(session)
    by_key = {a.category.key: a for a in results.categories}
    data = np.array([accuracy[p.pk] for p in results.reviewers], dtype=float)
    expected = krippendorff.alpha(
        reliability_data=data, level_of_measurement="ordinal", value_domain=[1, 2, 3, 4, 5]
    )
    assert by_key["accuracy"].alpha == pytest.approx(expected)
    assert by_key["greeting"].alpha is None  # every value the same: nothing to measure
    assert results.alignment[programme["reviewer"].pk] == pytest.approx(1.0)
    # north: accuracy off by 1 of 4 on one ticket: (1 + (1 − 0.25·3/8) + 1) / 3
    assert results.alignment[programme["north_reviewer"].pk] == pytest.approx(
        (1 + (1 - 0.25 * 3 / 8) + 1) / 3
    )
    assert not visible_reviews(people["north_agent"]).filter(session=session).exists()
    assert _iqs(people["admin"]) == (None, 0)  # calibration counts toward no IQS
    with pytest.raises(qa.QualityError, match="at least three"):
        qa.calibration_start(
            actor=people["inhouse_lead"],
            name="x",
            version=version,
            tickets=tickets,
            reviewers=reviewers[:2],
            benchmark=reviewers[0],
        )


def test_coaching_follows_a_failed_category_and_may_ask_to_read_an_sop_again(submitted):
    from tests.sops import factories as sf

    review, people = submitted["review"], submitted["people"]
    agent, reviewer = people["north_agent"], submitted["reviewer"]
    with pytest.raises(qa.QualityError, match="not met"):
        qa.coaching_open(
            actor=reviewer,
            review_id=review.pk,
            category="greeting",
            note="x",
            due_on=(T0 + 14 * DAY).date(),
        )
    version = sf.published(people["admin"], title="Personal data").current_version
    assert version is not None
    task = qa.coaching_open(
        actor=reviewer,
        review_id=review.pk,
        category="privacy",
        note="Never paste an email address into a reply.",
        due_on=(T0 + 14 * DAY).date(),
        sop_version=version,
    )
    assert Notification.objects.filter(kind="qa_coaching", recipient=agent.email).exists()
    with pytest.raises(qa.QualityError, match="not yours"):
        qa.coaching_done(actor=people["north_lead"], task_id=task.pk, note="")
    with pytest.raises(qa.QualityError, match="read the SOP again"):
        qa.coaching_done(actor=agent, task_id=task.pk, note="")
    done = qa.coaching_done(actor=agent, task_id=task.pk, note="Done.", read_sop=True)
    assert done.done_at is not None and done.sop_read_at is not None
    assert QualityEvent.objects.filter(kind="coaching_done").exists()


def test_quality_by_category_reads_the_reviews_one_may_see(submitted):
    from quality.selectors import quality_by_category

    people = submitted["people"]
    with at(9 * DAY):
        rows = {row.name: row for row in quality_by_category(people["admin"])}
        # GOOD with privacy 0: privacy failed, accuracy 75, tone 50, greeting 100.
        assert (rows["Privacy"].mean, rows["Privacy"].failed) == (0.0, 1)
        assert rows["Accuracy"].mean == 75.0 and rows["Greeting"].reviews == 1
        assert list(rows)[0] == "Privacy"  # worst first
        assert quality_by_category(people["atlas_lead"]) == []


def test_a_checklist_started_and_left_unfinished_pulls_the_ticket_in(programme):
    from sops import services as sop_services
    from tests.sops import factories as sf

    people, queues = programme["people"], programme["queues"]
    agent = people["north_agent"]
    sop = sf.published(people["admin"], title="Refunds")
    steps = list(sop.current_version.steps.order_by("position"))
    assert len(steps) >= 2
    tickets = [solved_ticket(queues["north"], agent, delta=n * HOUR) for n in range(4)]
    half, whole = tickets[0], tickets[1]
    sop_services.sop_step_tick(actor=agent, ticket=half, step=steps[0], done=True)
    for step in steps:
        sop_services.sop_step_tick(actor=agent, ticket=whole, step=step, done=True)
    cycle, _sample = _cycle(programme, quota=1)
    pulls = {r.ticket_id: r.pulled_by for r in Review.objects.filter(cycle=cycle)}
    assert pulls.get(half.pk) in ("sop_unfinished", "quota")
    assert pulls.get(whole.pk, "quota") == "quota"  # finished: no rule pulls it in


def test_an_in_house_reviewer_grades_a_vendor_reviewers_reviews_blind(programme):
    from quality.selectors import visible_reviews

    people, queues = programme["people"], programme["queues"]
    vendor_reviewer, grader = programme["north_reviewer"], programme["reviewer"]
    tickets = [
        solved_ticket(queues["north"], people["north_agent"], delta=n * HOUR) for n in range(3)
    ]
    cycle, _sample = _cycle(programme, quota=3)
    Review.objects.filter(cycle=cycle).update(reviewer=vendor_reviewer)
    for review in Review.objects.filter(cycle=cycle):
        qa.review_submit(actor=vendor_reviewer, review_id=review.pk, values=GOOD, comments={})
    with pytest.raises(qa.QualityError, match="in-house"):
        qa.regrade_start(actor=people["admin"], name="x", reviewer=grader, grader=vendor_reviewer)
    with pytest.raises(qa.QualityError, match="in-house leads"):
        qa.regrade_start(
            actor=people["north_lead"], name="x", reviewer=vendor_reviewer, grader=grader
        )
    session = qa.regrade_start(
        actor=people["inhouse_lead"],
        name="Nora, March",
        reviewer=vendor_reviewer,
        grader=grader,
        count=2,
    )
    todo = list(Review.objects.filter(session=session, reviewer=grader))
    assert len(todo) == 2 and all(r.state == "todo" for r in todo)
    # Blind: the grader sees only their own entries until they have scored them all.
    assert not visible_reviews(grader).filter(session=session, reviewer=vendor_reviewer).exists()
    for n, review in enumerate(todo):
        qa.review_submit(
            actor=grader,
            review_id=review.pk,
            comments={},
            values={**GOOD, "accuracy": 4 if n == 0 else 2},
        )
    session.refresh_from_db()
    results = qa.calibration_results(session)
    assert session.revealed_at is not None and session.graded == vendor_reviewer
    # Agreed on the first ticket; accuracy 4 against 2 on the second: 1 − 0.5·3/8.
    assert results.alignment[vendor_reviewer.pk] == pytest.approx((1 + (1 - 0.5 * 3 / 8)) / 2)
    assert tickets  # the regraded reviews keep their scores and still count
    assert Review.objects.filter(cycle=cycle, score__isnull=False).count() == 3
