from django.http import HttpRequest

from core import navigation as registry


def navigation(request: HttpRequest) -> dict:
    """The main navigation for the signed-in person's role, and the values the apps
    registered for every page (core.navigation)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    return {"nav_items": registry.nav_items(user), **registry.page_values(user)}
