from django.urls import path

from safety import exposure_views

# Included by safety/urls.py (namespace "safety").
urlpatterns = [
    path("wellbeing/", exposure_views.wellbeing, name="wellbeing"),
    path("wellbeing/people/", exposure_views.people, name="exposure_people"),
    path("wellbeing/people/<int:pk>/", exposure_views.person, name="exposure_person"),
    path("clearances/", exposure_views.clearances, name="clearances"),
]
