import pytest
from django.contrib.auth.models import Group

from accounts import services
from accounts.models import AccountEvent, Role
from tests import factories

pytestmark = pytest.mark.django_db


def test_user_create_lowercases_email_and_records_an_audit_event():
    team = factories.team()
    user = services.user_create(
        actor=None, email="Ana.Souza@Example.COM", full_name="Ana Souza", team=team,
        languages=["pt", "en", "en"], password="s3cret-pass",
    )  # fmt: skip
    assert user.email == "ana.souza@example.com"
    assert user.languages == ["en", "pt"]
    assert user.check_password("s3cret-pass")
    event = AccountEvent.objects.get(target_type="user", target_id=user.pk)
    assert event.action == AccountEvent.Action.USER_CREATED
    assert event.after["team"] == team.slug


def test_user_create_refuses_a_duplicate_email_whatever_its_case():
    factories.user(email="dup@example.com")
    with pytest.raises(services.AccountError, match="already exists"):
        factories.user(email="DUP@example.com")


def test_agents_and_leads_need_a_team():
    with pytest.raises(services.AccountError, match="must belong to a team"):
        services.user_create(actor=None, email="x@example.com", full_name="X", role=Role.LEAD)


def test_unknown_language_codes_are_rejected():
    with pytest.raises(Exception, match="Unknown language"):
        factories.user(languages=("en", "klingon"))


def test_role_decides_group_and_admin_site_access():
    agent = factories.user()
    assert list(agent.groups.values_list("name", flat=True)) == ["agent"]
    assert not agent.is_staff

    admin = services.user_change_role(actor=None, user=agent, role=Role.ADMIN)
    assert admin.is_staff
    assert list(admin.groups.values_list("name", flat=True)) == ["admin"]
    assert admin.has_perm("accounts.change_team")

    event = AccountEvent.objects.filter(action=AccountEvent.Action.ROLE_CHANGED).get()
    assert (event.before, event.after) == ({"role": "agent"}, {"role": "admin"})


def test_changing_to_the_same_role_writes_nothing():
    agent = factories.user()
    services.user_change_role(actor=None, user=agent, role=Role.AGENT)
    assert not AccountEvent.objects.filter(action=AccountEvent.Action.ROLE_CHANGED).exists()


def test_role_groups_hold_the_permissions_of_the_role_table():
    lead = Group.objects.get(name="lead")
    assert set(lead.permissions.values_list("codename", flat=True)) == {
        "view_user", "view_team", "view_vendor", "view_redaction", "add_redaction",
        "view_capoverride", "add_capoverride", "view_optout", "change_optout", "view_agentstate",
    }  # fmt: skip
    assert not Group.objects.get(name="agent").permissions.exists()


def test_preferences_change_is_audited_and_validates_the_time_zone():
    user = factories.user(time_zone="UTC")
    services.user_update_preferences(
        actor=user, user=user, time_zone="Asia/Tokyo", full_name="Yuki Sato"
    )
    user.refresh_from_db()
    assert (user.time_zone, user.full_name) == ("Asia/Tokyo", "Yuki Sato")
    assert AccountEvent.objects.filter(action=AccountEvent.Action.PREFERENCES_CHANGED).count() == 1
    with pytest.raises(services.AccountError, match="not a known time zone"):
        services.user_update_preferences(
            actor=user, user=user, time_zone="Mars/Olympus", full_name="Yuki"
        )


def test_preferences_store_a_ui_language_audited_and_refuse_one_not_offered():
    user = factories.user()
    services.user_update_preferences(actor=user, user=user, ui_language="de")
    user.refresh_from_db()
    assert user.ui_language == "de"
    event = AccountEvent.objects.get(action=AccountEvent.Action.PREFERENCES_CHANGED)
    assert (event.before, event.after) == ({"ui_language": ""}, {"ui_language": "de"})
    # Unchanged: no write, no event; arguments left out stay as they are.
    services.user_update_preferences(actor=user, user=user, ui_language="de")
    services.user_update_preferences(actor=user, user=user, full_name=user.full_name)
    assert AccountEvent.objects.filter(action=AccountEvent.Action.PREFERENCES_CHANGED).count() == 1
    for value in ["it", "xx", "DE"]:
        with pytest.raises(services.AccountError, match="not a language the helpdesk"):
            services.user_update_preferences(actor=user, user=user, ui_language=value)
    services.user_update_preferences(actor=user, user=user, ui_language="")
    user.refresh_from_db()
    assert (user.ui_language, user.time_zone) == ("", "UTC")


def test_nobody_but_an_admin_changes_someone_elses_preferences():
    ana, bo = factories.user(), factories.user()
    with pytest.raises(services.AccountError):
        services.user_update_preferences(actor=ana, user=bo, time_zone="UTC", full_name="Bo")
    with pytest.raises(services.AccountError):
        services.user_update_preferences(actor=ana, user=bo, ui_language="ar")


def test_user_update_moves_team_and_deactivates_with_one_event_each():
    user = factories.user()
    new_team = factories.team()
    services.user_update(actor=None, user=user, team=new_team, is_active=False)
    user.refresh_from_db()
    assert user.team == new_team and not user.is_active
    actions = set(AccountEvent.objects.filter(target_id=user.pk, target_type="user")
                  .values_list("action", flat=True))  # fmt: skip
    assert {AccountEvent.Action.TEAM_CHANGED, AccountEvent.Action.ACTIVE_CHANGED} <= actions
