"""Reads of users and teams. ``visible_users`` decides who sees whom."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import Exists, OuterRef, Q, QuerySet

from accounts.models import Role, Team, User, Vendor
from accounts.roles import added_roles

ROSTER_PAGE_SIZE = 50


def visible_users(viewer: User) -> QuerySet[User]:
    """The one place that decides which accounts a signed-in person may see.

    Admins see everyone. A vendor's lead sees every account at that vendor; an
    in-house lead sees their own team. Agents see only themselves.
    """
    users = User.objects.all()
    if not viewer.is_authenticated or not viewer.is_active:
        return users.none()
    if viewer.is_admin:
        return users
    if viewer.role == Role.LEAD and viewer.team_id is not None:
        team = viewer.team
        if team is not None and team.vendor_id is not None:
            return users.filter(team__vendor_id=team.vendor_id)
        return users.filter(team_id=viewer.team_id)
    return users.filter(pk=viewer.pk)


def holds_role(user: User, name: str) -> bool:
    """Whether the person, active, holds the added role ``name`` (accounts.roles)."""
    return bool(user.is_authenticated and user.is_active
                and user.groups.filter(name=name).exists())  # fmt: skip


def role_holders(name: str) -> QuerySet[User]:
    """The active people who hold the added role ``name``. Not scoped: callers narrow
    it through ``visible_users`` where a person chooses among them."""
    return User.objects.filter(groups__name=name, is_active=True)


def visible_teams(viewer: User) -> QuerySet[Team]:
    teams = Team.objects.all()
    if not viewer.is_authenticated or not viewer.is_active:
        return teams.none()
    if viewer.is_admin:
        return teams
    if viewer.team_id is None:
        return teams.none()
    team = viewer.team
    if viewer.role == Role.LEAD and team is not None and team.vendor_id is not None:
        return teams.filter(vendor_id=team.vendor_id)
    return teams.filter(pk=viewer.team_id)


def visible_vendors(viewer: User) -> QuerySet[Vendor]:
    """Vendors a person may see named (filters, audiences, choice lists): admins and
    in-house staff every vendor; a vendor's people only their own."""
    vendors = Vendor.objects.all()
    if not viewer.is_authenticated or not viewer.is_active:
        return vendors.none()
    if viewer.is_admin:
        return vendors
    if viewer.team_id is None:
        return vendors.none()
    in_house = Team.objects.filter(pk=viewer.team_id, vendor__isnull=True)
    own = Team.objects.filter(pk=viewer.team_id).values("vendor")
    return vendors.filter(Q(Exists(in_house)) | Q(pk__in=own))


def roster_page(
    viewer: User, *, after: tuple[str, int] | None = None, query: str = ""
) -> tuple[list[User], tuple[str, int] | None]:
    """One keyset page of the people the viewer may see, ordered by name.

    Returns the rows and the cursor for the next page (None on the last page); each
    row's ``added_roles`` are the labels of the added roles it holds. One query whatever
    the number of accounts: team and vendor come in by join, added roles by subquery.
    """
    labels = {role.name: role.label for role in added_roles()}
    held = Group.objects.filter(user=OuterRef("pk"), name__in=labels).order_by("name")
    users: QuerySet[User] = (
        visible_users(viewer)
        .select_related("team__vendor")
        .annotate(added_role_names=ArraySubquery(held.values("name")))
        .order_by("full_name", "id")
    )
    if query:
        users = users.filter(Q(full_name__icontains=query) | Q(email__icontains=query))
    if after is not None:
        name, pk = after
        users = users.filter(Q(full_name__gt=name) | Q(full_name=name, id__gt=pk))
    rows = list(users[: ROSTER_PAGE_SIZE + 1])
    has_more = len(rows) > ROSTER_PAGE_SIZE
    rows = rows[:ROSTER_PAGE_SIZE]
    for row in rows:
        names: list[str] = getattr(row, "added_role_names", [])
        row.added_roles = [labels[name] for name in names]  # type: ignore[attr-defined]
    cursor = (rows[-1].full_name, rows[-1].pk) if has_more else None
    return rows, cursor


def team_summaries(viewer: User) -> QuerySet[Team]:
    """The viewer's visible teams with head counts per role, in one query."""
    from django.db.models import Count

    return (
        visible_teams(viewer)
        .select_related("vendor")
        .annotate(
            agent_count=Count(
                "members", filter=Q(members__role=Role.AGENT, members__is_active=True)
            ),
            lead_count=Count("members", filter=Q(members__role=Role.LEAD, members__is_active=True)),
        )
        .order_by("vendor__name", "name")
    )
