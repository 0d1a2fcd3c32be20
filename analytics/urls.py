from django.urls import path

from analytics import alert_views, report_views, views

app_name = "analytics"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("agents/", views.agents, name="agents"),
    path("vendors/", views.vendors, name="vendors"),
    path("alerts/", alert_views.alerts, name="alerts"),
    path("alerts/<int:pk>/", alert_views.alert, name="alert"),
    path("alerts/<int:pk>/incident/", alert_views.alert_incident, name="alert_incident"),
    path("alerts/<int:pk>/dismiss/", alert_views.alert_dismiss, name="alert_dismiss"),
    path("reports/", report_views.report_list, name="reports"),
    path("reports/new/", report_views.report_new, name="report_new"),
    path("reports/<int:pk>/", report_views.report_edit, name="report_edit"),
    path("reports/<int:pk>/<str:action>/", report_views.report_action, name="report_action"),
]
