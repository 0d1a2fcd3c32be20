"""QA pages: the reviews (to do, about me, disputes, all), a review (score it, read it,
acknowledge, dispute, decide), sampling cycles and reviewers, scorecards. Thin: the
services (``quality.qa``) decide; what someone may not see is a 404."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.http import AuthenticatedRequest
from accounts.models import User
from accounts.selectors import visible_users
from core.errors import DomainError
from quality import qa, selectors
from quality.models import Review, Scorecard
from quality.qa_forms import (
    CalibrationForm,
    CategoryFormSet,
    CoachingForm,
    CycleForm,
    RegradeForm,
    ScorecardForm,
)
from quality.scoring import Category
from tickets import timeline
from tickets.selectors import ticket_conversation, ticket_timeline


@login_required
@require_GET
def reviews(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    tab = request.GET.get("tab") or ("todo" if qa.is_reviewer(user) else "mine")
    if tab not in selectors.REVIEW_TABS:
        tab = "mine"
    page = selectors.reviews_page(user, tab=tab, cursor=request.GET.get("after", ""))
    return render(
        request,
        "quality/reviews.html",
        {
            "page": page,
            "tab": tab,
            "can_manage": selectors.can_manage(user),
            "coaching": selectors.coaching_for(user) if tab == "mine" else [],
            "by_category": selectors.quality_by_category(user) if tab == "all" else [],
        },
    )


def _review(request: AuthenticatedRequest, pk: int) -> Review:
    review = selectors.review_for(request.user, pk)
    if review is None:
        raise Http404
    return review


def _categories(review: Review) -> list[Category]:
    return [Category.from_json(c) for c in review.version.categories]


def _posted_values(
    post: QueryDict, categories: list[Category], prefix: str = "value"
) -> tuple[dict[str, int | None], dict[str, str], list[str]]:
    """The values (None: not applicable), comments and the categories left unanswered."""
    values: dict[str, int | None] = {}
    comments: dict[str, str] = {}
    missing = []
    for category in categories:
        raw = post.get(f"{prefix}-{category.key}", "")
        comments[category.key] = post.get(f"comment-{category.key}", "")
        if raw == "na" and category.allow_na:
            values[category.key] = None
        elif raw.lstrip("-").isdigit() and len(raw) < 4:
            values[category.key] = int(raw)
        else:
            missing.append(category.key)
    return values, comments, missing


def _page(
    request: AuthenticatedRequest,
    review: Review,
    *,
    status: int = 200,
    error: str = "",
    missing: list[str] | None = None,
    posted: dict[str, Any] | None = None,
) -> HttpResponse:
    user = request.user
    ticket = review.ticket
    events = ticket_timeline(ticket)
    categories = _categories(review)
    rows = []
    for category in categories:
        given = (posted or {}).get(category.key) or review.values.get(category.key) or {}
        rows.append(
            {
                "category": category,
                "value": given.get("value"),
                "comment": given.get("comment", ""),
                "score": review.category_scores.get(category.key),
                "proposed": getattr(getattr(review, "dispute", None), "proposed", {}).get(
                    category.key
                ),
                "missing": category.key in (missing or []),
                "choices": [(str(v), str(v)) for v in category.values()],
            }
        )
    dispute = getattr(review, "dispute", None)
    now = timezone.now()
    until = qa.dispute_open_until(review)
    return render(
        request,
        "quality/review.html",
        {
            "review": review,
            "ticket": ticket,
            "rows": rows,
            "error": error,
            "conversation": ticket_conversation(ticket),
            "timeline": timeline.ticket_entries(events[:50]),
            "sop_versions": selectors.sop_versions_at(ticket),
            "dispute": dispute,
            "may_score": review.state == Review.State.ASSIGNED and review.reviewer_id == user.pk,
            "may_acknowledge": review.state == Review.State.SUBMITTED
            and review.agent_id == user.pk,
            "may_dispute": (
                review.agent_id == user.pk
                and not review.locked
                and until is not None
                and now <= until
                and review.state in (Review.State.SUBMITTED, Review.State.ACKNOWLEDGED)
            ),
            "dispute_until": until,
            "may_decide": (review.state == Review.State.DISPUTED and qa.may_decide(user, review)),
            "may_skip": (
                review.state == Review.State.ASSIGNED
                and review.cycle_id is not None
                and (review.reviewer_id == user.pk or selectors.can_manage(user))
            ),
        },
        status=status,
    )


@login_required
@require_GET
def review(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _page(request, _review(request, pk))


@login_required
@require_POST
def review_action(request: AuthenticatedRequest, pk: int, action: str) -> HttpResponse:
    item = _review(request, pk)
    user, post = request.user, request.POST
    categories = _categories(item)
    try:
        if action == "submit":
            values, comments, missing = _posted_values(post, categories)
            if missing:
                posted = {
                    key: {"value": values.get(key), "comment": comments.get(key, "")}
                    for key in values
                }
                return _page(
                    request,
                    item,
                    status=400,
                    missing=missing,
                    posted=posted,
                    error=_("Score every category (or mark it not applicable)."),
                )
            qa.review_submit(
                actor=user,
                review_id=item.pk,
                values=values,
                comments=comments,
                comment=post.get("comment", ""),
            )
            if item.session_id is not None:
                messages.success(request, _("Calibration review submitted."))
                return redirect("quality:calibration", item.session_id)
            messages.success(request, _("Review submitted: the agent has been told."))
            nxt = selectors.reviews_page(user, tab="todo", size=1).rows
            return redirect("quality:review", nxt[0].pk) if nxt else redirect("quality:reviews")
        if action == "acknowledge":
            qa.review_acknowledge(actor=user, review_id=item.pk)
            messages.success(request, _("Review acknowledged."))
        elif action == "dispute":
            values, _comments, _missing = _posted_values(post, categories, prefix="propose")
            qa.dispute_open(
                actor=user, review_id=item.pk, comment=post.get("reason", ""), proposed=values
            )
            messages.success(request, _("Dispute sent to the reviewer's lead."))
        elif action == "decide":
            values, _comments, _missing = _posted_values(post, categories, prefix="final")
            qa.dispute_decide(
                actor=user,
                review_id=item.pk,
                decision=post.get("decision", ""),
                note=post.get("note", ""),
                values=values,
            )
            messages.success(request, _("Decision recorded."))
        elif action == "coach":
            form = CoachingForm(post, review=item)
            if not form.is_valid():
                return _page(
                    request,
                    item,
                    status=400,
                    error=" ".join(str(e) for errors in form.errors.values() for e in errors),
                )
            data = form.cleaned_data
            qa.coaching_open(
                actor=user,
                review_id=item.pk,
                category=data["category"],
                note=data["note"],
                due_on=data["due_on"],
                sop_version=data.get("sop_version"),
            )
            messages.success(request, _("Coaching task opened for the agent."))
        elif action in ("skip", "replace"):
            if not (item.reviewer_id == user.pk or selectors.can_manage(user)):
                raise Http404
            replacement = qa.review_skip(
                actor=user,
                review_id=item.pk,
                reason=post.get("reason", ""),
                replace=action == "replace",
            )
            messages.success(request, _("Sampled ticket skipped."))
            if replacement is not None:
                return redirect("quality:review", replacement.pk)
            return redirect("quality:reviews")
        else:
            raise Http404
    except DomainError as exc:
        fresh = _review(request, pk)
        return _page(request, fresh, status=exc.status, error=str(exc))
    return redirect("quality:review", item.pk)


@login_required
@require_http_methods(["GET", "POST"])
def cycles(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    if not selectors.can_manage(user):
        raise Http404
    form = CycleForm(request.POST or None, user=user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                cycle, sample = qa.cycle_start(
                    actor=user,
                    name=data["name"],
                    starts_at=data["starts_at"],
                    ends_at=data["ends_at"],
                    quota=data["quota"],
                    vendor=data.get("vendor"),
                )
            except DomainError as exc:
                form.add_error(None, str(exc))
                status = exc.status
            else:
                messages.success(
                    request,
                    _(
                        "%(name)s sampled %(reviews)d tickets of %(agents)d agents; %(unassigned)d "
                        "found no reviewer."
                    )
                    % {
                        "name": cycle.name,
                        "reviews": len(sample.reviews),
                        "agents": sample.agents,
                        "unassigned": sample.unassigned,
                    },
                )
                return redirect("quality:cycles")
        else:
            status = 400
    reviewers = qa.reviewers().select_related("team__vendor").order_by("full_name")
    people = (
        visible_users(user)
        .filter(is_active=True)
        .select_related("team__vendor")
        .order_by("full_name")[:500]
        if user.is_admin
        else []
    )
    return render(
        request,
        "quality/cycles.html",
        {
            "form": form,
            "reviewers": reviewers,
            "people": people,
            "chosen": {r.pk for r in reviewers},
            "cycles": list(
                selectors.visible_cycles(user)
                .select_related("vendor", "created_by")
                .order_by("-created_at")[:50]
            ),
        },
        status=status,
    )


@login_required
@require_POST
def reviewers(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    if not user.is_admin:
        raise Http404
    ids = [int(v) for v in request.POST.getlist("reviewers") if v.isdigit()]
    people = list(User.objects.filter(pk__in=ids, is_active=True))
    qa.reviewers_set(actor=user, users=people)
    messages.success(request, _("QA reviewers saved."))
    return redirect("quality:cycles")


@login_required
@require_GET
def scorecards(request: AuthenticatedRequest) -> HttpResponse:
    if not selectors.can_manage(request.user):
        raise Http404
    cards = (
        Scorecard.objects.select_related("current_version")
        .prefetch_related("queues", "vendors")
        .order_by("name")
    )
    return render(
        request,
        "quality/scorecards.html",
        {"scorecards": cards, "can_edit": qa.can_edit_scorecards(request.user)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def scorecard_edit(request: AuthenticatedRequest, pk: int | None = None) -> HttpResponse:
    user = request.user
    if not qa.can_edit_scorecards(user):
        raise Http404
    card = None
    if pk is not None:
        card = Scorecard.objects.select_related("current_version").filter(pk=pk).first()
        if card is None:
            raise Http404
    form = ScorecardForm(request.POST or None, instance=card, user=user)
    initial = card.current_version.categories if card and card.current_version else []
    formset = CategoryFormSet(request.POST or None, initial=initial, prefix="cat")
    status = 200
    if request.method == "POST":
        if form.is_valid() and formset.is_valid():
            data = form.cleaned_data
            try:
                rows = [f.cleaned_data for f in formset.forms if f.cleaned_data]
                saved = qa.scorecard_save(
                    actor=user,
                    scorecard=card,
                    name=data["name"],
                    description=data["description"],
                    queues=list(data["queues"]),
                    languages=data["languages"],
                    vendors=list(data["vendors"]),
                    pass_mark=data["pass_mark"],
                    is_active=data["is_active"],
                    categories=qa.clean_categories(rows),
                )
            except DomainError as exc:
                form.add_error(None, str(exc))
                status = exc.status
            else:
                messages.success(
                    request,
                    _("Scorecard saved (version %(number)s).")
                    % {"number": saved.current_version.number if saved.current_version else "—"},
                )
                return redirect("quality:scorecards")
        else:
            status = 400
    return render(
        request,
        "quality/scorecard_form.html",
        {"form": form, "formset": formset, "scorecard": card},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def calibrations(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    if not selectors.can_manage(user):
        raise Http404
    regrading = request.method == "POST" and request.POST.get("action") == "regrade"
    form = CalibrationForm(
        request.POST if request.method == "POST" and not regrading else None, user=user
    )
    regrade = RegradeForm(request.POST if regrading else None)
    status = 200
    if request.method == "POST":
        chosen = regrade if regrading else form
        if chosen.is_valid():
            data = chosen.cleaned_data
            try:
                if regrading:
                    session = qa.regrade_start(
                        actor=user,
                        name=data["name"],
                        reviewer=data["reviewer"],
                        grader=data["grader"],
                        count=data["count"],
                    )
                else:
                    session = qa.calibration_start(
                        actor=user,
                        name=data["name"],
                        version=data["scorecard"].current_version,
                        tickets=data["tickets"],
                        reviewers=list(data["reviewers"]),
                        benchmark=data["benchmark"],
                    )
            except DomainError as exc:
                chosen.add_error(None, str(exc))
                status = exc.status
            else:
                return redirect("quality:calibration", session.pk)
        else:
            status = 400
    sessions = list(
        selectors.visible_sessions(user)
        .select_related("version__scorecard")
        .order_by("-created_at")[:50]
    )
    return render(
        request,
        "quality/calibrations.html",
        {
            "form": form,
            "regrade": regrade,
            "sessions": sessions,
            "can_regrade": qa.can_edit_scorecards(user),
        },
        status=status,
    )


@login_required
@require_GET
def calibration(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    session = (
        selectors.visible_sessions(request.user)
        .select_related("version__scorecard", "benchmark", "graded")
        .filter(pk=pk)
        .first()
    )
    if session is None:
        raise Http404
    results = qa.calibration_results(session)
    mine = list(
        Review.objects.filter(session=session, reviewer_id=request.user.pk)
        .select_related("ticket")
        .order_by("ticket_id")
    )
    return render(
        request, "quality/calibration.html", {"session": session, "results": results, "mine": mine}
    )


@login_required
@require_POST
def coaching_done(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    try:
        qa.coaching_done(
            actor=request.user,
            task_id=pk,
            note=request.POST.get("note", ""),
            read_sop=request.POST.get("read_sop") == "on",
        )
    except DomainError as exc:
        if "not yours" in str(exc) or exc.status == 404:
            raise Http404 from exc
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Coaching task done."))
    return redirect(reverse("quality:reviews") + "?tab=mine")
