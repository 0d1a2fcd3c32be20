from django.urls import path

from tickets.intake import help_center_views as help_center

app_name = "help"

urlpatterns = [
    path("", help_center.request_form, name="form"),
    path("sent/<str:token>/", help_center.help_sent, name="sent"),
    path("t/<str:token>/", help_center.requester_ticket, name="ticket"),
]
