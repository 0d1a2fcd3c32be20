from django.urls import path

from quality import views

app_name = "quality"

urlpatterns = [
    path("survey/<str:token>/", views.rate, name="rate"),
    path("ratings/", views.ratings, name="ratings"),
    path("ratings/<int:pk>/follow-up/", views.follow_up, name="follow_up"),
    path("settings/", views.survey_settings, name="settings"),
]
