from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data for `make run` and the benches: the top of the graph, it may import
    every app and none imports it."""

    name = "demo"
    label = "demo"
