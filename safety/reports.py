"""User reports (notices, DSA Art. 16), grouped by item into cases with one decision and
its statement of reasons (Art. 17), and the affected user's appeals (Art. 20).

Every write here records its audit ``SafetyEvent`` and, on the case's ticket, a
``tickets.events`` event, in the same transaction; mail and webhooks go through the
outbox, after commit."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import Conflict, Forbidden, Invalid, NotFound
from core.urls import absolute_url
from safety import categories, report_selectors
from safety.models import (
    Appeal,
    Case,
    Decision,
    HarmCategory,
    ItemType,
    Outcome,
    Report,
    SafetyEvent,
    TicketEventKind,
    TicketMark,
    new_report_reference,
)
from tickets import events, outbox, selectors
from tickets.intake.help_center import help_center_queue
from tickets.models import Channel, Message, Requester, Status, Ticket
from tickets.outbox.mail import supported_language
from tickets.services import (
    message_attach,
    requester_get_or_create,
    ticket_assign,
    ticket_change_status,
    ticket_create,
    ticket_move_queue,
    ticket_requester_reply,
)

if TYPE_CHECKING:
    from accounts.models import User

RECEIPT_KIND = "safety_report_receipt"
STATEMENT_KIND = "safety_statement"
WEBHOOK_KIND = "safety_decision"
EXPLANATION_MAX = 20_000
LINKS_MAX = 20
APPEAL_DAYS = 183  # six months (DSA Art. 20(1))


class ReportError(Invalid):
    """A report, decision or appeal refused; ``field`` names the input at fault (shown
    next to it), empty when the whole request is."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


class ReportConflict(Conflict, ReportError):
    """The case is not in a state that allows this (decided already, no appeal open)."""


class ReportForbidden(Forbidden, ReportError):
    """The actor may see the case but not do this (decide an appeal on their own decision)."""


class ReportNotFound(NotFound, ReportError):
    """No such case or appeal, or not the actor's (or this account's) to reach."""


# ------------------------------------------------------------------ item keys


def normalise_url(url: str) -> str:
    """The URL's host lower-cased, without scheme, fragment or trailing slash; the query
    kept: ``https://Social.Example/p/1/?a=1#x`` -> ``social.example/p/1?a=1``."""
    parts = urlsplit(url.strip())
    path = parts.path.rstrip("/")
    return urlunsplit(("", parts.netloc.lower(), path, parts.query, "")).lstrip("/")


def item_key(item_type: str, item_id: str, item_url: str) -> str:
    """What makes two reports about the same item: type and id, else the URL's form."""
    item_id = item_id.strip()
    if item_id:
        return f"{item_type}:{item_id}"
    return f"url:{normalise_url(item_url)}"


# ---------------------------------------------------------------------- input


@dataclass(frozen=True)
class ReportInput:
    """One notice, from any channel (help center, in-app API, an agent)."""

    channel: str
    item_type: str
    category: str  # a HarmCategory key
    explanation: str
    good_faith: bool
    item_url: str = ""
    item_id: str = ""
    account_id: str = ""
    evidence_links: Sequence[str] = ()
    notifier_name: str = ""
    notifier_email: str = ""
    notifier_language: str = ""
    notifier_user_id: str = ""


