from django.urls import path

from safety import report_views

# Included by safety/urls.py (namespace "safety"); the case's forms are addressed by the
# ticket's reference (tickets.selectors.get_ticket_for: out of scope is 404).
urlpatterns = [
    path("report/", report_views.public_report, name="report_public"),
    path("report/sent/<str:token>/", report_views.report_sent, name="report_sent"),
    path("appeal/<str:token>/", report_views.notifier_appeal, name="notifier_appeal"),
    path("reports/", report_views.case_list, name="reports"),
    path("reports/new/", report_views.report_new, name="report_new"),
    path("t/<str:reference>/decide/", report_views.case_decide, name="case_decide"),
    path("t/<str:reference>/appeal/", report_views.appeal_new, name="appeal_new"),
    path("t/<str:reference>/appeal/decide/", report_views.appeal_decide, name="appeal_decide"),
]
