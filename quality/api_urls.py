from django.urls import path

from quality.api import InAppRatingApi

urlpatterns = [
    path("inapp/ratings/", InAppRatingApi.as_view(), name="api-inapp-ratings"),
]
