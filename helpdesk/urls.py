from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts import views as accounts_views
from helpdesk import views
from tickets import email_webhook

admin.site.site_header = _("Helpdesk administration")
admin.site.site_title = _("Helpdesk administration")

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("accounts.urls")),
    path("tickets/", include("tickets.urls")),
    path("sops/", include("sops.urls")),
    path("escalations/", include("escalations.urls")),
    path("help/", include("tickets.help_urls")),
    # Django's language switcher, which also saves a signed-in person's choice.
    path("i18n/setlang/", accounts_views.set_language, name="set_language"),
    path("admin/", admin.site.urls),
    path("api/v1/email/inbound", email_webhook.inbound_email, name="email-inbound"),
    path("api/v1/", include("tickets.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]
