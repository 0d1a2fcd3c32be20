from functools import cache, partial

from django.http import HttpRequest
from django.urls import get_script_prefix, reverse
from django.utils.translation import gettext_lazy as _

from accounts import permissions
from sops import selectors as sop_selectors

# (key, label, URL name, shown to): every page's navigation.
_NAV = [
    ("home", _("Home"), "home", None),
    ("queue", _("Queue"), "tickets:queue", None),
    ("sops", _("SOPs"), "sops:library", None),
    ("escalations", _("Escalations"), "escalations:board", None),
    ("incidents", _("Incidents"), "escalations:incidents", None),
    ("people", _("People"), "accounts:roster", permissions.can_view_roster),
    ("admin", _("Administration"), "admin:index", permissions.can_administer),
]


@cache
def _nav_urls(script_prefix: str) -> dict[str, str]:
    """The navigation's URLs, reversed once per process (they never change while it runs)."""
    return {key: reverse(name) for key, _label, name, _allowed in _NAV}


def navigation(request: HttpRequest) -> dict:
    """The main navigation for the signed-in person's role."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    urls = _nav_urls(get_script_prefix())
    return {
        "nav_items": [
            {"key": key, "label": label, "url": urls[key]}
            for key, label, _name, allowed in _NAV
            if allowed is None or allowed(user)
        ],
        # A callable: evaluated only by the full page's banner, not by htmx fragments.
        "pending_sops": partial(sop_selectors.pending_acknowledgements, user),
    }
