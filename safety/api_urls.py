from django.urls import path

from safety.report_api import InAppAppealApi, InAppReportApi

urlpatterns = [
    path("inapp/safety/reports/", InAppReportApi.as_view(), name="api-safety-reports"),
    path("inapp/safety/appeals/", InAppAppealApi.as_view(), name="api-safety-appeals"),
]
