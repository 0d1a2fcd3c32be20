"""How the analytics app's routes are scoped: the kinds are described in
tests/test_route_scoping.py, which collects every app's tests/<app>/routes.py."""

# The dashboards: leads and admins only (404 for agents), every number through
# analytics.selectors.metric_scope; the vendor comparison for admins and in-house leads
# only (404 for a vendor's lead). Tested in tests/analytics/views/test_scoping.py.
DASHBOARD_ROUTES = {"analytics:dashboard": ["get"], "analytics:agents": ["get"],
                    "analytics:vendors": ["get"]}  # fmt: skip
