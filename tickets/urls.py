from django.urls import path

from tickets import views

app_name = "tickets"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("counts/", views.sidebar_counts, name="counts"),
    path("next/", views.next_ticket, name="next"),
    path("bulk/", views.bulk, name="bulk"),
    path("search/", views.search, name="search"),
    path("views/", views.saved_view_create, name="saved_view_create"),
    path("views/<int:pk>/", views.saved_view, name="saved_view"),
    path("views/<int:pk>/delete/", views.saved_view_delete, name="saved_view_delete"),
    path("attachments/<int:pk>/", views.attachment, name="attachment"),
    path("<str:reference>/", views.detail, name="detail"),
    path("<str:reference>/reply/", views.reply, name="reply"),
    path("<str:reference>/macro-preview/", views.macro_preview, name="macro_preview"),
    path("<str:reference>/update/", views.update, name="update"),
    path("<str:reference>/merge/", views.merge, name="merge"),
    path("<str:reference>/link/", views.link, name="link"),
    path("<str:reference>/timeline/", views.timeline, name="timeline"),
    path("<str:reference>/presence/", views.presence_ping, name="presence"),
]
