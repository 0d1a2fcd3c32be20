"""Route kinds of this part (see tests/safety/routes.py)."""

# The help center's report form, open to anyone (rate-limited like its request form).
PUBLIC = {"safety:report_public": ["get", "post"]}
# The confirmation page behind a signed token (a forged one is 404); the in-app report
# and appeal API, by the app's key (tests/safety/test_reports_api.py).
TOKEN_ROUTES = {
    "safety:report_sent": ["get"],
    "safety:notifier_appeal": ["get", "post"],
    "api-safety-reports": ["post"],
    "api-safety-appeals": ["post"],
}
# Cases are listed through the tickets a person may see (tickets.selectors.visible_tickets).
SCOPED_LISTS = {"safety:reports"}
# An agent enters a report received elsewhere: it reveals nothing but its own reference.
OWN = {"safety:report_new": ["get", "post"]}
# The case's forms, by the ticket's reference (tickets.selectors.get_ticket_for): 404 out
# of scope, for every method.
TICKET_ROUTES = {
    "safety:case_decide": ["get", "post"],
    "safety:appeal_new": ["get", "post"],
    "safety:appeal_decide": ["get", "post"],
}
