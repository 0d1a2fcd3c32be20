"""How the analytics app's routes are scoped: the kinds are described in
tests/test_route_scoping.py, which collects every app's tests/<app>/routes.py."""

# Spike alerts are read through analytics.watch.visible_alerts (metric_scope): agents
# have no analytics, a vendor's lead sees alerts on their queues only; out of scope is
# 404 for every method (tests/analytics/test_watch.py).
SCOPED_LISTS = {"analytics:alerts"}
ALERT_ROUTES = {
    "analytics:alert": ["get"],
    "analytics:alert_incident": ["post"],
    "analytics:alert_dismiss": ["post"],
}
