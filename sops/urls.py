from django.urls import path

from sops import views

app_name = "sops"

urlpatterns = [
    path("", views.library, name="library"),
    path("new/", views.create, name="create"),
    path("import/", views.import_file, name="import"),
    path("preview/", views.preview, name="preview"),
    path("ticket/<str:reference>/checklist/", views.ticket_checklist, name="ticket_checklist"),
    path("<slug:slug>/", views.detail, name="detail"),
    path("<slug:slug>/v<int:number>/", views.version, name="version"),
    path("<slug:slug>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("<slug:slug>/history/", views.history, name="history"),
    path("<slug:slug>/diff/", views.diff, name="diff"),
    path("<slug:slug>/coverage/", views.coverage, name="coverage"),
    path("<slug:slug>/export/", views.export, name="export"),
    path("<slug:slug>/settings/", views.settings_page, name="settings"),
    path("<slug:slug>/draft/", views.start_draft, name="start_draft"),
    path("<slug:slug>/edit/", views.edit, name="edit"),
    path("<slug:slug>/submit/", views.submit, name="submit"),
    path("<slug:slug>/return/", views.return_to_draft, name="return"),
    path("<slug:slug>/publish/", views.publish, name="publish"),
    path("<slug:slug>/retire/", views.retire, name="retire"),
]
