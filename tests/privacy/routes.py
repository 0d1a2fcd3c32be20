"""How privacy's routes are scoped (tests/test_route_scoping.py collects this).

Every privacy route is for people who handle privacy (privacy.permissions: admins, and
in-house people given privacy.handle_erasurerequest); 404 for everyone else on every
method (tests/privacy/test_views.py). They reach every requester by design."""

PRIVACY_ROUTES = {
    "privacy:home": ["get"],
    "privacy:subject": ["get", "post"],
    "privacy:erasure": ["get", "post"],
    "privacy:holds": ["get", "post"],
    "privacy:hold_release": ["post"],
    "privacy:access": ["get"],
    "privacy:retention": ["get", "post"],
    "privacy:retention_policy": ["get", "post"],
}
# Redaction, by ticket reference: privacy.redaction.redactable_tickets (leads and admins,
# the tickets they see); 404 for everyone else on every method (test_redaction.py).
REDACTION_ROUTES = {"privacy:redact": ["get", "post"]}
