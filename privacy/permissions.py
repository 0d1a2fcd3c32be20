"""Who handles privacy: people given the permission (admins have it through their role;
a compliance officer is given it on their account). Never a vendor's people: a vendor
works only its own queues, and these pages reach every requester."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from accounts.models import User

PERMISSION = "privacy.handle_erasurerequest"


def can_handle_privacy(user: User) -> bool:
    if not (user.is_authenticated and user.is_active):
        return False
    in_house = not (user.team_id and user.team and user.team.vendor_id)
    return in_house and user.has_perm(PERMISSION)
