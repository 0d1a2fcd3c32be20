"""How the project's own routes (helpdesk/urls.py) are scoped: the kinds are described
in tests/test_route_scoping.py, which collects every app's tests/<app>/routes.py."""

PUBLIC = {"healthz", "set_language"}
API_DOCS = {"api-schema", "api-docs"}
OWN = {"home"}
