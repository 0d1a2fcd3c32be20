"""Saved queue views: a person keeps a filtered, sorted queue under a name; a lead may
share theirs with their team. Each change is audited as a ``ConfigEvent`` (there is no
ticket to hang an ``Event`` on)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from tickets.models import ConfigEvent, SavedView
from tickets.selectors import QueueFilters
from tickets.services.common import TicketError

MAX_SAVED_VIEWS = 30
MAX_NAME_CHARS = 80


def _audit(*, actor: User, view_id: int, action: str, before: dict | None = None,
           after: dict | None = None) -> None:  # fmt: skip
    ConfigEvent.objects.create(
        action=action, actor=actor, target_type="savedview", target_id=view_id,
        before=before or {}, after=after or {},
    )  # fmt: skip


def _snapshot(view: SavedView) -> dict:
    return {"name": view.name, "query": view.query, "owner": view.owner_id,
            "shared_with_team": view.shared_with_team_id}  # fmt: skip


@transaction.atomic
def saved_view_create(
    *, actor: User, name: str, filters: QueueFilters, share: bool = False
) -> SavedView:
    """Save these filters and sort under a name (unique per person). ``share``: a lead
    shares it with their own team, who see it in their sidebar."""
    name = " ".join(name.split())
    if not name:
        raise TicketError(_("Give the view a name."))
    if len(name) > MAX_NAME_CHARS:
        raise TicketError(_("A view's name has at most %(count)d characters.")
                          % {"count": MAX_NAME_CHARS})  # fmt: skip
    if "\x00" in name:
        raise TicketError(_("The name contains a NUL character."))
    if share and not ((actor.is_lead or actor.is_admin) and actor.team_id is not None):
        raise TicketError(_("Only leads share views with their team."))
    # Lock the person's row: two saves at once must not both pass the checks below.
    User.objects.select_for_update().filter(pk=actor.pk).first()
    mine = SavedView.objects.filter(owner=actor)
    existing = mine.filter(name__iexact=name).values_list("name", flat=True).first()
    if existing is not None:
        raise TicketError(_("You already have a saved view named “%(name)s”.")
                          % {"name": existing})  # fmt: skip
    if mine.count() >= MAX_SAVED_VIEWS:
        raise TicketError(_("You can keep at most %(count)d saved views. Delete one first.")
                          % {"count": MAX_SAVED_VIEWS})  # fmt: skip
    view = SavedView.objects.create(
        owner=actor, name=name, query=filters.as_query()[:1000],
        shared_with_team_id=actor.team_id if share else None,
    )  # fmt: skip
    _audit(actor=actor, view_id=view.pk, action="saved_view_created", after=_snapshot(view))
    return view


@transaction.atomic
def saved_view_delete(*, actor: User, view: SavedView) -> None:
    """Only the person who saved a view deletes it (a shared view too)."""
    locked = SavedView.objects.select_for_update().filter(pk=view.pk).first()
    if locked is None:
        return  # already deleted
    if locked.owner_id != actor.pk:
        raise TicketError(_("Only the person who saved a view can delete it."))
    before = _snapshot(locked)
    locked.delete()
    _audit(actor=actor, view_id=view.pk, action="saved_view_deleted", before=before)
