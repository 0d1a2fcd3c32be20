"""The privacy team's actions: data-subject exports, erasure requests and legal holds.
Each writes its audit event (PrivacyEvent) in its own transaction."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import Conflict, Forbidden, Invalid
from core.urls import absolute_url
from exports.services import export_start
from privacy import erasure, retention
from privacy.holds import holds_covering
from privacy.models import ErasureRequest, LegalHold, Mode, PrivacyEvent, RetentionPolicy
from privacy.permissions import can_handle_privacy

if TYPE_CHECKING:
    from accounts.models import User
    from exports.models import ExportJob
    from tickets.models import Queue, Requester, SavedView, Ticket

Kind = PrivacyEvent.Kind
State = ErasureRequest.State


class PrivacyError(Invalid):
    """A privacy action that cannot be done as asked; the message says why."""


class PrivacyConflict(Conflict, PrivacyError):
    pass


def _check(actor: User) -> None:
    if not can_handle_privacy(actor):
        raise Forbidden(_("You do not handle privacy requests."))


def _event(kind: str, actor: User | None, *, erasure_request: ErasureRequest | None = None,
           hold: LegalHold | None = None, policy: RetentionPolicy | None = None,
           **detail: object) -> PrivacyEvent:  # fmt: skip
    return PrivacyEvent.objects.create(kind=kind, actor=actor, erasure=erasure_request,
                                       hold=hold, policy=policy, detail=detail)  # fmt: skip


def grace() -> timedelta:
    return timedelta(days=settings.PRIVACY_ERASURE_GRACE_DAYS)


# ---------------------------------------------------------------------- export


def subject_export(*, actor: User, requester: Requester, language: str,
                   time_zone: str) -> ExportJob:  # fmt: skip
    """Queue the ZIP of everything about the requester; the link goes to the actor."""
    _check(actor)
    with transaction.atomic():
        job = export_start(actor=actor, source_key=erasure.SUBJECT_EXPORT_SOURCE,
                           params=QueryDict(f"requester={requester.pk}"), language=language,
                           time_zone=time_zone)  # fmt: skip
        _event(Kind.EXPORT_REQUESTED, actor, requester=requester.pk, job=job.pk)
    return job


# --------------------------------------------------------------------- erasure


@transaction.atomic
def erasure_request(
    *, actor: User, requester: Requester, mode: str, case_number: str = "",
    now: datetime | None = None,
) -> ErasureRequest:  # fmt: skip
    """Ask for the person's data to be erased (or restricted) after the grace period."""
    _check(actor)
    if mode not in Mode.values:
        raise PrivacyError(_("Choose how to erase the data."))
    if requester.provisional_of_id is not None:
        raise PrivacyError(_("This identity may be another requester's: erase that requester "
                             "(their provisional identities go with them)."))  # fmt: skip
    if ErasureRequest.objects.select_for_update().filter(
            requester=requester, state__in=[State.WAITING, State.HELD]).exists():  # fmt: skip
        raise PrivacyConflict(_("An erasure of this requester is already waiting."))
    now = now or timezone.now()
    request = ErasureRequest.objects.create(
        requester=requester, mode=mode, case_number=case_number.strip()[:64],
        requested_by=actor, created_at=now, run_after=now + grace())  # fmt: skip
    _event(Kind.ERASURE_REQUESTED, actor, erasure_request=request, mode=mode,
           run_after=request.run_after.isoformat())  # fmt: skip
    return request


@transaction.atomic
def erasure_cancel(*, actor: User, request: ErasureRequest) -> ErasureRequest:
    _check(actor)
    request = ErasureRequest.objects.select_for_update().get(pk=request.pk)
    if not request.is_open:
        raise PrivacyConflict(_("This erasure has already run or been cancelled."))
    request.state = State.CANCELLED
    request.cancelled_by = actor
    request.finished_at = timezone.now()
    request.save(update_fields=["state", "cancelled_by", "finished_at"])
    _event(Kind.ERASURE_CANCELLED, actor, erasure_request=request)
    return request


@transaction.atomic
def erasure_run(request_id: int, *, now: datetime | None = None) -> str:
    """Run one due request (the beat's task): "done", "held" while a legal hold covers
    the data (it runs once the hold is released), or "skipped"."""
    now = now or timezone.now()
    request = (ErasureRequest.objects.select_for_update(skip_locked=True)
               .filter(pk=request_id, state__in=[State.WAITING, State.HELD],
                       run_after__lte=now).first())  # fmt: skip
    if request is None or request.requester is None:
        return "skipped"
    holds = holds_covering(request.requester)
    if holds:
        if request.state != State.HELD:
            request.state = State.HELD
            request.save(update_fields=["state"])
            _event(Kind.ERASURE_HELD, None, erasure_request=request,
                   holds=[hold.pk for hold in holds])  # fmt: skip
        return "held"
    counts = erasure.erase(request.requester, mode=request.mode)
    request.state = State.DONE
    request.finished_at = timezone.now()
    request.counts = counts
    request.save(update_fields=["state", "finished_at", "counts"])
    _event(Kind.ERASURE_DONE, None, erasure_request=request, mode=request.mode, counts=counts)
    return "done"


def erasures_due(*, now: datetime | None = None, limit: int = 50) -> list[int]:
    now = now or timezone.now()
    return list(ErasureRequest.objects.filter(state__in=[State.WAITING, State.HELD],
                                              run_after__lte=now)
                .order_by("run_after", "pk").values_list("pk", flat=True)[:limit])  # fmt: skip


