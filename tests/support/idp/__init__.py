"""A small, real OpenID Connect provider for the tests: django-oauth-toolkit in its own
Django project, run as a separate process (`python -m tests.support.idp.serve`).

The tests start it with the `oidc_provider` fixture (tests/support/idp/fixtures.py) and
set it up through its control API (tests/support/idp/views.py)."""