def _clean(data: ReportInput) -> tuple[HarmCategory, list[str], str]:
    """The category, the links and the email, or ReportError naming the field."""
    if data.channel not in Report.Channel.values:
        raise ReportError(_("Unknown channel."))
    if data.item_type not in ItemType.values:
        raise ReportError(_("Choose what kind of item it is."), "item_type")
    if not data.item_id.strip() and not data.item_url.strip():
        raise ReportError(_("Give the item's address or its id."), "item_url")
    if len(data.item_id) > 200:
        raise ReportError(_("The id is too long (200 characters at most)."), "item_id")
    if data.item_url:
        try:
            URLValidator(schemes=["http", "https"])(data.item_url.strip())
        except ValidationError:
            raise ReportError(_("Enter a web address (https://…)."), "item_url") from None
        if len(data.item_url) > 1000:
            raise ReportError(_("The address is too long."), "item_url")
    category = next((c for c in categories.active() if c.key == data.category), None)
    if category is None:
        raise ReportError(_("Choose a reason from the list."), "category")
    if category.requires_clearance and category.queue_id is None:
        raise ReportError(_("Reports of this kind cannot be taken right now: no specialist "
                            "queue is set for them."), "category")  # fmt: skip
    explanation = data.explanation.strip()
    if not explanation:
        raise ReportError(_("Explain why the item breaks the rules."), "explanation")
    if len(explanation) > EXPLANATION_MAX or "\x00" in explanation:
        raise ReportError(_("The explanation is too long."), "explanation")
    links = [link.strip() for link in data.evidence_links if link.strip()]
    if len(links) > LINKS_MAX:
        raise ReportError(_("At most %(n)d links.") % {"n": LINKS_MAX}, "evidence_links")
    for link in links:
        try:
            URLValidator(schemes=["http", "https"])(link)
        except ValidationError:
            raise ReportError(_("“%(link)s” is not a web address.") % {"link": link[:100]},
                              "evidence_links") from None  # fmt: skip
    email = data.notifier_email.strip().lower()
    if email:
        try:
            EmailValidator()(email)
        except ValidationError:
            raise ReportError(_("Enter a valid email address."), "notifier_email") from None
    if not category.notifier_optional:
        if not data.notifier_name.strip():
            raise ReportError(_("Give your name (required for this kind of report)."),
                              "notifier_name")  # fmt: skip
        if not email:
            raise ReportError(_("Give your email address (required for this kind of "
                                "report)."), "notifier_email")  # fmt: skip
    if len(data.notifier_name) > 200:
        raise ReportError(_("The name is too long."), "notifier_name")
    if not data.good_faith:
        raise ReportError(_("Confirm that the report is accurate and made in good faith."),
                          "good_faith")  # fmt: skip
    return category, links, email


def _message_body(data: ReportInput, links: list[str], category: HarmCategory) -> str:
    lines = [data.explanation.strip(), ""]
    lines.append(_("Reason: %(category)s") % {"category": category.name})
    item = data.item_url.strip() or ""
    if data.item_id.strip():
        item = f"{ItemType(data.item_type).label} {data.item_id.strip()} {item}".strip()
    lines.append(_("Item: %(item)s") % {"item": item})
    if links:
        lines.append(_("Evidence links:"))
        lines.extend(f"- {link}" for link in links)
    return "\n".join(lines)


def _requester_for(data: ReportInput, email: str, language: str, reference: str) -> Requester:
    # An anonymous notifier: a requester of their own, with no email to write to, known
    # only by the report's reference (a requester needs an identity).
    external_id = data.notifier_user_id or ("" if email else f"anonymous:{reference}")
    return requester_get_or_create(email=email, external_id=external_id,
                                   name=data.notifier_name.strip() or _("Anonymous notifier"),
                                   language=language)  # fmt: skip


def _queue_for(category: HarmCategory) -> Any:
    queue = category.queue if category.queue_id else help_center_queue()
    if queue is None:
        raise ReportError(_("Reports cannot be taken right now."))
    return queue


def _item_label(case_or_data: Any) -> str:
    return (case_or_data.item_url or f"{case_or_data.item_type} {case_or_data.item_id}")[:150]


# --------------------------------------------------------------------- submit


