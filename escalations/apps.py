from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EscalationsConfig(AppConfig):
    """Escalations, incidents, on-call rotations and paging."""

    name = "escalations"
    verbose_name = _("Escalations")
