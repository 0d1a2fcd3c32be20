"""The navigation is collected from the apps (core.navigation): each registers its entries
from its AppConfig.ready(), and the header shows them exactly as it did when one list in
helpdesk/context_processors.py named them all."""

import ast
import re
from pathlib import Path

import pytest
from django.conf import settings

from accounts.models import Role
from core import navigation
from tests import factories

pytestmark = pytest.mark.django_db

# The header each role saw at 75e8664 (the last commit with one list), CSRF token blanked,
# with the entries apps registered since (the quality app's Ratings and QA reviews, and
# identity's Access and privacy's Privacy for admins, safety's Reports and Wellbeing, chat's
# Chats and its status menu).
HEADERS = Path(__file__).parent / "headers"


def _header(client, role, path):  # type: ignore[no-untyped-def]
    client.force_login(factories.user(role=role, email=f"{role}@example.com",
                                      full_name=f"Demo {role}"))  # fmt: skip
    body = client.get(path).content.decode()
    header = re.search(r'<a class="visually-hidden-focusable skip-link".*?</header>', body, re.S)
    assert header, body
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"',
                  'name="csrfmiddlewaretoken" value="CSRF"', header.group(0))  # fmt: skip


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize(("path", "page"), [("/", "home"), ("/sops/", "sops")])
def test_each_role_sees_the_header_it_saw_before_the_apps_registered_their_entries(
    client, role, path, page
):  # fmt: skip
    assert _header(client, role, path) == (HEADERS / f"{role}_{page}.html").read_text()


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (Role.AGENT, [("ratings", "Ratings", "/quality/ratings/"),
                      ("reviews", "QA reviews", "/quality/reviews/"),
                      ("wellbeing", "Wellbeing", "/safety/wellbeing/")]),
        (Role.LEAD, [("dashboard", "Dashboard", "/analytics/"),
                     ("ratings", "Ratings", "/quality/ratings/"),
                     ("reviews", "QA reviews", "/quality/reviews/"),
                     ("wellbeing", "Wellbeing", "/safety/wellbeing/"),
                     ("people", "People", "/accounts/people/")]),
        (Role.ADMIN, [("dashboard", "Dashboard", "/analytics/"),
                      ("ratings", "Ratings", "/quality/ratings/"),
                      ("reviews", "QA reviews", "/quality/reviews/"),
                      ("wellbeing", "Wellbeing", "/safety/wellbeing/"),
                      ("people", "People", "/accounts/people/"),
                      ("access", "Access", "/accounts/access/log/"),
                      ("privacy", "Privacy", "/privacy/"),
                      ("admin", "Administration", "/admin/")]),
    ],
)  # fmt: skip
def test_the_entries_are_in_order_and_follow_the_role(role, expected):
    everyone = [("home", "Home", "/"), ("queue", "Queue", "/tickets/"),
                ("safety-reports", "Reports", "/safety/reports/"), ("chat", "Chats", "/chat/"),
                ("sops", "SOPs", "/sops/"),
                ("escalations", "Escalations", "/escalations/"),
                ("incidents", "Incidents", "/escalations/incidents/")]  # fmt: skip
    items = navigation.nav_items(factories.user(role=role))
    assert [(i["key"], str(i["label"]), i["url"]) for i in items] == everyone + expected
    assert all(item["badge"] is None for item in items)


def test_the_context_processor_imports_no_app():
    source = Path(settings.BASE_DIR, "helpdesk", "context_processors.py").read_text()
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert imported <= {"django", "core"}


@pytest.fixture
def registry(monkeypatch):
    """The registered entries, restored after the test."""
    monkeypatch.setattr(navigation, "_entries", dict(navigation._entries))
    monkeypatch.setattr(navigation, "_resolved", {})
    return navigation


def test_a_registered_entry_shows_for_those_it_is_for_with_its_badge(registry, client):
    calls = []

    def waiting(user):  # type: ignore[no-untyped-def]
        calls.append(user)
        return 3

    registry.register(registry.NavEntry(
        key="reviews", label="Reviews", url_name="tickets:search", order=101,
        visible_to=lambda user: user.role == Role.LEAD, badge=waiting))  # fmt: skip
    lead = factories.user(role=Role.LEAD)
    client.force_login(lead)
    body = client.get("/").content.decode()
    keys = re.findall(r'data-nav="([^"]+)"', body)
    assert keys[:3] == ["home", "queue", "reviews"]
    assert re.search(r'data-nav="reviews">Reviews <span class="badge rounded-pill '
                     r'text-bg-light" data-testid="nav-badge">3</span></a>', body)  # fmt: skip
    assert calls == [lead]
    # An htmx fragment renders no header: the badge's count is not asked for.
    client.get("/tickets/counts/", headers={"HX-Request": "true"})
    assert calls == [lead]
    client.force_login(factories.user(role=Role.AGENT))
    assert 'data-nav="reviews"' not in client.get("/").content.decode()


def test_a_badge_of_zero_shows_nothing(registry, client):
    registry.register(registry.NavEntry(
        key="reviews", label="Reviews", url_name="tickets:search", order=150,
        badge=lambda user: 0))  # fmt: skip
    client.force_login(factories.user())
    body = client.get("/").content.decode()
    assert 'data-nav="reviews">Reviews</a>' in body and "nav-badge" not in body


def test_registering_a_key_again_replaces_its_entry(registry):
    registry.register(registry.NavEntry(key="queue", label="Work", url_name="tickets:queue",
                                        order=100))  # fmt: skip
    assert [str(entry.label) for entry in registry.entries()].count("Work") == 1
    assert "Queue" not in [str(entry.label) for entry in registry.entries()]
