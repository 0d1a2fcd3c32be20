"""In-app ratings: an app reads and rates its user's survey with its own key, as it
files requests (``tickets.intake.inapp_api``)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from quality import selectors, services
from quality.models import REASONS, Survey
from tickets.intake.inapp_api import AppKeyAuthentication, AppRateThrottle, AppRequest, IsAppClient
from tickets.models import Ticket


def _survey(reference: str, user_id: str) -> Survey:
    """The ticket's latest sent survey, if the ticket is this user's; else 404 (an app
    learns nothing of other people's tickets)."""
    ticket = (Ticket.objects.filter(reference=reference.upper(), requester__external_id=user_id)
              .exclude(requester__external_id="").only("id").first())  # fmt: skip
    survey = selectors.latest_sent(ticket.pk) if ticket is not None else None
    if survey is None:
        raise NotFound("This ticket of this user has no survey.")
    return survey


def _describe(survey: Survey) -> dict[str, Any]:
    window = services.rating_window(survey)
    reasons = services.survey_settings().reasons
    return {
        "reference": survey.ticket.reference, "scale": survey.scale,
        "scores": [score for score, _label in services.score_choices(survey.scale)],
        "reasons": [key for key in reasons if key in REASONS],
        "open": window.open, "open_until": window.until.isoformat() if window.until else None,
        "score": survey.score, "positive": survey.positive, "reason": survey.reason,
        "comment": survey.comment,
    }  # fmt: skip


class InAppRatingApi(APIView):
    authentication_classes = [AppKeyAuthentication]
    permission_classes = [IsAppClient]
    throttle_classes = [AppRateThrottle]

    class RatingQuerySerializer(serializers.Serializer):
        user_id = serializers.CharField(max_length=128)
        reference = serializers.CharField(max_length=16)

    class RatingInputSerializer(RatingQuerySerializer):
        score = serializers.IntegerField(min_value=1, max_value=5)
        reason = serializers.CharField(max_length=32, required=False, allow_blank=True,
                                       default="")  # fmt: skip
        comment = serializers.CharField(max_length=services.COMMENT_MAX, required=False,
                                        allow_blank=True, default=None)  # fmt: skip

    class RatingOutputSerializer(serializers.Serializer):
        reference = serializers.CharField()
        scale = serializers.CharField()
        scores = serializers.ListField(child=serializers.IntegerField())
        reasons = serializers.ListField(child=serializers.CharField())
        open = serializers.BooleanField()
        open_until = serializers.DateTimeField(allow_null=True)
        score = serializers.IntegerField(allow_null=True)
        positive = serializers.BooleanField(allow_null=True)
        reason = serializers.CharField()
        comment = serializers.CharField()

    @extend_schema(parameters=[RatingQuerySerializer], responses={200: RatingOutputSerializer})
    def get(self, request: AppRequest) -> Response:
        query = self.RatingQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        survey = _survey(query.validated_data["reference"], query.validated_data["user_id"])
        return Response(_describe(survey))

    @extend_schema(request=RatingInputSerializer, responses={200: RatingOutputSerializer})
    def post(self, request: AppRequest) -> Response:
        data = self.RatingInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        survey = _survey(values["reference"], values["user_id"])
        survey = services.csat_rate(survey_id=survey.pk, score=values["score"],
                                    channel=Survey.Channel.INAPP, reason=values["reason"],
                                    comment=values["comment"])  # fmt: skip
        return Response(_describe(survey), status=status.HTTP_200_OK)
