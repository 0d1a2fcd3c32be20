"""Role checks used by views and navigation; one function per capability."""

from accounts.models import Role, User


def can_view_roster(user: User) -> bool:
    return user.is_authenticated and (user.is_admin or user.role == Role.LEAD)


def can_administer(user: User) -> bool:
    return user.is_authenticated and user.is_admin and user.is_staff
