"""Every write to users, teams and vendors. Each change writes an AccountEvent."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts import hooks
from accounts.models import (
    AccountEvent,
    Role,
    Team,
    User,
    Vendor,
    validate_time_zone,
    validate_ui_language,
)
from accounts.roles import added_role_permissions, added_roles, role_permissions
from core import bidi
from core.errors import Invalid


class AccountError(Invalid):
    """A change to an account that is not allowed; the message says why."""


def _audit(
    *,
    action: str,
    actor: User | None,
    target: User | Team | Vendor,
    before: dict | None = None,
    after: dict | None = None,
) -> AccountEvent:
    return AccountEvent.objects.create(
        action=action,
        actor=actor,
        target_type=target._meta.model_name or "",
        target_id=target.pk,
        before=before or {},
        after=after or {},
    )


def role_groups_sync() -> None:
    """Make each role's group (main and added) hold exactly the permissions the apps
    declared for it."""
    for role, apps in (role_permissions() | added_role_permissions()).items():
        group, _created = Group.objects.get_or_create(name=role)
        wanted: list[Permission] = []
        for app_label, models in apps.items():
            for model, actions in models.items():
                codenames = [f"{action}_{model}" for action in actions]
                wanted.extend(
                    Permission.objects.filter(
                        content_type__app_label=app_label, codename__in=codenames
                    )
                )
        group.permissions.set(wanted)


def _sync_role_flags(user: User) -> None:
    """Group membership and admin-site access follow the role; added roles are kept."""
    user.is_staff = user.role == Role.ADMIN or user.is_superuser
    added = [role.name for role in added_roles()]
    user.groups.set(Group.objects.filter(Q(name=user.role) | Q(name__in=added, user=user)))


@transaction.atomic
def vendor_create(*, actor: User | None, name: str, contact_email: str = "") -> Vendor:
    vendor = Vendor(name=name, slug=slugify(name)[:60], contact_email=contact_email)
    vendor.full_clean()
    vendor.save()
    _audit(action=AccountEvent.Action.VENDOR_CREATED, actor=actor, target=vendor,
           after={"name": name})  # fmt: skip
    return vendor


@transaction.atomic
def vendor_webhook_set(*, actor: User | None, vendor: Vendor, url: str) -> Vendor:
    """Point the vendor's notices at ``url`` (validated: https, public address), or turn
    them off with an empty URL. A first URL gets a signing secret."""
    from core import webhook_targets as webhooks

    vendor = Vendor.objects.select_for_update().get(pk=vendor.pk)
    url = url.strip()
    if url == vendor.webhook_url:
        return vendor
    if url:
        try:
            webhooks.validate_webhook_url(url)
        except ValidationError as exc:
            raise AccountError(" ".join(exc.messages)) from exc
    before = {"webhook_url": vendor.webhook_url}
    vendor.webhook_url = url
    fields = ["webhook_url"]
    if url and not vendor.webhook_secret:
        vendor.webhook_secret = webhooks.new_secret()
        fields.append("webhook_secret")
    vendor.save(update_fields=fields)
    _audit(action=AccountEvent.Action.WEBHOOK_CHANGED, actor=actor, target=vendor,
           before=before, after={"webhook_url": url})  # fmt: skip
    return vendor


@transaction.atomic
def vendor_webhook_secret_rotate(*, actor: User | None, vendor: Vendor) -> str:
    """A new signing secret, returned once to show the admin. The old one keeps signing
    alongside it for WEBHOOK_SECRET_GRACE_HOURS so the vendor can switch over."""
    from django.utils import timezone

    from core import webhook_targets as webhooks

    vendor = Vendor.objects.select_for_update().get(pk=vendor.pk)
    secret = webhooks.new_secret()
    vendor.webhook_previous_secret = vendor.webhook_secret
    vendor.webhook_secret = secret
    vendor.webhook_secret_rotated_at = timezone.now()
    vendor.save(update_fields=["webhook_previous_secret", "webhook_secret",
                               "webhook_secret_rotated_at"])  # fmt: skip
    # The audit records that it happened, never the secret.
    _audit(action=AccountEvent.Action.WEBHOOK_SECRET_ROTATED, actor=actor, target=vendor,
           after={"rotated_at": vendor.webhook_secret_rotated_at.isoformat()})  # fmt: skip
    return secret


@transaction.atomic
def team_create(*, actor: User | None, name: str, vendor: Vendor | None = None) -> Team:
    slug = slugify(f"{vendor.slug}-{name}" if vendor else name)[:60]
    team = Team(name=name, slug=slug, vendor=vendor)
    team.full_clean()
    team.save()
    _audit(action=AccountEvent.Action.TEAM_CREATED, actor=actor, target=team,
           after={"name": name, "vendor": vendor.slug if vendor else None})  # fmt: skip
    return team


@transaction.atomic
def user_create(
    *,
    actor: User | None,
    email: str,
    full_name: str,
    role: Role = Role.AGENT,
    team: Team | None = None,
    languages: Iterable[str] = (),
    time_zone: str = "UTC",
    password: str | None = None,
) -> User:
    email = User.objects.normalize_email(email).lower()
    if User.objects.filter(email__iexact=email).exists():
        raise AccountError(_("A user with this email address already exists."))
    if role != Role.ADMIN and team is None:
        raise AccountError(_("Agents and leads must belong to a team."))
    user = User(
        email=email,
        full_name=bidi.clean_name(full_name),
        role=role,
        team=team,
        languages=sorted(set(languages)),
        time_zone=time_zone,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    _sync_role_flags(user)
    user.save(update_fields=["is_staff"])
    _audit(action=AccountEvent.Action.USER_CREATED, actor=actor, target=user,
           after={"email": email, "role": role, "team": team.slug if team else None,
                  "languages": user.languages})  # fmt: skip
    return user


@transaction.atomic
def user_change_role(*, actor: User | None, user: User, role: Role) -> User:
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.role == role:
        return user
    if role != Role.ADMIN and user.team_id is None:
        raise AccountError(_("Agents and leads must belong to a team."))
    old = user.role
    user.role = role
    _sync_role_flags(user)
    user.save(update_fields=["role", "is_staff"])
    _audit(action=AccountEvent.Action.ROLE_CHANGED, actor=actor, target=user,
           before={"role": old}, after={"role": role})  # fmt: skip
    hooks.access_changed.send(hooks.AccessChanged(user=user, actor=actor, what="role"))
    return user


@transaction.atomic
def user_set_languages(*, actor: User | None, user: User, languages: Iterable[str]) -> User:
    user = User.objects.select_for_update().get(pk=user.pk)
    new = sorted(set(languages))
    if new == user.languages:
        return user
    old = user.languages
    user.languages = new
    user.full_clean(exclude=["password"])
    user.save(update_fields=["languages"])
    _audit(action=AccountEvent.Action.LANGUAGES_CHANGED, actor=actor, target=user,
           before={"languages": old}, after={"languages": new})  # fmt: skip
    return user


@transaction.atomic
def user_update_preferences(
    *,
    actor: User,
    user: User,
    time_zone: str | None = None,
    full_name: str | None = None,
    ui_language: str | None = None,
) -> User:
    """What people may change about themselves: display name, time zone and UI language
    (blank: follow the browser). Arguments left out (None) stay as they are."""
    if actor.pk != user.pk and not actor.is_admin:
        raise AccountError(_("You can only change your own preferences."))
    try:
        if time_zone is not None:
            validate_time_zone(time_zone)
        if ui_language is not None:
            validate_ui_language(ui_language)
    except ValidationError as exc:
        raise AccountError(exc.messages[0]) from exc
    if full_name is not None:
        full_name = bidi.clean_name(full_name)
    wanted = {"time_zone": time_zone, "ui_language": ui_language,
              "full_name": full_name.strip() if full_name is not None else None}  # fmt: skip
    user = User.objects.select_for_update().get(pk=user.pk)
    after = {name: value for name, value in wanted.items()
             if value is not None and value != getattr(user, name)}  # fmt: skip
    if not after:
        return user
    before = {name: getattr(user, name) for name in after}
    for name, value in after.items():
        setattr(user, name, value)
    user.save(update_fields=list(after))
    _audit(action=AccountEvent.Action.PREFERENCES_CHANGED, actor=actor, target=user,
           before=before, after=after)  # fmt: skip
    return user


@transaction.atomic
def user_set_added_roles(*, actor: User | None, user: User, names: Iterable[str]) -> User:
    """Give a person exactly these added roles (an admin's decision; None: the system).
    One audit event when anything changed. Access is read from the groups on every
    request, so no session needs ending: ``access_changed`` is not sent."""
    if actor is not None and not actor.is_admin:
        raise AccountError(_("Only admins give or take away roles."))
    declared = {role.name for role in added_roles()}
    wanted = set(names)
    if unknown := sorted(wanted - declared):
        raise AccountError(_("Unknown role(s): %(names)s.") % {"names": ", ".join(unknown)})
    user = User.objects.select_for_update().get(pk=user.pk)
    if wanted and not user.is_active:
        raise AccountError(_("A deactivated account cannot be given a role."))
    held = set(user.groups.filter(name__in=declared).values_list("name", flat=True))
    if held == wanted:
        return user
    user.groups.remove(*Group.objects.filter(name__in=held - wanted))
    user.groups.add(*Group.objects.filter(name__in=wanted - held))
    _audit(action=AccountEvent.Action.ADDED_ROLES_CHANGED, actor=actor, target=user,
           before={"roles": sorted(held)}, after={"roles": sorted(wanted)})  # fmt: skip
    return user


@transaction.atomic
def role_holders_set(*, actor: User | None, name: str, users: Iterable[User]) -> None:
    """Make exactly these people hold the added role ``name``: the others lose it. Each
    person whose roles change gets their own audit event."""
    wanted = {user.pk for user in users}
    current = set(User.objects.filter(groups__name=name).values_list("pk", flat=True))
    declared = [role.name for role in added_roles()]
    for person in User.objects.filter(pk__in=wanted ^ current).order_by("pk"):
        held = set(person.groups.filter(name__in=declared).values_list("name", flat=True))
        held = held | {name} if person.pk in wanted else held - {name}
        user_set_added_roles(actor=actor, user=person, names=held)


_UNSET = object()


@transaction.atomic
def user_update(
    *,
    actor: User | None,
    user: User,
    team: Team | None | object = _UNSET,
    is_active: bool | object = _UNSET,
    full_name: str | object = _UNSET,
) -> User:
    """An admin's edit of team, active flag or name; one audit event per change."""
    user = User.objects.select_for_update().get(pk=user.pk)
    changed: list[str] = []
    if team is not _UNSET and team != user.team:
        if team is None and user.role != Role.ADMIN:
            raise AccountError(_("Agents and leads must belong to a team."))
        old_team = user.team
        user.team = team  # type: ignore[assignment]
        changed.append("team")
        _audit(action=AccountEvent.Action.TEAM_CHANGED, actor=actor, target=user,
               before={"team": old_team.slug if old_team else None},
               after={"team": team.slug if isinstance(team, Team) else None})  # fmt: skip
    if is_active is not _UNSET and is_active != user.is_active:
        user.is_active = bool(is_active)
        changed.append("is_active")
        _audit(
            action=AccountEvent.Action.ACTIVE_CHANGED,
            actor=actor,
            target=user,
            before={"is_active": not is_active},
            after={"is_active": bool(is_active)},
        )
    if full_name is not _UNSET:
        full_name = bidi.clean_name(str(full_name))
    if full_name is not _UNSET and full_name != user.full_name:
        _audit(action=AccountEvent.Action.PREFERENCES_CHANGED, actor=actor, target=user,
               before={"full_name": user.full_name}, after={"full_name": full_name})  # fmt: skip
        user.full_name = str(full_name)
        changed.append("full_name")
    if changed:
        user.save(update_fields=changed)
    if "team" in changed:
        hooks.access_changed.send(hooks.AccessChanged(user=user, actor=actor, what="team"))
    if "is_active" in changed and not user.is_active:
        hooks.access_changed.send(hooks.AccessChanged(user=user, actor=actor, what="deactivated"))
    return user
