from django.urls import path

from privacy import views

app_name = "privacy"

urlpatterns = [
    path("", views.home, name="home"),
    path("requesters/<int:pk>/", views.subject, name="subject"),
    path("erasures/<int:pk>/", views.erasure, name="erasure"),
    path("holds/", views.holds, name="holds"),
    path("access/", views.access, name="access"),
    path("retention/", views.retention, name="retention"),
    path("retention/<int:pk>/", views.retention, name="retention_policy"),
    path("holds/<int:pk>/release/", views.hold_release, name="hold_release"),
    path("tickets/<str:reference>/redact/", views.redact, name="redact"),
]
