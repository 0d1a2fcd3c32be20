"""The lead's dashboard, the agent table and the vendor comparison. Thin: the controls
in (analytics.forms), the numbers from the selectors arranged by the presenters, a page
or (htmx) its body out. Anyone who may not see a page gets 404, as elsewhere."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from accounts.http import AuthenticatedRequest
from analytics import presenters, selectors
from analytics.forms import SLICE_DIMS, DashboardForm
from tickets.selectors import visible_queue_list


def _page(request: AuthenticatedRequest, template: str, build: Callable[..., dict[str, Any]], *,
          slices: tuple[str, ...]) -> HttpResponse:  # fmt: skip
    user = request.user
    if not selectors.can_view(user):
        raise Http404
    names = selectors.visible_names(user)
    queues = {queue.pk: queue.name for queue in visible_queue_list(user)}
    form = DashboardForm(request.GET, user=user, queues=queues, names=names, slices=slices)
    frame = presenters.frame(user, form.controls(), names=names, queues=queues,
                             now=timezone.now())  # fmt: skip
    if build is presenters.vendors and not presenters.can_compare_vendors(frame):
        raise Http404
    context = {**build(frame), "form": form, "zones": form.zone_choices(frame.controls.tz),
               "can_compare_vendors": presenters.can_compare_vendors(frame)}  # fmt: skip
    name = f"{template}#body" if request.htmx else template
    return render(request, name, context, status=400 if form.errors else 200)


@login_required
@require_GET
@vary_on_headers("HX-Request")
def dashboard(request: AuthenticatedRequest) -> HttpResponse:
    return _page(request, "analytics/dashboard.html", presenters.dashboard, slices=SLICE_DIMS)


@login_required
@require_GET
@vary_on_headers("HX-Request")
def agents(request: AuthenticatedRequest) -> HttpResponse:
    return _page(request, "analytics/agents.html", presenters.agents, slices=("queue",))


@login_required
@require_GET
@vary_on_headers("HX-Request")
def vendors(request: AuthenticatedRequest) -> HttpResponse:
    return _page(request, "analytics/vendors.html", presenters.vendors, slices=("queue",))
