"""Route kinds of this part (see tests/safety/routes.py)."""

# "My wellbeing": the signed-in person's own exposure and opt-outs; no other object.
OWN = {"safety:wellbeing": ["get", "post"]}
# The lead's view (built on accounts.selectors.visible_users: the people they lead) and
# the admins' clearance list: 404 for anyone else (tests/safety/test_exposure_pages.py).
ROLE_LISTS = {"safety:exposure_people": ["get", "post"], "safety:clearances": ["get", "post"]}
# One person's figures, by id: 404 unless the viewer leads them.
OBJECT_ROUTES = {"safety:exposure_person": ["get"]}
