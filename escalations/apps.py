from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from core import navigation


class EscalationsConfig(AppConfig):
    """Escalations, incidents, on-call rotations and paging."""

    name = "escalations"
    verbose_name = _("Escalations")

    def ready(self) -> None:
        from escalations import handlers, ticket_page  # after the registry
        from escalations.models import Rotation
        from tickets import outbox
        from tickets.models import Notification

        handlers.connect()
        ticket_page.register()

        def rotation_endpoint(notification: Notification) -> outbox.WebhookEndpoint | None:
            rotation = Rotation.objects.filter(pk=notification.payload.get("rotation_id")).first()
            if rotation is None or not rotation.webhook_url:
                return None
            return outbox.WebhookEndpoint(rotation.webhook_url, rotation.webhook_secret)

        outbox.register_webhook_endpoint("page", rotation_endpoint)

        from accounts.roles import register_role_permissions
        from escalations.roles import ROLE_PERMISSIONS

        register_role_permissions(ROLE_PERMISSIONS)
        navigation.register(
            navigation.NavEntry(
                key="escalations", label=_("Escalations"), url_name="escalations:board", order=300
            )
        )
        navigation.register(
            navigation.NavEntry(
                key="incidents", label=_("Incidents"), url_name="escalations:incidents", order=310
            )
        )
