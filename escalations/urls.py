from django.urls import path

from escalations import views

app_name = "escalations"

urlpatterns = [
    path("", views.board, name="board"),
    path("ticket/<str:reference>/raise/", views.raise_escalation, name="raise"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/<slug:action>/", views.act, name="act"),
    path("incidents/", views.incidents, name="incidents"),
    path("incidents/new/", views.incident_new, name="incident_new"),
    path("incidents/<int:pk>/", views.incident, name="incident"),
    path("incidents/<int:pk>/update/", views.incident_update, name="incident_update"),
    path("incidents/<int:pk>/comment/", views.incident_comment, name="incident_comment"),
    path("incidents/<int:pk>/tickets/", views.incident_tickets, name="incident_tickets"),
    path("incidents/<int:pk>/unlink/", views.incident_unlink, name="incident_unlink"),
    path("incidents/<int:pk>/tracker/", views.incident_tracker, name="incident_tracker"),
    path("on-call/", views.on_call, name="oncall"),
    path("pages/<str:token>/", views.page, name="page"),
]
