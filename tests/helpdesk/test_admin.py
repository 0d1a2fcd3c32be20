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


def test_an_admin_sets_up_a_mailbox_and_its_password_is_never_shown_or_audited(client):
    from tests.tickets import factories as tf
    from tickets.models import ConfigEvent, Mailbox

    client.force_login(factories.user(role=Role.ADMIN))
    queue = tf.queue("Payments")
    form = {
        "address": "payments@helpdesk.test", "queue": queue.pk, "from_name": "Payments",
        "send_acknowledgement": "on", "is_active": "on", "imap_host": "imap.example.net",
        "imap_port": 993, "imap_security": "ssl", "imap_username": "payments",
        "imap_password": "", "imap_folder": "INBOX", "after_import": "move",
        "processed_folder": "Processed",
    }  # fmt: skip
    response = client.post("/admin/tickets/mailbox/add/", form)
    assert response.status_code == 200 and "Needed to read the mailbox" in response.content.decode()
    response = client.post("/admin/tickets/mailbox/add/", {**form, "imap_password": "pa55-word"})
    assert response.status_code == 302, response.content.decode()[:2000]
    box = Mailbox.objects.get()
    assert box.imap_password == "pa55-word" and box.polls
    page = client.get(f"/admin/tickets/mailbox/{box.pk}/change/").content.decode()
    assert "pa55-word" not in page
    # Saving again with the password left blank keeps it.
    client.post(f"/admin/tickets/mailbox/{box.pk}/change/", {**form, "from_name": "Pay"})
    box.refresh_from_db()
    assert (box.from_name, box.imap_password) == ("Pay", "pa55-word")
    events = ConfigEvent.objects.filter(target_type="mailbox", target_id=box.pk)
    assert list(events.order_by("id").values_list("action", flat=True)) == [
        "mailbox_added", "mailbox_changed"]  # fmt: skip
    assert all("imap_password" not in e.after and "pa55" not in str(e.after) for e in events)


def test_an_admin_sets_a_persons_display_language_audited(client):
    from accounts.models import AccountEvent

    client.force_login(factories.user(role=Role.ADMIN))
    team = factories.team()
    agent = factories.user(team=team, email="grace@example.com")
    page = client.get(f"/admin/accounts/user/{agent.pk}/change/").content.decode()
    assert 'name="ui_language"' in page
    response = client.post(f"/admin/accounts/user/{agent.pk}/change/", {
        "email": agent.email, "full_name": agent.full_name, "team": team.pk,
        "role": agent.role, "languages": "en", "time_zone": "UTC", "ui_language": "pt",
        "is_active": "on",
    })  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:3000]
    agent.refresh_from_db()
    assert agent.ui_language == "pt"
    assert AccountEvent.objects.filter(target_id=agent.pk, action="preferences_changed").exists()


def test_an_admin_gives_an_added_role_on_the_persons_page_audited(client):
    from accounts.models import AccountEvent

    client.force_login(factories.user(role=Role.ADMIN))
    team = factories.team()
    agent = factories.user(team=team, email="lin@example.com")
    page = client.get(f"/admin/accounts/user/{agent.pk}/change/").content.decode()
    assert 'name="added_roles" value="qa_reviewer"' in page
    form = {
        "email": agent.email, "full_name": agent.full_name, "team": team.pk,
        "role": agent.role, "languages": "en", "time_zone": "UTC", "is_active": "on",
        "added_roles": "qa_reviewer",
    }  # fmt: skip
    response = client.post(f"/admin/accounts/user/{agent.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert sorted(agent.groups.values_list("name", flat=True)) == ["agent", "qa_reviewer"]
    assert AccountEvent.objects.filter(target_id=agent.pk, action="added_roles_changed").exists()
    # Deactivating while giving a role is refused beside the field, and nothing changes.
    response = client.post(f"/admin/accounts/user/{agent.pk}/change/",
                           {**form, "is_active": ""})  # fmt: skip
    assert response.status_code == 200
    assert "A deactivated account cannot be given a role." in response.content.decode()
    agent.refresh_from_db()
    assert agent.is_active
