from functools import partial

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts import permissions
from sops import selectors as sop_selectors


def navigation(request: HttpRequest) -> dict:
    """The main navigation for the signed-in person's role."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items = [
        ("home", _("Home"), reverse("home")),
        ("queue", _("Queue"), reverse("tickets:queue")),
        ("sops", _("SOPs"), reverse("sops:library")),
        ("escalations", _("Escalations"), reverse("escalations:board")),
        ("incidents", _("Incidents"), reverse("escalations:incidents")),
    ]
    if permissions.can_view_roster(user):
        items.append(("people", _("People"), reverse("accounts:roster")))
    if permissions.can_administer(user):
        items.append(("admin", _("Administration"), reverse("admin:index")))
    return {
        "nav_items": [{"key": key, "label": label, "url": url} for key, label, url in items],
        # A callable: evaluated only by the full page's banner, not by htmx fragments.
        "pending_sops": partial(sop_selectors.pending_acknowledgements, user),
    }
