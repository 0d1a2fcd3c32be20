from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EscalationsConfig(AppConfig):
    """Escalations, incidents, on-call rotations and paging."""

    name = "escalations"
    verbose_name = _("Escalations")

    def ready(self) -> None:
        from escalations.models import Rotation  # after the registry
        from tickets import outbox
        from tickets.models import Notification

        def rotation_endpoint(notification: Notification) -> outbox.WebhookEndpoint | None:
            rotation = Rotation.objects.filter(pk=notification.payload.get("rotation_id")).first()
            if rotation is None or not rotation.webhook_url:
                return None
            return outbox.WebhookEndpoint(rotation.webhook_url, rotation.webhook_secret)

        outbox.register_webhook_endpoint("page", rotation_endpoint)
