"""Added roles: an app declares a role held on top of the main one (quality's QA
reviewer); its holders are a group's members, given and taken away by admins, audited,
and kept when the main role changes."""

import copy

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ImproperlyConfigured

from accounts import roles, selectors, services
from accounts.models import AccountEvent, Role
from accounts.roles import AddedRole
from tests import factories

pytestmark = pytest.mark.django_db

QA = "qa_reviewer"


def _names(user) -> list[str]:
    return sorted(user.groups.values_list("name", flat=True))


def test_quality_declares_the_qa_reviewer_and_the_sync_grants_its_permissions():
    assert [role.name for role in roles.added_roles()] == [QA]
    services.role_groups_sync()
    held = set(Group.objects.get(name=QA).permissions.values_list("codename", flat=True))
    assert held == {"view_scorecard", "view_scorecardversion", "view_review", "change_review",
                    "view_calibrationsession"}  # fmt: skip


def test_an_added_role_may_not_take_a_main_roles_name_nor_be_declared_twice(monkeypatch):
    monkeypatch.setattr(roles, "_added", copy.copy(roles._added))
    with pytest.raises(ImproperlyConfigured, match="is a main role"):
        roles.register_added_role(AddedRole("lead", "Lead", "", {}))
    with pytest.raises(ImproperlyConfigured, match="declared twice"):
        roles.register_added_role(AddedRole(QA, "Someone else's", "", {}))
    same = roles._added[QA]
    roles.register_added_role(same)  # the same declaration again changes nothing
    assert roles.added_roles() == [same]


def test_an_admin_gives_and_takes_away_an_added_role_audited():
    admin = factories.user(role=Role.ADMIN)
    agent = factories.user()
    services.user_set_added_roles(actor=admin, user=agent, names=[QA])
    assert _names(agent) == ["agent", QA]
    assert selectors.holds_role(agent, QA)
    assert list(selectors.role_holders(QA)) == [agent]
    services.user_set_added_roles(actor=admin, user=agent, names=[QA])  # no change, no event
    services.user_set_added_roles(actor=admin, user=agent, names=[])
    assert _names(agent) == ["agent"]
    assert not selectors.holds_role(agent, QA)
    events = AccountEvent.objects.filter(
        target_id=agent.pk, action=AccountEvent.Action.ADDED_ROLES_CHANGED
    ).order_by("id")
    assert [(e.actor_id, e.before, e.after) for e in events] == [
        (admin.pk, {"roles": []}, {"roles": [QA]}),
        (admin.pk, {"roles": [QA]}, {"roles": []}),
    ]


def test_only_admins_give_roles_only_declared_ones_and_never_to_a_deactivated_account():
    lead = factories.user(role=Role.LEAD)
    agent = factories.user()
    with pytest.raises(services.AccountError, match="Only admins"):
        services.user_set_added_roles(actor=lead, user=agent, names=[QA])
    with pytest.raises(services.AccountError, match="Unknown role"):
        services.user_set_added_roles(actor=None, user=agent, names=["supervisor"])
    with pytest.raises(services.AccountError, match="Unknown role"):
        services.user_set_added_roles(actor=None, user=agent, names=[Role.ADMIN])
    services.user_update(actor=None, user=agent, is_active=False)
    with pytest.raises(services.AccountError, match="deactivated"):
        services.user_set_added_roles(actor=None, user=agent, names=[QA])
    assert _names(agent) == ["agent"]


def test_a_role_change_keeps_the_added_roles_and_deactivation_ends_what_they_give():
    agent = factories.user()
    services.user_set_added_roles(actor=None, user=agent, names=[QA])
    lead = services.user_change_role(actor=None, user=agent, role=Role.LEAD)
    assert _names(lead) == ["lead", QA]
    services.user_update(actor=None, user=lead, is_active=False)
    lead.refresh_from_db()
    assert not selectors.holds_role(lead, QA)
    assert list(selectors.role_holders(QA)) == []


def test_setting_a_roles_holders_changes_only_those_whose_membership_changes():
    keep, drop, add = factories.user(), factories.user(), factories.user()
    services.role_holders_set(actor=None, name=QA, users=[keep, drop])
    services.role_holders_set(actor=None, name=QA, users=[keep, add])
    assert set(selectors.role_holders(QA)) == {keep, add}
    changed = AccountEvent.objects.filter(action=AccountEvent.Action.ADDED_ROLES_CHANGED)
    counts = {u.pk: changed.filter(target_id=u.pk).count() for u in (keep, drop, add)}
    assert counts == {keep.pk: 1, drop.pk: 2, add.pk: 1}
