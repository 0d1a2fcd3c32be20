"""axe-core (from npm, node_modules/axe-core) on every main page, in English and in Arabic
(right to left): no serious or critical violations.

One browser context per language, signed in once; every <details> is opened before the
check so the forms folded inside them (return an escalation, escalate a ticket…) are
checked too. axe is evaluated through Playwright (DevTools), which the page's
Content-Security-Policy does not apply to: nothing is served or relaxed for it.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from django.conf import settings

from accounts.models import User
from analytics.fold import fold_all
from escalations.selectors import visible_escalations, visible_incidents
from identity.models import SecurityKey
from identity.services import must_enrol, recovery_codes_make
from quality.models import Survey
from quality.selectors import visible_reviews
from quality.services import rating_url
from sops.models import SOPVersion
from sops.selectors import visible_sops
from tests import factories
from tests.e2e.conftest import ARTIFACTS
from tests.identity.conftest import enrolled
from tickets.intake.help_center import requester_link
from tickets.models import Priority
from tickets.selectors import visible_tickets

AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")
LANGUAGES = ["en", "ar"]  # left to right, and right to left
# An in-house lead: every page (the SOP editor, people, incidents), a lead's actions on
# escalations, and the banner of SOPs to acknowledge (admins have none).
EMAIL = "lead@example.com"
# Identity's pages: the second step and the security page of an agent with an app, a key
# and a token; the access pages (policies, providers, security log) as the admin.
SECOND_STEP_EMAIL = "agent@example.com"
ADMIN_EMAIL = "admin@example.com"
IDENTITY_ADMIN_PAGES = [
    ("security log", "/accounts/access/log/", True),
    ("access policies", "/accounts/access/policies/", True),
    ("identity providers", "/accounts/access/providers/", True),
    ("new identity provider", "/accounts/access/providers/new/", True),
    ("API tokens", "/accounts/access/tokens/", True),
]

RUN_AXE = """async (blocking) => {
  document.querySelectorAll("details").forEach((details) => { details.open = true; });
  const results = await axe.run(document, { resultTypes: ["violations"] });
  return results.violations
    .filter((violation) => blocking.includes(violation.impact))
    .map((violation) => ({
      id: violation.id, impact: violation.impact, help: violation.help,
      nodes: violation.nodes.slice(0, 4).map((node) => ({
        target: node.target.join(" "),
        summary: (node.failureSummary || "").split("\\n").slice(1, 2).join(" ").trim(),
      })),
      more: Math.max(0, violation.nodes.length - 4),
    }));
}"""


def main_pages(user: User) -> list[tuple[str, str, bool]]:
    """(name, path, needs sign-in) for every main page, from the demo's data the person
    may see."""
    tickets = visible_tickets(user)
    ticket = (tickets.filter(priority=Priority.HIGH, messages__isnull=False).order_by("id")
              .first() or tickets.order_by("id").first())  # fmt: skip
    assert ticket is not None, "the demo has no tickets"
    escalation = visible_escalations(user).order_by("id").first()
    incident = visible_incidents(user).order_by("id").first()
    sops = visible_sops(user)
    sop = sops.filter(current_version__isnull=False).order_by("id").first()
    draft = (SOPVersion.objects.filter(sop__in=sops, state__in=["draft", "in_review"])
             .select_related("sop").order_by("id").first())  # fmt: skip
    assert escalation and incident and sop and draft, "the demo lacks escalations or SOPs"
    review = (visible_reviews(user).filter(submitted_at__isnull=False)
              .select_related("version").order_by("id").first())  # fmt: skip
    if review is None:
        review = _a_submitted_review(user)
    assert review is not None, "the demo has no submitted QA review the lead may see"
    word = max(ticket.subject.split(), key=len)
    requester_page = "/" + requester_link(ticket).split("/", 3)[3]
    return [
        ("sign-in", "/accounts/sign-in/", False),
        ("help-center form", "/help/", False),
        ("report form", "/safety/report/", False),
        ("help-center chat", "/help/chat/", False),
        ("requester's page", requester_page, False),
        ("home", "/", True),
        ("queue", "/tickets/?view=all", True),
        ("ticket", f"/tickets/{ticket.reference}/", True),
        ("search results", f"/tickets/search/?q={quote(word)}", True),
        ("SOP library", "/sops/", True),
        ("SOP", f"/sops/{sop.slug}/", True),
        ("SOP editor", f"/sops/{draft.sop.slug}/edit/", True),
        ("escalation board", "/escalations/", True),
        ("escalation", f"/escalations/{escalation.pk}/", True),
        ("incidents", "/escalations/incidents/", True),
        ("incident", f"/escalations/incidents/{incident.pk}/", True),
        ("on-call", "/escalations/on-call/", True),
        ("preferences", "/accounts/preferences/", True),
        ("people", "/accounts/people/", True),
        ("dashboard", "/analytics/", True),
        ("dashboard by language, 30 days", "/analytics/?range=30&slice=language:en", True),
        ("agent table", "/analytics/agents/", True),
        ("vendor comparison", "/analytics/vendors/", True),
        ("scheduled reports", "/analytics/reports/", True),
        ("new scheduled report", "/analytics/reports/new/?slice=language:en", True),
        ("ratings", "/quality/ratings/", True),
        ("ratings to follow up", "/quality/ratings/?show=follow_up", True),
        ("QA reviews", "/quality/reviews/?tab=all", True),
        ("QA review", f"/quality/reviews/{review.pk}/", True),
        ("sampling cycles", "/quality/cycles/", True),
        ("scorecards", "/quality/scorecards/", True),
        ("scorecard editor", f"/quality/scorecards/{review.version.scorecard_id}/", True),
        ("calibration", "/quality/calibration/", True),
        ("trust & safety reports", "/safety/reports/", True),
        ("new report", "/safety/reports/new/", True),
        ("wellbeing", "/safety/wellbeing/", True),
        ("exposure of the lead's people", "/safety/wellbeing/people/", True),
        ("protection settings", "/safety/protection/", True),
        ("chats", "/chat/", True),
    ]


def _a_submitted_review(lead: User):  # type: ignore[no-untyped-def]
    """The demo's cycle samples the last seven days as they fall at the hour it runs: when
    its in-house reviewer drew nothing, one of their reviews, scored as the demo does."""
    from quality import qa
    from quality.models import Review, ScorecardVersion

    ana = User.objects.get(email="agent@example.com")
    version = ScorecardVersion.objects.order_by("-id").first()
    ticket = (visible_tickets(lead).filter(status__in=["solved", "closed"])
              .exclude(assignee=ana).exclude(assignee=None).order_by("-id").first())  # fmt: skip
    if version is None or ticket is None:
        return None
    review = Review.objects.create(ticket=ticket, agent=ticket.assignee, reviewer=ana,
                                   version=version)  # fmt: skip
    values = {"greeting": 1, "understanding": 4, "accuracy": 4, "tone": 3, "privacy": 1}
    qa.review_submit(actor=ana, review_id=review.pk, values=values, comments={})
    return visible_reviews(lead).filter(pk=review.pk).select_related("version").first()


def rating_page(language: str) -> tuple[str, str, bool]:
    """A requester's rating page, which is in its survey's language: one of this language
    (the demo surveys its solved tickets; the page takes no sign-in)."""
    sent = Survey.objects.filter(state="sent").order_by("-sent_at")
    survey = sent.filter(language=language).first()
    if survey is None:  # the demo's few surveys in a language fall in its window or not
        survey = sent.first()
        assert survey is not None, "the demo has no sent survey"
        Survey.objects.filter(pk=survey.pk).update(language=language)
    return ("requester's rating page", "/" + rating_url(survey).split("/", 3)[3], True)


def appeal_page(language: str) -> tuple[str, str, bool]:
    """A notifier's appeal page (the link in a statement of reasons), in its language: a
    report decided for it (the demo has no reports)."""
    from safety import reports

    report = reports.report_submit(data=reports.ReportInput(
        channel="web", item_type="post", item_url=f"https://social.example/p/axe-{language}",
        category="spam-scams", explanation="Spam links.", good_faith=True,
        notifier_name="Axe", notifier_email="axe@example.org",
        notifier_language=language))  # fmt: skip
    admin = User.objects.get(email="admin@example.com")
    decision = reports.case_decide(actor=admin, case=report.case, outcome="content_removed",
                                   ground="spam-scams", facts="Spam links.")  # fmt: skip
    token = reports.notifier_appeal_token(decision, "axe@example.org", language)
    return ("notifier's appeal page", f"/safety/appeal/{token}/", True)


def sign_in_any_language(page, email: str, password: str = "helpdesk-demo") -> None:  # noqa: S107
    page.goto("/accounts/sign-in/")
    page.locator("input[name=username]").fill(email)
    page.locator("input[name=password]").fill(password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(lambda url: "/accounts/sign-in/" not in url)


def audit(page, language: str, pages: list[tuple[str, str, bool]], email: str = EMAIL) -> list[str]:
    axe_source = AXE.read_text()
    found = []
    signed_in = False
    for name, path, needs_sign_in in pages:
        if needs_sign_in and not signed_in:
            sign_in_any_language(page, email)
            signed_in = True
        response = page.goto(path)
        assert response is not None and response.status == 200, (language, name, response)
        html = page.locator("html")
        assert html.get_attribute("lang") == language, (language, name)
        assert html.get_attribute("dir") == ("rtl" if language == "ar" else "ltr"), name
        page.wait_for_load_state("networkidle")  # htmx fragments loaded after the page
        if name == "home":
            assert page.locator("#sop-banner-slot a").count(), "no SOP banner to check"
        page.evaluate(axe_source)
        for violation in page.evaluate(RUN_AXE, list(BLOCKING)):
            nodes = "; ".join(
                f"{node['target']} ({node['summary']})" if node["summary"] else node["target"]
                for node in violation["nodes"]
            )
            more = f" and {violation['more']} more" if violation["more"] else ""
            found.append(
                f"[{language}] {name} {path}: {violation['id']} ({violation['impact']}): "
                f"{violation['help']} — {nodes}{more}"
            )
    return found


def test_every_main_page_has_no_serious_accessibility_violations_in_english_and_arabic(
    browser, live_server, demo_org, console_errors
):
    assert AXE.exists(), "axe-core is missing: run npm ci (package-lock.json)"
    fold_all()  # the dashboards show what the demo's changes through the services recorded
    pages = main_pages(User.objects.get(email=EMAIL))
    found = []
    # One test for both languages: the demo is seeded once.
    for language in LANGUAGES:
        context = browser.new_context(base_url=live_server.url, locale=language)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.on("console", lambda msg: msg.type == "error" and console_errors.append(msg.text))
        page.on("pageerror", lambda exc: console_errors.append(str(exc)))
        try:
            extra = [rating_page(language), appeal_page(language)]
            violations = audit(page, language, [*pages, *extra])
            if violations:
                ARTIFACTS.mkdir(exist_ok=True)
                page.screenshot(path=str(ARTIFACTS / f"axe-{language}.png"), full_page=True)
        finally:
            context.close()
        found += violations
    found += identity_violations(browser, live_server, console_errors)
    assert not found, "\n".join(found)
    # A Content-Security-Policy violation or a script error counts as a failure too.
    assert console_errors == [], console_errors


def privacy_pages() -> list[tuple[str, str, bool]]:
    """Privacy's pages as the admin, over a requester of the demo with an erasure request,
    a hold, a retention policy and a read in the access log."""
    from datetime import timedelta

    from django.utils import timezone

    from privacy import access, services
    from privacy.models import RetentionPolicy

    admin = User.objects.get(email=ADMIN_EMAIL)
    ticket = visible_tickets(admin).filter(messages__isnull=False).order_by("id").first()
    assert ticket is not None
    erasure = services.erasure_request(actor=admin, requester=ticket.requester, mode="anonymise",
                                       case_number="DSR-1")  # fmt: skip
    later = timezone.localdate() + timedelta(days=90)
    services.hold_place(actor=admin, case_number="LIT-1", owner=admin, reason="Lawsuit",
                        review_on=later, ticket=ticket)  # fmt: skip
    policy = services.retention_policy_save(actor=admin, policy=RetentionPolicy(
        name="Old tickets", queue=ticket.queue, mode="delete", days=730))  # fmt: skip
    access.record(kind=access.Kind.TICKET_VIEW, user_id=admin.pk, team_id=None,
                  reference=ticket.reference)  # fmt: skip
    access.drain()
    return [
        ("privacy", f"/privacy/?q={quote(ticket.reference)}", True),
        ("requester's data", f"/privacy/requesters/{ticket.requester_id}/", True),
        ("erasure request", f"/privacy/erasures/{erasure.pk}/", True),
        ("legal holds", "/privacy/holds/", True),
        ("access log", f"/privacy/access/?person={admin.pk}", True),
        ("retention", "/privacy/retention/", True),
        ("retention policy", f"/privacy/retention/{policy.pk}/", True),
        ("redaction", f"/privacy/tickets/{ticket.reference}/redact/", True),
    ]


def identity_violations(browser, live_server, console_errors) -> list[str]:  # type: ignore[no-untyped-def]
    """Identity's pages, in the same seeded demo: the second step and the security page of
    an agent with an app, a key and a token, then the access pages and privacy's pages as
    the admin."""
    person = User.objects.get(email=SECOND_STEP_EMAIL)
    enrolled(person)
    codes = recovery_codes_make(user=person)
    SecurityKey.objects.create(user=person, name="Blue key", credential_id=b"axe-key",
                               public_key=b"not checked here")  # fmt: skip
    factories.api_key(person, name="Reporting script")
    # Held at enrolment, the admin would be shown the enrolment page instead of theirs.
    assert not must_enrol(User.objects.get(email=ADMIN_EMAIL)), "the demo admin must enrol"
    admin_pages = [*IDENTITY_ADMIN_PAGES, *privacy_pages()]
    found = []
    for language, code in zip(LANGUAGES, codes, strict=False):
        context = browser.new_context(base_url=live_server.url, locale=language)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.on("console", lambda msg: msg.type == "error" and console_errors.append(msg.text))
        page.on("pageerror", lambda exc: console_errors.append(str(exc)))
        try:
            # The password step; the second step's page; a recovery code completes it.
            page.goto("/accounts/sign-in/")
            page.locator("input[name=username]").fill(SECOND_STEP_EMAIL)
            page.locator("input[name=password]").fill("helpdesk-demo")
            page.locator("main form button[type=submit]").click()
            page.wait_for_url("**/accounts/sign-in/verify/")
            violations = audit(
                page, language, [("second step", "/accounts/sign-in/verify/", False)]
            )
            page.locator("input[name=code]").fill(code)
            page.locator("main form button[type=submit]").click()
            page.wait_for_url(lambda url: "/accounts/sign-in/" not in url)
            # Signed in above: the page needs no further sign-in.
            violations += audit(page, language, [("security", "/accounts/security/", False)])
            context.clear_cookies()
            violations += audit(page, language, admin_pages, email=ADMIN_EMAIL)
            if violations:
                ARTIFACTS.mkdir(exist_ok=True)
                page.screenshot(path=str(ARTIFACTS / f"axe-identity-{language}.png"),
                                full_page=True)  # fmt: skip
        finally:
            context.close()
        found += violations
    return found