@transaction.atomic
def report_submit(*, data: ReportInput, files: Iterable = (), actor: User | None = None) -> Report:
    """Take a notice: it joins the open case about the same item, or opens one (with its
    ticket). A receipt with the report's reference goes to the notifier if they gave an
    email. Refused with ReportError (its ``field`` set) on bad input."""
    category, links, email = _clean(data)
    if actor is not None and data.channel != Report.Channel.AGENT:
        raise ReportError(_("Unknown channel."))
    files = list(files)
    language = supported_language(data.notifier_language) if data.notifier_language else ""
    key = item_key(data.item_type, data.item_id, data.item_url)
    reference = new_report_reference()
    requester = _requester_for(data, email, language, reference)
    body = _message_body(data, links, category)
    case, message, joined = _place(data, category, key, requester, body, language, actor)
    if files:
        message_attach(message=message, files=files)
    report = Report.objects.create(
        reference=reference, case=case, channel=data.channel, category=category,
        explanation=data.explanation.strip(),
        evidence_links=links, notifier_name=data.notifier_name.strip(), notifier_email=email,
        notifier_language=language, notifier_user_id=data.notifier_user_id, good_faith=True,
        message=message, entered_by=actor,
    )  # fmt: skip
    Case.objects.filter(pk=case.pk).update(reports_count=F("reports_count") + 1)
    case.reports_count += 1
    if joined:
        events.record(case.ticket, actor, TicketEventKind.REPORT_ADDED, after={
            "report": report.reference, "reports": case.reports_count})  # fmt: skip
    SafetyEvent.objects.create(kind="report_received", actor=actor, case_reference=case.reference,
                               data={"report": report.reference, "channel": data.channel,
                                     "category": category.key, "joined": joined})  # fmt: skip
    if email:
        outbox.queue_email(
            kind=RECEIPT_KIND, key=[report.pk], to=email, template="safety_report_receipt",
            context={"report": report, "case": case, "item": _item_label(case),
                     "category_name": category.name_in(language or "en"),
                     "name": report.notifier_name or email},
            language=language or settings.LANGUAGE_CODE, automatic="auto-replied",
            ticket=case.ticket,
        )  # fmt: skip
    return report


def _place(data: ReportInput, category: HarmCategory, key: str, requester: Requester,
           body: str, language: str, actor: User | None) -> tuple[Case, Message, bool]:  # fmt: skip
    """The report's case and message: it joins the item's open case, else opens one.
    Two first reports at once: the loser's insert hits the one-open-case constraint,
    rolls back to its savepoint, and joins the case the other opened."""
    for attempt in range(2):
        try:
            with transaction.atomic():
                case = report_selectors.open_case_for_update(key)
                if case is None:
                    case, message = _open_case(data, category, key, requester, body, language,
                                               actor)  # fmt: skip
                    return case, message, False
                _escalate(case, category)
                account_id = data.account_id.strip()[:200]
                if account_id and not case.account_id:
                    # A later report (the platform's app, say) names the account a web
                    # notifier could not: the decision's webhook and appeals need it.
                    case.account_id = account_id
                    case.save(update_fields=["account_id"])
                    SafetyEvent.objects.create(
                        kind="account_named", actor=actor, case_reference=case.reference,
                        data={"account_id": account_id, "channel": data.channel})  # fmt: skip
                return case, _join_case(case, requester, body, data.channel), True
        except IntegrityError:
            if attempt:
                break
    raise ReportConflict(_("This report could not be saved; please try again."))


def _open_case(data: ReportInput, category: HarmCategory, key: str, requester: Requester,
               body: str, language: str, actor: User | None) -> tuple[Case, Message]:  # fmt: skip
    queue = _queue_for(category)
    item = _item_label(data)
    subject = _("Report: %(category)s — %(item)s") % {"category": category.name, "item": item}
    channel = Channel.API if data.channel == Report.Channel.API else Channel.WEB
    ticket = ticket_create(actor=None, requester=requester, queue=queue, subject=subject[:250],
                           body=body, channel=channel, language=language,
                           category=category.key, priority=category.priority)  # fmt: skip
    case = Case.objects.create(
        ticket=ticket, item_type=data.item_type, item_id=data.item_id.strip(),
        item_url=data.item_url.strip(), item_key=key, account_id=data.account_id.strip()[:200],
        category=category,
    )  # fmt: skip
    return case, ticket.messages.all()[0]


def _escalate(case: Case, category: HarmCategory) -> None:
    """A report that needs clearance (child safety) about an item whose open case does
    not: the case takes its category and moves to the cleared specialists' queue."""

    if not category.requires_clearance or case.category.requires_clearance:
        return
    if category.queue is None:  # refused earlier (_clean)
        return
    ticket = ticket_move_queue(actor=None, ticket=case.ticket, queue=category.queue)
    Ticket.objects.filter(pk=ticket.pk).update(category=category.key)
    ticket.category = category.key
    case.ticket, case.category = ticket, category
    case.save(update_fields=["category"])
    # A mark an agent gave it wins over the category (categories.for_ticket): it follows
    # the escalation, or the case could be moved out of the cleared queue by its mark.
    marked = TicketMark.objects.filter(ticket_id=ticket.pk).exclude(category=category)
    for mark in marked:
        before = {"category": mark.category_id}
        mark.category = category
        mark.save(update_fields=["category"])
        events.record(ticket, None, TicketEventKind.MARKED_SENSITIVE, before,
                      {"category": category.name, "category_key": category.key})  # fmt: skip