def erasure_run_now(*, actor: User, request: ErasureRequest) -> str:
    """Skip the rest of the grace period (the person confirmed, or the law asks for it
    sooner): the request runs at once, holds still apply."""
    _check(actor)
    with transaction.atomic():
        moved = ErasureRequest.objects.filter(
            pk=request.pk, state__in=[State.WAITING, State.HELD]
        ).update(run_after=timezone.now())
        if not moved:
            raise PrivacyConflict(_("This erasure has already run or been cancelled."))
    return erasure_run(request.pk)


# ------------------------------------------------------------------------ holds


@transaction.atomic
def hold_place(
    *, actor: User, case_number: str, owner: User, reason: str, review_on: date,
    requester: Requester | None = None, ticket: Ticket | None = None,
    queue: Queue | None = None, saved_view: SavedView | None = None,
) -> LegalHold:  # fmt: skip
    _check(actor)
    targets = {LegalHold.Scope.REQUESTER: requester, LegalHold.Scope.TICKET: ticket,
               LegalHold.Scope.QUEUE: queue, LegalHold.Scope.SAVED_VIEW: saved_view}  # fmt: skip
    named = [scope for scope, target in targets.items() if target is not None]
    if len(named) != 1:
        raise PrivacyError(_("A hold covers exactly one requester, ticket, queue or saved search."))
    if not case_number.strip() or not reason.strip():
        raise PrivacyError(_("A hold needs its case number and its reason."))
    hold = LegalHold.objects.create(
        scope=named[0], requester=requester, ticket=ticket, queue=queue, saved_view=saved_view,
        case_number=case_number.strip()[:64], owner=owner, reason=reason.strip()[:2000],
        review_on=review_on, created_by=actor)  # fmt: skip
    _event(Kind.HOLD_PLACED, actor, hold=hold, scope=hold.scope)
    return hold


@transaction.atomic
def hold_release(*, actor: User, hold: LegalHold) -> LegalHold:
    _check(actor)
    hold = LegalHold.objects.select_for_update().get(pk=hold.pk)
    if hold.released_at is not None:
        raise PrivacyConflict(_("This hold was already released."))
    hold.released_at = timezone.now()
    hold.released_by = actor
    hold.save(update_fields=["released_at", "released_by"])
    _event(Kind.HOLD_RELEASED, actor, hold=hold)
    return hold


# ---------------------------------------------------------------- access alerts


def unusual_reading_alert(*, user_id: int, views: int, norm: float, minutes: int) -> None:
    """Tell the admins that someone read far more tickets than usual (access.py)."""
    from accounts.models import Role, User
    from tickets import outbox
    from tickets.outbox import mail

    person = User.objects.filter(pk=user_id).first()
    if person is None:
        return
    with transaction.atomic():
        event = _event(Kind.ACCESS_ALERT, None, user=user_id, views=views,
                       norm=round(norm, 2), minutes=minutes)  # fmt: skip
        batch = outbox.Batch()
        for admin in User.objects.filter(role=Role.ADMIN, is_active=True):
            batch.email(
                kind="privacy_access_alert", key=[event.pk, admin.pk], to=admin.email,
                template="privacy_access_alert", language=mail.language_for(admin),
                context={"person": person, "views": views, "minutes": minutes,
                         "norm": round(norm, 1),
                         "link": absolute_url("privacy:access") + f"?person={person.pk}"},
                automatic="auto-generated",
            )  # fmt: skip
        batch.queue()


# -------------------------------------------------------------------- retention


@transaction.atomic
def retention_policy_save(*, actor: User, policy: RetentionPolicy) -> RetentionPolicy:
    """A new or changed policy is off, and needs a new dry run before it is switched on."""
    _check(actor)
    if not (policy.queue_id or policy.category or policy.channel):
        raise PrivacyError(_("Say which queue, category or channel the policy covers."))
    policy.is_active = False
    policy.dry_run_count = None
    policy.dry_run_at = None
    if policy.pk is None:
        policy.created_by = actor
    policy.save()
    _event(Kind.RETENTION_SAVED, actor, policy=policy, mode=policy.mode, days=policy.days)
    return policy


@transaction.atomic
def retention_dry_run(*, actor: User, policy: RetentionPolicy) -> int:
    _check(actor)
    count = retention.dry_run(policy)
    RetentionPolicy.objects.filter(pk=policy.pk).update(dry_run_count=count,
                                                        dry_run_at=timezone.now())  # fmt: skip
    _event(Kind.RETENTION_DRY_RUN, actor, policy=policy, count=count)
    return count


@transaction.atomic
def retention_switch(*, actor: User, policy: RetentionPolicy, on: bool) -> RetentionPolicy:
    _check(actor)
    policy = RetentionPolicy.objects.select_for_update().get(pk=policy.pk)
    if on and (policy.dry_run_at is None
               or policy.dry_run_at < timezone.now() - timedelta(days=1)):  # fmt: skip
        raise PrivacyConflict(_("Count what the policy would reach (a dry run, today) before "
                                "switching it on."))  # fmt: skip
    policy.is_active = on
    policy.save(update_fields=["is_active"])
    _event(Kind.RETENTION_SWITCHED, actor, policy=policy, on=on,
           dry_run_count=policy.dry_run_count)  # fmt: skip
    return policy
