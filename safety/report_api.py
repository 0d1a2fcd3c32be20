"""The in-app report and appeal API: an app files its signed-in user's notice, and the
affected user's appeal, with its own key (``tickets.intake.inapp_api``). Bad input is a
400 with the field at fault; an unknown case (or another account's) a 404."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from safety import reports
from safety.models import ItemType, Report
from tickets.attachments import MAX_FILES_PER_MESSAGE
from tickets.intake.inapp_api import AppKeyAuthentication, AppRateThrottle, AppRequest, IsAppClient


def _refused(error: reports.ReportError) -> Exception:
    """A refusal naming a field is a 400 on that field; any other keeps its kind's status
    (404 no such case, 409 not now) through the API's handler (core/api.py)."""
    if error.field and error.status == 400:
        return ValidationError({error.field: [str(error)]})
    return error


class _AppView(APIView):
    authentication_classes = [AppKeyAuthentication]
    permission_classes = [IsAppClient]
    throttle_classes = [AppRateThrottle]


class InAppReportApi(_AppView):
    # JSON, or multipart/form-data when the notice carries evidence files (``files``,
    # repeated; each checked like a ticket's attachments: size, count, sniffed type).
    parser_classes = [JSONParser, MultiPartParser]

    class SafetyReportInputSerializer(serializers.Serializer):
        user_id = serializers.CharField(max_length=128, required=False, allow_blank=True,
                                        default="")  # fmt: skip
        item_type = serializers.ChoiceField(choices=ItemType.values)
        item_url = serializers.CharField(max_length=1000, required=False, allow_blank=True,
                                         default="")  # fmt: skip
        item_id = serializers.CharField(max_length=200, required=False, allow_blank=True,
                                        default="")  # fmt: skip
        account_id = serializers.CharField(max_length=200, required=False, allow_blank=True,
                                           default="")  # fmt: skip
        category = serializers.CharField(max_length=40)
        explanation = serializers.CharField(max_length=reports.EXPLANATION_MAX)
        evidence_links = serializers.ListField(
            child=serializers.CharField(max_length=1000), required=False, default=list,
            max_length=reports.LINKS_MAX)  # fmt: skip
        name = serializers.CharField(max_length=200, required=False, allow_blank=True,
                                     default="")  # fmt: skip
        email = serializers.EmailField(max_length=254, required=False, allow_blank=True,
                                       default="")  # fmt: skip
        language = serializers.CharField(max_length=16, required=False, allow_blank=True,
                                         default="")  # fmt: skip
        good_faith = serializers.BooleanField()
        files = serializers.ListField(child=serializers.FileField(), required=False,
                                      default=list, max_length=MAX_FILES_PER_MESSAGE)  # fmt: skip

    class SafetyReportOutputSerializer(serializers.Serializer):
        reference = serializers.CharField()
        case = serializers.CharField()

    @extend_schema(
        request=SafetyReportInputSerializer, responses={201: SafetyReportOutputSerializer}
    )
    def post(self, request: AppRequest) -> Response:
        data = self.SafetyReportInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        notice = reports.ReportInput(
            channel=Report.Channel.API, item_type=values["item_type"],
            item_url=values["item_url"], item_id=values["item_id"],
            account_id=values["account_id"], category=values["category"],
            explanation=values["explanation"], evidence_links=values["evidence_links"],
            notifier_name=values["name"], notifier_email=values["email"],
            notifier_language=values["language"], notifier_user_id=values["user_id"],
            good_faith=values["good_faith"],
        )  # fmt: skip
        try:
            report = reports.report_submit(data=notice, files=values["files"])
        except reports.ReportError as exc:
            raise _refused(exc) from exc
        return Response({"reference": report.reference, "case": report.case.reference},
                        status=status.HTTP_201_CREATED)  # fmt: skip


class InAppAppealApi(_AppView):
    class SafetyAppealInputSerializer(serializers.Serializer):
        case = serializers.CharField(max_length=16)
        account_id = serializers.CharField(max_length=200)
        explanation = serializers.CharField(max_length=reports.EXPLANATION_MAX)
        email = serializers.EmailField(max_length=254, required=False, allow_blank=True,
                                       default="")  # fmt: skip
        language = serializers.CharField(max_length=16, required=False, allow_blank=True,
                                         default="")  # fmt: skip

    class SafetyAppealOutputSerializer(serializers.Serializer):
        reference = serializers.CharField()
        case = serializers.CharField()
        state = serializers.CharField()

    @extend_schema(
        request=SafetyAppealInputSerializer, responses={201: SafetyAppealOutputSerializer}
    )
    def post(self, request: AppRequest) -> Response:
        data = self.SafetyAppealInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        try:
            appeal = reports.appeal_submit(
                case_reference=values["case"], account_id=values["account_id"],
                explanation=values["explanation"], email=values["email"],
                language=values["language"],
            )  # fmt: skip
        except reports.ReportError as exc:
            raise _refused(exc) from exc
        return Response({"reference": appeal.reference, "case": values["case"].upper(),
                         "state": appeal.state}, status=status.HTTP_201_CREATED)  # fmt: skip
