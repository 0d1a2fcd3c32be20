from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SopsConfig(AppConfig):
    """Standard Operating Procedures, their versions, acknowledgements and checklists."""

    name = "sops"
    verbose_name = _("SOPs")
