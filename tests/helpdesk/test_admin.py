import pytest
from django.contrib import admin

from accounts.models import Role
from tests import factories

pytestmark = pytest.mark.django_db


def test_every_admin_changelist_and_add_page_opens_for_an_admin(client, rf):
    user = factories.user(role=Role.ADMIN)
    client.force_login(user)
    request = rf.get("/")
    request.user = user
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        base = f"/admin/{opts.app_label}/{opts.model_name}/"
        assert client.get(base).status_code == 200, base
        expected = 200 if model_admin.has_add_permission(request) else 403
        assert client.get(f"{base}add/").status_code == expected, base


def test_the_admin_is_closed_to_agents_and_leads(client):
    for role in (Role.AGENT, Role.LEAD):
        client.force_login(factories.user(role=role))
        assert client.get("/admin/").status_code == 302


def test_an_admin_creates_a_user_through_the_service(client):
    from accounts.models import AccountEvent, User

    client.force_login(factories.user(role=Role.ADMIN))
    team = factories.team()
    response = client.post("/admin/accounts/user/add/", {
        "email": "New.Agent@Example.com", "full_name": "New Agent", "team": team.pk,
        "password1": "a-long-enough-passphrase", "password2": "a-long-enough-passphrase",
    })  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    user = User.objects.get(email="new.agent@example.com")
    assert list(user.groups.values_list("name", flat=True)) == ["agent"]
    assert AccountEvent.objects.filter(target_id=user.pk, action="user_created").exists()
