from django.urls import path

from tickets.api import views
from tickets.intake.inapp_api import InAppRequestApi

urlpatterns = [
    path("tickets/", views.TicketListCreateApi.as_view(), name="api-tickets"),
    path("tickets/<str:reference>/", views.TicketDetailApi.as_view(), name="api-ticket"),
    path(
        "tickets/<str:reference>/messages/",
        views.TicketMessagesApi.as_view(),
        name="api-ticket-messages",
    ),  # fmt: skip
    path("requesters/", views.RequesterListApi.as_view(), name="api-requesters"),
    path("requesters/<int:pk>/", views.RequesterDetailApi.as_view(), name="api-requester"),
    path("queues/", views.QueueListApi.as_view(), name="api-queues"),
    path("inapp/requests/", InAppRequestApi.as_view(), name="api-inapp-requests"),
]
