"""How the quality app's routes are scoped: the kinds are described in
tests/test_route_scoping.py, which collects every app's tests/<app>/routes.py."""

# The requester's rating page, behind its signed link (a forged or foreign token is 404);
# the in-app rating API, by the app's key and the ticket's requester's user id (a ticket
# of another user is 404). Tested in tests/quality/test_views.py and test_api.py.
TOKEN_ROUTES = {"quality:rate": ["get", "post"], "api-inapp-ratings": ["get", "post"]}
# Ratings are read through quality.selectors.visible_surveys: admins all, a lead the
# queues they see (a vendor's lead only their vendor's agents), an agent their own.
SCOPED_LISTS = {"quality:ratings"}
# A follow-up is posted by a lead or an admin on a rating they see: 404 otherwise.
RATING_ROUTES = {"quality:follow_up": ["post"]}
# Survey settings: admins only (404 for everyone else).
ADMIN_ROUTES = {"quality:settings": ["get", "post"]}
