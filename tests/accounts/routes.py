"""How accounts' routes are scoped: the kinds are described in tests/test_route_scoping.py,
which collects every app's tests/<app>/routes.py."""

PUBLIC = {
    "accounts:password_reset", "accounts:password_reset_done",
    "accounts:password_reset_confirm", "accounts:password_reset_complete",
}  # fmt: skip
OWN = {"accounts:preferences"}
ROLE_LISTS = {"accounts:roster"}
