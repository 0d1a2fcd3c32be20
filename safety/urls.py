from django.urls import include, path

app_name = "safety"

# One module per part (reports, protected viewing, exposure), each with its own views.
urlpatterns = [
    path("", include("safety.report_urls")),
    path("", include("safety.viewing_urls")),
    path("", include("safety.exposure_urls")),
]
