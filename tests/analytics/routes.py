"""How the analytics app's routes are scoped: the kinds are described in
tests/test_route_scoping.py, which collects every app's tests/<app>/routes.py."""

# The dashboards: leads and admins only (404 for agents), every number through
# analytics.selectors.metric_scope; the vendor comparison for admins and in-house leads
# only (404 for a vendor's lead). Tested in tests/analytics/views/test_scoping.py.
DASHBOARD_ROUTES = {"analytics:dashboard": ["get"], "analytics:agents": ["get"],
                    "analytics:vendors": ["get"]}  # fmt: skip
# Spike alerts are read through analytics.watch.visible_alerts (metric_scope): agents
# have no analytics, a vendor's lead sees alerts on their queues only; out of scope is
# 404 for every method (tests/analytics/test_watch.py).
SCOPED_LISTS = {"analytics:alerts"}
ALERT_ROUTES = {
    "analytics:alert": ["get"],
    "analytics:alert_incident": ["post"],
    "analytics:alert_dismiss": ["post"],
}
# Scheduled reports are read through analytics.reports.visible_reports: admins every
# report, a lead their own, agents none; another's report is 404 for every method
# (tests/analytics/views/test_reports.py). The list and the new-report form are for
# leads and admins (404 for agents).
REPORT_ROUTES = {
    "analytics:report_edit": ["get", "post"],
    "analytics:report_action": ["post"],
}
REPORT_LISTS = {"analytics:reports": ["get"], "analytics:report_new": ["get", "post"]}