def _join_case(case: Case, requester: Requester, body: str, channel: str) -> Message:
    web = Channel.API if channel == Report.Channel.API else Channel.WEB
    message = ticket_requester_reply(ticket=case.ticket, body=body, channel=web)
    if requester.pk != case.ticket.requester_id:
        # Another person's notice: their message, never shown to the first notifier.
        Message.objects.filter(pk=message.pk).update(origin_requester=requester)
        message.origin_requester = requester
    return message


# ------------------------------------------------------------------- decisions


def _may_work(actor: User, case: Case) -> None:
    if not selectors.can_work_queue(actor, case.ticket.queue_id):
        raise ReportNotFound(_("No such case."))


def _ground(key_or_category: str | HarmCategory) -> HarmCategory:
    if isinstance(key_or_category, HarmCategory):
        return key_or_category
    ground = categories.by_key().get(key_or_category)
    if ground is None:
        raise ReportError(_("Choose the policy ground."), "ground")
    return ground


def _check_decision(outcome: str, facts: str) -> str:
    if outcome not in Outcome.values:
        raise ReportError(_("Choose a decision."), "outcome")
    facts = facts.strip()
    if not facts:
        raise ReportError(_("State the facts and circumstances the decision rests on."),
                          "facts")  # fmt: skip
    if len(facts) > EXPLANATION_MAX or "\x00" in facts:
        raise ReportError(_("The facts are too long."), "facts")
    return facts


@transaction.atomic
def case_decide(*, actor: User, case: Case, outcome: str, ground: str | HarmCategory,
                facts: str, automated_detection: bool = False,
                automated_decision: bool = False) -> Decision:  # fmt: skip
    """Decide an open case: the decision, the ticket solved, the statement of reasons to
    every notifier with an email (each in their language) and the signed webhook."""
    case = report_selectors.case_locked(case.pk)
    _may_work(actor, case)
    if case.state != Case.State.OPEN:
        raise ReportConflict(_("This case has been decided already."))
    facts = _check_decision(outcome, facts)
    ground = _ground(ground)
    now = timezone.now()
    decision = Decision.objects.create(
        case=case, outcome=outcome, ground=ground, facts=facts,
        automated_detection=automated_detection, automated_decision=automated_decision,
        decided_by=actor, decided_at=now,
    )  # fmt: skip
    case.state, case.decided_at = Case.State.DECIDED, now
    case.save(update_fields=["state", "decided_at"])
    events.record(case.ticket, actor, TicketEventKind.CASE_DECIDED, after={
        "outcome": outcome, "outcome_label": str(Outcome(outcome).label),
        "ground": ground.key})  # fmt: skip
    SafetyEvent.objects.create(kind="case_decided", actor=actor, case_reference=case.reference,
                               data={"outcome": outcome, "ground": ground.key,
                                     "automated_decision": automated_decision})  # fmt: skip
    _solve(actor, case.ticket)
    _announce(case, decision, recipients=_notifiers(case))
    return decision


def _solve(actor: User | None, ticket: Ticket) -> None:
    if ticket.status not in (Status.SOLVED, Status.CLOSED):
        ticket_change_status(actor=actor, ticket=ticket, status=Status.SOLVED)


def _notifiers(case: Case) -> list[tuple[str, str, str]]:
    """(email, name, language) of every notifier of the case who gave an email, once."""
    seen: dict[str, tuple[str, str, str]] = {}
    for report in report_selectors.case_reports(case):
        if report.notifier_email and report.notifier_email not in seen:
            seen[report.notifier_email] = (report.notifier_email, report.notifier_name,
                                           report.notifier_language)  # fmt: skip
    return list(seen.values())


