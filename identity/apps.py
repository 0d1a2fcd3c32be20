from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from core import navigation


class IdentityConfig(AppConfig):
    """Signing in: second factors, single sign-on, sessions, API tokens, networks."""

    name = "identity"
    verbose_name = _("Sign-in and access")

    def ready(self) -> None:
        from identity import handlers

        handlers.connect()
        navigation.register(navigation.NavEntry(
            key="access", label=_("Access"), url_name="identity:log", order=850,
            visible_to=lambda user: user.is_authenticated and user.is_admin))  # fmt: skip
