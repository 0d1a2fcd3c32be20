from django.conf import settings
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from accounts import views as accounts_views
from helpdesk import views
from helpdesk.api_throttling import charge_anonymous_call
from tickets.intake import email_webhook

admin.site.site_header = _("Helpdesk administration")
admin.site.site_title = _("Helpdesk administration")


class SignedInUnlessDebug(BasePermission):
    """The API's schema and docs map every route and field: open to anyone with DEBUG on
    (a laptop), to signed-in people (session or token) in production."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        if settings.DEBUG or (request.user and request.user.is_authenticated):
            return True
        charge_anonymous_call(request, view)
        return False


_api_docs = SpectacularSwaggerSplitView.as_view(
    url_name="api-schema", permission_classes=[SignedInUnlessDebug]
)


def api_docs(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    # A browser is sent to sign in (and back) rather than shown the API's 401.
    if not settings.DEBUG and not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    return _api_docs(request, *args, **kwargs)


urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("identity.urls")),
    path("accounts/", include("accounts.urls")),
    path("tickets/", include("tickets.urls")),
    path("sops/", include("sops.urls")),
    path("escalations/", include("escalations.urls")),
    path("exports/", include("exports.urls")),
    path("analytics/", include("analytics.urls")),
    path("quality/", include("quality.urls")),
    path("privacy/", include("privacy.urls")),
    path("safety/", include("safety.urls")),
    path("help/chat/", include("chat.help_urls")),
    path("help/", include("tickets.intake.help_urls")),
    path("chat/", include("chat.urls")),
    path("push/", include("chat.push_urls")),
    # Django's language switcher, which also saves a signed-in person's choice.
    path("i18n/setlang/", accounts_views.set_language, name="set_language"),
    # The admin site's own sign-in would skip the second step, single sign-on and the
    # networks: it sends people to the helpdesk's.
    path("admin/login/", views.admin_login),
    path("admin/", admin.site.urls),
    path("api/v1/email/inbound", email_webhook.inbound_email, name="email-inbound"),
    path("api/v1/", include("tickets.api.urls")),
    path("api/v1/", include("quality.api_urls")),
    path("api/v1/", include("safety.api_urls")),
    path("api/v1/", include("chat.api_urls")),
    path(
        "api/schema/",
        SpectacularAPIView.as_view(permission_classes=[SignedInUnlessDebug]),
        name="api-schema",
    ),
    path("api/docs/", api_docs, name="api-docs"),
]