def appeal_instructions() -> str:
    return str(gettext_lazy(
        "The affected user may appeal within six months through the app (POST the case "
        "reference, their account id and an explanation to the appeals endpoint)."))  # fmt: skip


def _announce(
    case: Case, decision: Decision, *, recipients: list[tuple[str, str, str]], webhook: bool = True
) -> None:
    """The statement of reasons to each recipient in their own language, and the
    signed webhook for the affected account; one batch, written now, sent after commit."""
    batch = outbox.Batch()
    for email, name, language in recipients:
        language = supported_language(language)
        batch.email(
            kind=STATEMENT_KIND, key=[decision.pk, email], to=email,
            template="safety_statement", language=language, automatic="auto-generated",
            ticket=case.ticket,
            context={"case": case, "decision": decision, "name": name or email,
                     "item": _item_label(case), "appeal_days": APPEAL_DAYS,
                     "outcome_label": Outcome(decision.outcome).label,
                     "ground_name": decision.ground.name_in(language),
                     "is_appeal": decision.appeal_id is not None,
                     "appeal_url": absolute_url("safety:notifier_appeal",
                                                notifier_appeal_token(decision, email,
                                                                      language))},
        )  # fmt: skip
    url = settings.SAFETY_WEBHOOK_URL
    if url and webhook:
        batch.webhook(kind=WEBHOOK_KIND, key=[decision.pk], url=url,
                      payload=webhook_payload(case, decision), ticket=case.ticket)  # fmt: skip
    batch.queue()


def webhook_payload(case: Case, decision: Decision) -> dict[str, Any]:
    return {
        "case": case.reference, "decision_id": decision.pk,
        "item": {"type": case.item_type, "id": case.item_id, "url": case.item_url},
        "account_id": case.account_id or None, "outcome": decision.outcome,
        "ground": decision.ground.key, "facts": decision.facts,
        "automated_detection": decision.automated_detection,
        "automated_decision": decision.automated_decision,
        "decided_at": decision.decided_at.isoformat(),
        "appeal": decision.appeal.reference if decision.appeal else None,
        "appeal_url": absolute_url("api-safety-appeals"),
        "appeal_instructions": appeal_instructions(),
    }  # fmt: skip


def webhook_endpoint(notification: Any) -> outbox.WebhookEndpoint | None:
    """Where ``safety.decision`` goes: the settings' URL and secret when it is sent."""
    url = settings.SAFETY_WEBHOOK_URL
    if not url:
        return None
    return outbox.WebhookEndpoint(url, settings.SAFETY_WEBHOOK_SECRET)


# --------------------------------------------------------------------- appeals


def pick_reviewer(case: Case, *, decider_id: int) -> User:
    """Among the active people who may work the case's queue, not the decider, the one
    with the fewest open appeals (then the earliest account, for a stable answer)."""
    from accounts.models import User

    queue = case.ticket.queue
    grant = Q(team__queues=queue) | Q(team__vendor__queues=queue) | Q(role="admin")
    candidates = User.objects.filter(grant, is_active=True).exclude(pk=decider_id).distinct()
    load = dict(Appeal.objects.filter(state=Appeal.State.OPEN, reviewer__isnull=False)
                .values_list("reviewer_id").annotate(n=Count("id")))  # fmt: skip
    people = sorted(candidates, key=lambda person: (load.get(person.pk, 0), person.pk))
    for person in people:
        selectors.forget_visible_queues(person)
        if selectors.can_work_queue(person, queue.pk):
            return person
    raise ReportConflict(_("No other reviewer can take this appeal; ask a lead to add one "
                           "to the queue."))  # fmt: skip


@transaction.atomic
def appeal_submit(*, case_reference: str, account_id: str, explanation: str, email: str = "",
                  language: str = "", actor: User | None = None) -> Appeal:  # fmt: skip
    """The affected user's appeal against the case's decision (in-app, or entered by an
    agent): it goes to a different reviewer than the one who decided, and the ticket
    reopens, assigned to them."""

    case = report_selectors.case_by_reference_locked(case_reference)
    if case is None or (actor is not None and not selectors.can_work_queue(
            actor, case.ticket.queue_id)):  # fmt: skip
        raise ReportNotFound(_("No such case."), "case")
    if actor is None and (not case.account_id or case.account_id != account_id.strip()):
        raise ReportNotFound(_("No such case."), "case")
    return _open_appeal(case, account_id=account_id.strip()[:200] or case.account_id,
                        explanation=explanation, email=email, language=language,
                        actor=actor)  # fmt: skip


