from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from core import navigation


class PrivacyConfig(AppConfig):
    """Privacy: data-subject exports and erasure, legal holds."""

    name = "privacy"
    verbose_name = _("Privacy")

    def ready(self) -> None:
        from accounts.roles import register_role_permissions
        from privacy import access, export, panels
        from privacy.models import TicketEventKind
        from privacy.roles import ROLE_PERMISSIONS
        from privacy.timeline import SENTENCES
        from tickets import events, timeline

        events.register_kinds(TicketEventKind)
        timeline.register_sentences(SENTENCES)
        register_role_permissions(ROLE_PERMISSIONS)
        export.register()
        access.register_route(
            "tickets:detail", access.Route(access.Kind.TICKET_VIEW, reference_kwarg="reference")
        )
        access.register_route(
            "tickets:attachment", access.Route(access.Kind.ATTACHMENT, object_kwarg="pk")
        )
        access.register_route("tickets:search", access.Route(access.Kind.SEARCH))
        access.register_route("exports:download", access.Route(access.Kind.EXPORT))
        panels.register()
        # In the header for admins (the role tells, with no query on every page: a
        # permission check would cost two on each); someone else given the permission
        # opens /privacy/ directly (README).
        navigation.register(navigation.NavEntry(
            key="privacy", label=_("Privacy"), url_name="privacy:home", order=860,
            visible_to=lambda user: user.is_authenticated and user.is_admin))  # fmt: skip
