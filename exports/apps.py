from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExportsConfig(AppConfig):
    """CSV exports of the tables the apps register, built by Celery in the background."""

    name = "exports"
    verbose_name = _("Exports")

    def ready(self) -> None:
        # Imported here: models (and what imports them) load after the app registry.
        from exports import sources, ticket_list

        sources.register(ticket_list.SOURCE)
