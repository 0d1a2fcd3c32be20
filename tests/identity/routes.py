"""How identity's routes are scoped (tests/test_route_scoping.py collects this)."""

# The sign-in steps: no sign-in yet (the second step and the key's ceremony read only
# the sign-in waiting in this browser's session).
PUBLIC = {
    "identity:sign_in", "identity:verify", "identity:webauthn_sign_in_begin",
    "identity:webauthn_sign_in_finish", "identity:sso_find", "identity:sso_start",
    "identity:sso_callback", "identity:sign_out",
}  # fmt: skip
# One's own factors, sessions and tokens (sessions and tokens by id: another person's is
# 404, tests/identity/test_pages.py).
OWN = {
    "identity:security", "identity:enrol", "identity:totp_start", "identity:totp_confirm",
    "identity:webauthn_register_begin", "identity:webauthn_register_finish",
    "identity:recovery_codes", "identity:factor_remove", "identity:session_end",
    "identity:sessions_end_all", "identity:token_create", "identity:token_revoke",
}  # fmt: skip
# Admins only: 404 for everyone else (tests/identity/test_pages.py).
ADMIN_ROUTES = {
    "identity:person", "identity:policies", "identity:providers", "identity:provider_new",
    "identity:provider_edit", "identity:log", "identity:tokens",
}  # fmt: skip