APPEAL_SALT = "safety.notifier-appeal"


def notifier_appeal_token(decision: Decision, email: str, language: str) -> str:
    """The signed part of the link in a statement of reasons: the notifier's own way to
    appeal the decision it announces (no account, no key)."""
    return signing.dumps([decision.pk, email.lower(), language], salt=APPEAL_SALT)


@dataclass(frozen=True)
class NotifierAppeal:
    decision: Decision
    email: str
    language: str


def notifier_appeal_from(token: str) -> NotifierAppeal | None:
    """The decision and notifier a link names, or None (forged, or older than the time to
    appeal plus a day)."""
    try:
        pk, email, language = signing.loads(
            token, salt=APPEAL_SALT, max_age=timedelta(days=APPEAL_DAYS + 1)
        )
    except (signing.BadSignature, TypeError, ValueError):
        return None
    decision = (
        Decision.objects.select_related("case", "ground", "case__ticket").filter(pk=pk).first()
    )
    if decision is None:
        return None
    return NotifierAppeal(decision, email, language)


@transaction.atomic
def notifier_appeal_submit(*, token: str, explanation: str) -> Appeal:
    """A notifier's appeal through the link in their statement of reasons: against the
    decision that statement announced, while it is still the case's latest."""
    named = notifier_appeal_from(token)
    if named is None:
        raise ReportNotFound(_("No such case."), "case")
    case = report_selectors.case_by_reference_locked(named.decision.case.reference)
    if case is None:
        raise ReportNotFound(_("No such case."), "case")
    named_decision = named.decision
    # Decisions since: an upheld appeal keeps the outcome (and the link good); one that
    # changed it came with a new statement and its own link.
    since = Decision.objects.filter(case=case, pk__gt=named_decision.pk)
    if since.exclude(outcome=named_decision.outcome).exists():
        raise ReportConflict(_("This decision has been reviewed since; the newer statement "
                               "of reasons has its own link."))  # fmt: skip
    if Appeal.objects.filter(against__case=case, against__pk__gte=named_decision.pk,
                             email=named.email).exists():  # fmt: skip
        raise ReportConflict(_("You have appealed this decision already."))
    return _open_appeal(case, account_id="", explanation=explanation, email=named.email,
                        language=named.language, actor=None)  # fmt: skip


def _open_appeal(case: Case, *, account_id: str, explanation: str, email: str, language: str,
                 actor: User | None) -> Appeal:  # fmt: skip
    """The checks every appeal passes, then the appeal: to a reviewer other than the one
    who decided, the ticket reopened and assigned to them."""
    explanation = explanation.strip()
    if not explanation or len(explanation) > EXPLANATION_MAX or "\x00" in explanation:
        raise ReportError(_("Explain why the decision should change."), "explanation")
    email = email.strip().lower()
    if email:
        try:
            EmailValidator()(email)
        except ValidationError:
            raise ReportError(_("Enter a valid email address."), "email") from None
    if case.state != Case.State.DECIDED:
        raise ReportConflict(_("This case has no decision to appeal, or an appeal is open."))
    against = report_selectors.latest_decision(case)
    if against is None:
        raise ReportConflict(_("This case has no decision to appeal."))
    if timezone.now() - against.decided_at > timedelta(days=APPEAL_DAYS):
        raise ReportConflict(_("The time to appeal this decision has passed."))
    if case.ticket.status == Status.CLOSED:
        raise ReportConflict(_("This case's ticket is closed; an agent must open a new one."))
    reviewer = pick_reviewer(case, decider_id=against.decided_by_id)
    appeal = Appeal.objects.create(
        against=against, account_id=account_id, explanation=explanation, email=email,
        language=supported_language(language) if language else "", reviewer=reviewer,
    )  # fmt: skip
    case.state = Case.State.APPEALED
    case.save(update_fields=["state"])
    ticket = case.ticket
    if ticket.status == Status.SOLVED:
        ticket = ticket_change_status(actor=None, ticket=ticket, status=Status.OPEN)
    ticket_assign(actor=None, ticket=ticket, assignee=reviewer)
    events.record(ticket, actor, TicketEventKind.APPEAL_RECEIVED,
                  after={"appeal": appeal.reference, "reviewer": reviewer.pk})  # fmt: skip
    SafetyEvent.objects.create(kind="appeal_received", actor=actor, case_reference=case.reference,
                               data={"appeal": appeal.reference,
                                     "reviewer": reviewer.pk})  # fmt: skip
    return appeal


