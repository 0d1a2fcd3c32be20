from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from core import navigation


class HelpdeskConfig(AppConfig):
    """The project package: settings, URLs, middleware, the home page and the chrome."""

    name = "helpdesk"

    def ready(self) -> None:
        # Imported here: models (and what imports them) load after the app registry.
        from accounts import permissions

        navigation.register(navigation.NavEntry(key="home", label=_("Home"), url_name="home",
                                                order=0))  # fmt: skip
        navigation.register(navigation.NavEntry(
            key="admin", label=_("Administration"), url_name="admin:index", order=900,
            visible_to=permissions.can_administer))  # fmt: skip
