from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The kernel (no models): registered so its checks, templates and tests have an app."""

    name = "core"
    label = "core"