@transaction.atomic
def appeal_decide(*, actor: User, appeal: Appeal, upheld: bool, facts: str, outcome: str = "",
                  ground: str | HarmCategory | None = None, automated_detection: bool = False,
                  automated_decision: bool = False) -> Decision:  # fmt: skip
    """Decide an open appeal: upheld (the decision stands) or reversed with a new
    outcome. Refused for the person who made the decision appealed. A reversed decision
    sends a new statement of reasons to the notifiers and a new webhook; the appellant
    hears either way when they gave an email."""
    appeal = report_selectors.appeal_locked(appeal.pk)
    case = appeal.against.case
    _may_work(actor, case)
    if appeal.against.decided_by_id == actor.pk:
        raise ReportForbidden(_("You made the decision under appeal: someone else must "
                                "decide the appeal."))  # fmt: skip
    if appeal.state != Appeal.State.OPEN:
        raise ReportConflict(_("This appeal has been decided already."))
    against = appeal.against
    if upheld:
        outcome = against.outcome
    elif outcome == against.outcome or not outcome:
        raise ReportError(_("A reversed decision needs a different outcome."), "outcome")
    facts = _check_decision(outcome, facts)
    ground = _ground(ground) if ground else against.ground
    now = timezone.now()
    decision = Decision.objects.create(
        case=case, appeal=appeal, outcome=outcome, ground=ground, facts=facts,
        automated_detection=automated_detection, automated_decision=automated_decision,
        decided_by=actor, decided_at=now,
    )  # fmt: skip
    appeal.state = Appeal.State.DECIDED
    appeal.save(update_fields=["state"])
    case.state, case.decided_at = Case.State.DECIDED, now
    case.save(update_fields=["state", "decided_at"])
    events.record(case.ticket, actor, TicketEventKind.APPEAL_DECIDED, after={
        "appeal": appeal.reference, "upheld": upheld, "outcome": outcome,
        "outcome_label": str(Outcome(outcome).label)})  # fmt: skip
    SafetyEvent.objects.create(kind="appeal_decided", actor=actor, case_reference=case.reference,
                               data={"appeal": appeal.reference, "upheld": upheld,
                                     "outcome": outcome})  # fmt: skip
    _solve(actor, case.ticket)
    recipients = [] if upheld else _notifiers(case)
    if appeal.email and appeal.email not in {email for email, _n, _l in recipients}:
        recipients.append((appeal.email, "", appeal.language))
    # Upheld changes nothing for the account: no webhook, the appellant alone hears.
    _announce(case, decision, recipients=recipients, webhook=not upheld)
    return decision


# ------------------------------------------------------------------- wiring


def connect() -> None:
    """Called from SafetyConfig.ready: the case panel, the webhook endpoint, the nav."""
    from core import navigation
    from safety import report_views
    from tickets import panels

    panels.register(panels.TicketPanel(
        name="safety-case", template="safety/partials/case_panel.html",
        context=report_views.case_panel_context, slot="banner", order=20,
        flag=report_selectors.PANEL_FLAG,
    ))  # fmt: skip
    outbox.register_webhook_endpoint(WEBHOOK_KIND, webhook_endpoint)
    navigation.register(navigation.NavEntry(
        key="safety-reports", label=gettext_lazy("Reports"), url_name="safety:reports",
        order=150, visible_to=lambda user: bool(user.is_authenticated and user.is_active),
    ))  # fmt: skip
