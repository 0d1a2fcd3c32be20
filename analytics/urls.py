from django.urls import path

from analytics import alert_views, views

app_name = "analytics"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("agents/", views.agents, name="agents"),
    path("vendors/", views.vendors, name="vendors"),
    path("alerts/", alert_views.alerts, name="alerts"),
    path("alerts/<int:pk>/", alert_views.alert, name="alert"),
    path("alerts/<int:pk>/incident/", alert_views.alert_incident, name="alert_incident"),
    path("alerts/<int:pk>/dismiss/", alert_views.alert_dismiss, name="alert_dismiss"),
]
