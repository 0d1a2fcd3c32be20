from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts import permissions, selectors
from accounts.http import AuthenticatedRequest
from helpdesk.health import system_health


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    report = system_health()
    report["status"] = "ok" if report["ok"] else "down"
    return JsonResponse(report, status=200 if report["ok"] else 503)


@login_required
def home(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    context = {
        "teams": (selectors.team_summaries(user) if permissions.can_view_roster(user) else []),
    }
    return render(request, "home.html", context)


def admin_login(request: HttpRequest) -> HttpResponse:
    """The admin site's sign-in page: the helpdesk's (second factor, single sign-on,
    networks), then back to where the admin site was going."""
    from django.contrib.auth.views import redirect_to_login

    return redirect_to_login(request.GET.get("next") or "/admin/")
