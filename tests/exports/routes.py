"""How the exports app's routes are scoped: the kinds are described in
tests/test_route_scoping.py, which collects every app's tests/<app>/routes.py."""

OWN = {"exports:list"}
# Starting an export reads a scoped list (the source reads through its app's scoping
# function): tests/exports/services/test_ticket_list.py checks a vendor's export.
SCOPED_LISTS = {"exports:start"}
# Jobs addressed by id (exports.selectors.get_job_for): another person's is 404 for every
# method, admins included (tests/exports/views/test_pages.py).
EXPORT_ROUTES = {"exports:job": ["get"]}
# A signed link (job and owner, timestamped) that also needs its owner signed in: another
# person's is 404, an expired one 410 (tests/exports/views/test_download.py).
TOKEN_ROUTES = {"exports:download"}
