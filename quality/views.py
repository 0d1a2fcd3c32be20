"""CSAT pages. The requester's rating page is public behind its signed link and shown
in the survey's language; the ratings list, follow-ups and settings are for signed-in
people, scoped by ``quality.selectors.visible_surveys`` (out of scope: 404)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.http import AuthenticatedRequest
from core.errors import DomainError
from quality import selectors, services
from quality.forms import FollowUpForm, RatingForm, SettingsForm
from quality.models import REASONS, Survey, SurveySettings


def _survey(token: str) -> Survey:
    survey_id = services.survey_id_for_token(token)
    survey = selectors.survey_for_token(survey_id) if survey_id is not None else None
    if survey is None or survey.state != Survey.State.SENT:
        raise Http404
    return survey


@require_http_methods(["GET", "POST"])
def rate(request: HttpRequest, token: str) -> HttpResponse:
    """One click from the email records the rating (``?score=``); the page then asks for
    a reason (when bad) and a comment. The page is in the survey's language."""
    survey = _survey(token)
    conf = services.survey_settings()
    language = survey.language or translation.get_language() or "en"
    with translation.override(language):
        status, saved = 200, False
        channel = request.POST.get("channel") or Survey.Channel.EMAIL
        if channel not in Survey.Channel.values:
            channel = Survey.Channel.EMAIL
        if request.method == "POST":
            form = RatingForm(
                request.POST,
                scale=survey.scale,
                reasons=conf.reasons,
                decision=survey.kind == Survey.Kind.DECISION,
            )
            if form.is_valid():
                data = form.cleaned_data
                try:
                    survey = services.csat_rate(
                        survey_id=survey.pk,
                        score=data["score"],
                        channel=channel,
                        reason=data["reason"],
                        comment=data["comment"],
                    )
                except DomainError as exc:
                    form.add_error(None, str(exc))
                    status = exc.status
                else:
                    saved = True
            else:
                status = 400
        else:
            score = request.GET.get("score", "")
            clicked = score.isdigit() and len(score) < 3 and int(score) != survey.score
            if clicked and not services.rating_window(survey).open:
                status = 409  # the page says the survey is closed
            elif clicked:
                try:
                    survey = services.csat_rate(
                        survey_id=survey.pk, score=int(score), channel=channel
                    )
                except DomainError as exc:
                    messages.error(request, str(exc))
                    status = exc.status
            initial = {"score": survey.score, "reason": survey.reason, "comment": survey.comment}
            form = RatingForm(
                initial=initial,
                scale=survey.scale,
                reasons=conf.reasons,
                decision=survey.kind == Survey.Kind.DECISION,
            )
        window = services.rating_window(survey)
        response = render(
            request,
            "quality/rate.html",
            {
                "survey": survey,
                "ticket": survey.ticket,
                "form": form,
                "saved": saved,
                "window": window,
                "reason_label": REASONS.get(survey.reason, ""),
            },
            status=status,
        )
        response["Content-Language"] = language
    return response


@login_required
@require_GET
def ratings(request: AuthenticatedRequest) -> HttpResponse:
    show = request.GET.get("show", "all")
    if show not in selectors.FILTERS:
        show = "all"
    page = selectors.ratings_page(request.user, show=show, cursor=request.GET.get("after", ""))
    for survey in page.rows:
        survey.reason_label = REASONS.get(survey.reason, "")  # type: ignore[attr-defined]
    return render(
        request,
        "quality/ratings.html",
        {
            "page": page,
            "show": show,
            "can_manage": selectors.can_manage(request.user),
            "reasons": REASONS,
            "follow_up_form": FollowUpForm(),
        },
    )


@login_required
@require_POST
def follow_up(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    if not selectors.can_manage(request.user):
        raise Http404
    survey = selectors.visible_surveys(request.user).filter(pk=pk).first()
    if survey is None:
        raise Http404
    form = FollowUpForm(request.POST)
    if form.is_valid():
        try:
            services.csat_follow_up_done(
                actor=request.user, survey=survey, note=form.cleaned_data["note"]
            )
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Follow-up recorded."))
    else:
        messages.error(request, _("Say what was done."))
    return redirect(reverse("quality:ratings") + "?show=follow_up")


@login_required
@require_http_methods(["GET", "POST"])
def survey_settings(request: AuthenticatedRequest) -> HttpResponse:
    if not request.user.is_admin:
        raise Http404
    instance = SurveySettings.objects.filter(pk=1).first() or SurveySettings(pk=1)
    form = SettingsForm(request.POST or None, instance=instance)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            services.survey_settings_save(actor=request.user, values=form.values())
            messages.success(request, _("Survey settings saved."))
            return redirect("quality:settings")
        status = 400
    return render(
        request, "quality/settings.html", {"form": form, "settings": instance}, status=status
    )
