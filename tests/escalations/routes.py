"""How the escalations app's routes are scoped: the kinds are described in
tests/test_route_scoping.py, which collects every app's tests/<app>/routes.py."""

TICKET_ROUTES = {"escalations:raise": ["post"]}
SCOPED_LISTS = {"escalations:board", "escalations:incidents", "escalations:oncall"}
EDITOR_ROUTES = {"escalations:incident_new": ["get", "post"]}
# Escalations and incidents addressed by id (escalations.selectors.visible_escalations,
# visible_incidents): out of scope is 404 for every method.
ESCALATION_ROUTES = {"escalations:detail": ["get"], "escalations:act": ["post"]}
INCIDENT_ROUTES = {
    "escalations:incident": ["get"], "escalations:incident_update": ["post"],
    "escalations:incident_comment": ["post"], "escalations:incident_tickets": ["post"],
    "escalations:incident_unlink": ["post"], "escalations:incident_tracker": ["post"],
}  # fmt: skip
# A page's link carries an unguessable token: anyone signed in who holds it may
# acknowledge (the on-call person forwarding it to a colleague is intended).
TOKEN_ROUTES = {"escalations:page"}
