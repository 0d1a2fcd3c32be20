"""How the tickets app's routes are scoped: the kinds are described in
tests/test_route_scoping.py, which collects every app's tests/<app>/routes.py."""

PUBLIC = {"help:form", "help:sent"}
OWN = {"tickets:saved_view_create"}
SAVED_VIEW_ROUTES = {"tickets:saved_view": ["get"], "tickets:saved_view_delete": ["post"]}
TICKET_ROUTES = {
    "tickets:detail": ["get"], "tickets:reply": ["post"], "tickets:macro_preview": ["post"],
    "tickets:update": ["post"], "tickets:merge": ["post"], "tickets:link": ["post"],
    "tickets:timeline": ["get"], "tickets:presence": ["post"],
    "api-ticket": ["get", "patch"], "api-ticket-messages": ["get", "post"],
}  # fmt: skip
SCOPED_LISTS = {
    "tickets:queue", "tickets:counts", "tickets:search", "tickets:bulk", "tickets:next",
    "api-tickets", "api-requesters", "api-queues",
}  # fmt: skip
TOKEN_ROUTES = {"email-inbound", "help:ticket", "api-inapp-requests"}
OBJECT_ROUTES = {"tickets:attachment", "api-requester"}
