from django.urls import path

from exports import views

app_name = "exports"

urlpatterns = [
    path("", views.jobs, name="list"),
    path("start/", views.start, name="start"),
    path("<int:pk>/", views.job, name="job"),
    path("download/<str:token>/", views.download, name="download"),
]
