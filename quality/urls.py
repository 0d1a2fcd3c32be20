from django.urls import path

from quality import qa_views, views

app_name = "quality"

urlpatterns = [
    path("survey/<str:token>/", views.rate, name="rate"),
    path("ratings/", views.ratings, name="ratings"),
    path("ratings/<int:pk>/follow-up/", views.follow_up, name="follow_up"),
    path("settings/", views.survey_settings, name="settings"),
    path("reviews/", qa_views.reviews, name="reviews"),
    path("reviews/<int:pk>/", qa_views.review, name="review"),
    path("reviews/<int:pk>/<slug:action>/", qa_views.review_action, name="review_action"),
    path("cycles/", qa_views.cycles, name="cycles"),
    path("reviewers/", qa_views.reviewers, name="reviewers"),
    path("scorecards/", qa_views.scorecards, name="scorecards"),
    path("scorecards/new/", qa_views.scorecard_edit, name="scorecard_new"),
    path("scorecards/<int:pk>/", qa_views.scorecard_edit, name="scorecard_edit"),
    path("calibration/", qa_views.calibrations, name="calibrations"),
    path("calibration/<int:pk>/", qa_views.calibration, name="calibration"),
    path("coaching/<int:pk>/done/", qa_views.coaching_done, name="coaching_done"),
]
