"""Who may write, publish and oversee SOPs; one function per capability."""

from accounts.models import Role, User


def can_edit_sops(user: User) -> bool:
    """Write drafts and propose them for review: admins and leads."""
    return bool(user.is_authenticated and user.is_active and (user.is_admin or user.is_lead))


def can_publish_sops(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_admin)


def can_view_coverage(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active
                and (user.is_admin or user.role == Role.LEAD))  # fmt: skip
