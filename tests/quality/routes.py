"""How the quality app's routes are scoped: the kinds are described in
tests/test_route_scoping.py, which collects every app's tests/<app>/routes.py."""

# The requester's rating page, behind its signed link (a forged or foreign token is 404);
# the in-app rating API, by the app's key and the ticket's requester's user id (a ticket
# of another user is 404). Tested in tests/quality/test_views.py and test_api.py.
TOKEN_ROUTES = {"quality:rate": ["get", "post"], "api-inapp-ratings": ["get", "post"]}
# Ratings are read through quality.selectors.visible_surveys: admins all, a lead the
# queues they see (a vendor's lead only their vendor's agents), an agent their own.
SCOPED_LISTS = {"quality:ratings", "quality:reviews"}
# A follow-up is posted by a lead or an admin on a rating they see: 404 otherwise.
RATING_ROUTES = {"quality:follow_up": ["post"]}
# Survey settings: admins only (404 for everyone else).
ADMIN_ROUTES = {"quality:settings": ["get", "post"], "quality:reviewers": ["post"]}
# QA reviews are read through quality.selectors.visible_reviews (blind: the agent sees a
# review only once submitted; a vendor's lead their vendor's); out of scope 404 for every
# method (tests/quality/test_qa_views.py).
REVIEW_ROUTES = {"quality:review": ["get"], "quality:review_action": ["post"]}
# Sampling cycles and scorecards: leads and admins (404 for agents); scorecards are
# written by admins and in-house leads only (404 for a vendor's lead).
EDITOR_ROUTES = {
    "quality:cycles": ["get", "post"],
    "quality:scorecards": ["get"],
    "quality:scorecard_new": ["get", "post"],
    "quality:calibrations": ["get", "post"],
}
SCORECARD_ROUTES = {"quality:scorecard_edit": ["get", "post"]}
# A calibration session: quality.selectors.visible_sessions (admins and in-house leads,
# else its creator and its reviewers); 404 otherwise. A coaching task: only its agent
# marks it done (404 for anyone else). Tested in tests/quality/test_qa_views.py.
CALIBRATION_ROUTES = {"quality:calibration": ["get"]}
COACHING_ROUTES = {"quality:coaching_done": ["post"]}
