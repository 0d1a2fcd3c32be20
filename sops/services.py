"""Every write to SOPs: one function per state change, each audited in its transaction.

Versions move draft → in review → published → archived, and never back from
published. Editing a published SOP starts a new draft that copies it; publishing
that draft archives the version it replaces. Admins and leads write and propose;
only admins publish. Publishing tells vendor partners through the outbox.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.models import User, Vendor
from core.errors import Conflict, Invalid
from core.urls import absolute_url
from sops import permissions, selectors
from sops.markdown import SOPFile, SOPFileError, dump_sop_file, parse_sop_file, render_markdown
from sops.models import (
    SOP,
    ChecklistTick,
    SOPAcknowledgement,
    SOPEvent,
    SOPStep,
    SOPVersion,
    TicketEventKind,
)
from sops.selectors import PENDING_GENERATION_KEY, pending_cache_key
from tickets import events
from tickets.models import Macro, Queue, Ticket

State = SOPVersion.State
MAX_STEPS = 50


class SOPError(Invalid):
    """A change to an SOP that is not allowed; the message says why (shown to the user)."""


class SOPConflict(Conflict, SOPError):
    """Someone else changed it first (HTTP 409): reload, then make the change again."""


def _event(sop: SOP, actor: User | None, kind: str, *, version: SOPVersion | None = None,
           before: dict | None = None, after: dict | None = None) -> SOPEvent:  # fmt: skip
    return SOPEvent.objects.create(
        sop=sop, version=version, actor=actor, kind=kind, before=before or {}, after=after or {}
    )


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise SOPError(message)


def _clean_list(values: Iterable[str], *, limit: int = 64) -> list[str]:
    seen: list[str] = []
    for value in values:
        value = value.strip()[:limit]
        if value and value not in seen:
            seen.append(value)
    return seen


# Words the SOP pages use in their own paths (sops/urls.py).
RESERVED_SLUGS = {"new", "import", "preview", "ticket"}


def _unique_slug(title: str, wanted: str = "") -> str:
    base = slugify(wanted or title)[:70] or "sop"
    if base in RESERVED_SLUGS:
        base = f"{base}-sop"
    slug, n = base, 2
    while SOP.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def _refresh_search(sop_id: int) -> None:
    """Title and summary weigh more than the text; matched in 'simple' and 'english'."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE sops_sop s SET search_vector =
                setweight(to_tsvector('simple', s.title), 'A')
                || setweight(to_tsvector('english', s.title), 'A')
                || setweight(to_tsvector('simple', s.summary), 'B')
                || setweight(to_tsvector('english', s.summary), 'B')
                || setweight(to_tsvector('english', COALESCE(v.body, '')), 'C')
            FROM sops_sop s2 LEFT JOIN sops_sopversion v ON v.id = s2.current_version_id
            WHERE s.id = %s AND s2.id = s.id
            """,
            [sop_id],
        )


def _locked_sop(sop: SOP) -> SOP:
    return SOP.objects.select_for_update().get(pk=sop.pk)


def _locked_version(version: SOPVersion) -> SOPVersion:
    return (
        SOPVersion.objects.select_for_update(of=("self",)).select_related("sop").get(pk=version.pk)
    )


def _set_steps(version: SOPVersion, steps: Sequence[str]) -> None:
    version.steps.all().delete()
    SOPStep.objects.bulk_create(
        SOPStep(version=version, position=i, text=text) for i, text in enumerate(steps, start=1)
    )


def _checked_steps(steps: Iterable[str]) -> list[str]:
    cleaned = [s.strip() for s in steps if s.strip()]
    if len(cleaned) > MAX_STEPS:
        raise SOPError(_("A checklist has at most %(n)d steps.") % {"n": MAX_STEPS})
    if any(len(s) > 500 for s in cleaned):
        raise SOPError(_("Each checklist step is at most 500 characters."))
    return cleaned


# ------------------------------------------------------------------ SOPs


@transaction.atomic
def sop_create(
    *,
    actor: User,
    title: str,
    summary: str = "",
    slug: str = "",
    owner: User | None = None,
    queues: Iterable[Queue] = (),
    categories: Iterable[str] = (),
    tags: Iterable[str] = (),
    languages: Iterable[str] = (),
    vendors: Iterable[Vendor] = (),
    body: str = "",
    steps: Sequence[str] = (),
    macros: Iterable[Macro] = (),
    change_summary: str = "",
) -> SOPVersion:
    """A new SOP and its first draft. Admins and leads may propose one."""
    _require(permissions.can_edit_sops(actor), _("Only admins and leads write SOPs."))
    title = title.strip()
    _require(bool(title), _("An SOP needs a title."))
    if not actor.is_admin and actor.vendor is not None:
        # A vendor's lead proposes for their own vendor; an admin widens it on review.
        vendors = [actor.vendor]
    now = timezone.now()
    sop = SOP.objects.create(
        title=title[:200], slug=_unique_slug(title, slug), summary=summary.strip()[:1000],
        owner=owner or actor, categories=_clean_list(categories), tags=_clean_list(tags),
        languages=_clean_list(languages, limit=16), created_at=now, updated_at=now,
    )  # fmt: skip
    sop.queues.set(list(queues))
    sop.vendors.set(list(vendors))
    version = SOPVersion.objects.create(
        sop=sop, number=1, body=body, body_html=render_markdown(body), author=actor,
        change_summary=change_summary[:500] or _("First version"), created_at=now, updated_at=now,
    )  # fmt: skip
    _set_steps(version, _checked_steps(steps))
    version.macros.set(list(macros))
    _refresh_search(sop.pk)
    _event(sop, actor, "sop_created", version=version, after=_settings_snapshot(sop))
    return version


def _settings_snapshot(sop: SOP) -> dict:
    return {
        "title": sop.title, "summary": sop.summary,
        "owner": sop.owner.email if sop.owner_id and sop.owner else None,
        "queues": sorted(q.slug for q in sop.queues.all()),
        "categories": sop.categories, "tags": sop.tags, "languages": sop.languages,
        "vendors": sorted(v.slug for v in sop.vendors.all()),
    }  # fmt: skip


@transaction.atomic
def sop_update_settings(
    *,
    actor: User,
    sop: SOP,
    title: str,
    summary: str,
    owner: User | None,
    queues: Iterable[Queue],
    categories: Iterable[str],
    tags: Iterable[str],
    languages: Iterable[str],
    vendors: Iterable[Vendor],
) -> SOP:
    """Who the SOP is for. Admins only: a change of audience takes effect at once."""
    _require(permissions.can_publish_sops(actor), _("Only admins change who an SOP is for."))
    sop = _locked_sop(sop)
    before = _settings_snapshot(sop)
    title = title.strip()
    _require(bool(title), _("An SOP needs a title."))
    sop.title, sop.summary, sop.owner = title[:200], summary.strip()[:1000], owner
    sop.categories, sop.tags = _clean_list(categories), _clean_list(tags)
    sop.languages = _clean_list(languages, limit=16)
    sop.queues.set(list(queues))
    sop.vendors.set(list(vendors))
    after = _settings_snapshot(sop)
    if after == before:
        return sop
    sop.updated_at = timezone.now()
    sop.save(update_fields=["title", "summary", "owner", "categories", "tags", "languages",
                            "updated_at"])  # fmt: skip
    _refresh_search(sop.pk)
    changed = [key for key in after if after[key] != before[key]]
    _event(
        sop, actor, "sop_settings_changed",
        before={k: before[k] for k in changed}, after={k: after[k] for k in changed},
    )  # fmt: skip
    _bump_pending_generation()
    return sop


# -------------------------------------------------------------- versions


@transaction.atomic
def sop_draft_start(*, actor: User, sop: SOP) -> SOPVersion:
    """The SOP's open draft, created from the version in force if there is none."""
    _require(permissions.can_edit_sops(actor), _("Only admins and leads write SOPs."))
    sop = _locked_sop(sop)
    open_version = sop.versions.filter(state__in=[State.DRAFT, State.IN_REVIEW]).first()
    if open_version is not None:
        return open_version
    base = sop.current_version
    number = (sop.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    now = timezone.now()
    version = SOPVersion.objects.create(
        sop=sop, number=number, body=base.body if base else "",
        body_html=base.body_html if base else "", author=actor, created_at=now, updated_at=now,
        requires_acknowledgement=True,
    )  # fmt: skip
    if base is not None:
        _set_steps(version, list(base.steps.values_list("text", flat=True)))
        version.macros.set(list(base.macros.all()))
    _event(sop, actor, "draft_started", version=version,
           after={"version": number, "from_version": base.number if base else None})  # fmt: skip
    return version


@transaction.atomic
def sop_draft_save(
    *,
    actor: User,
    version: SOPVersion,
    expected_revision: int,
    body: str,
    steps: Sequence[str],
    macros: Iterable[Macro],
    change_summary: str,
    effective_on: datetime.date | None,
    requires_acknowledgement: bool,
) -> SOPVersion:
    """Save a draft. Refused if someone saved it since the editor loaded it."""
    _require(permissions.can_edit_sops(actor), _("Only admins and leads write SOPs."))
    version = _locked_version(version)
    if version.state != State.DRAFT:
        raise SOPConflict(
            _("Version %(n)d is %(state)s, not a draft: it can no longer be edited.")
            % {"n": version.number, "state": version.get_state_display().lower()}
        )
    if version.revision != expected_revision:
        raise SOPConflict(
            _("Someone else saved this draft while you were editing it. Your text is still "
              "in the form; reload the draft to see their changes, then make yours again.")
        )  # fmt: skip
    steps = _checked_steps(steps)
    macro_list = list(macros)
    before = {
        "body": version.body, "steps": list(version.steps.values_list("text", flat=True)),
        "macros": sorted(m.pk for m in version.macros.all()),
        "change_summary": version.change_summary,
        "effective_on": version.effective_on.isoformat() if version.effective_on else None,
        "requires_acknowledgement": version.requires_acknowledgement,
    }  # fmt: skip
    after: dict[str, Any] = {
        "body": body, "steps": steps, "macros": sorted(m.pk for m in macro_list),
        "change_summary": change_summary.strip()[:500],
        "effective_on": effective_on.isoformat() if effective_on else None,
        "requires_acknowledgement": requires_acknowledgement,
    }  # fmt: skip
    changed = [key for key in after if after[key] != before[key]]
    if not changed:
        return version
    version.body, version.body_html = body, render_markdown(body)
    version.change_summary = after["change_summary"]
    version.effective_on = effective_on
    version.requires_acknowledgement = requires_acknowledgement
    version.revision += 1
    version.updated_at = timezone.now()
    version.save(update_fields=["body", "body_html", "change_summary", "effective_on",
                                "requires_acknowledgement", "revision", "updated_at"])  # fmt: skip
    if "steps" in changed:
        _set_steps(version, steps)
    if "macros" in changed:
        version.macros.set(macro_list)
    # The text itself is in the version; the event says what changed and the size of it.
    _event(version.sop, actor, "draft_saved", version=version,
           after={"changed": changed, "revision": version.revision,
                  "characters": len(body)})  # fmt: skip
    return version


@transaction.atomic
def sop_version_submit(*, actor: User, version: SOPVersion) -> SOPVersion:
    """Propose a draft for review."""
    _require(permissions.can_edit_sops(actor), _("Only admins and leads write SOPs."))
    version = _locked_version(version)
    if version.state != State.DRAFT:
        raise SOPConflict(_("Only a draft can be sent for review."))
    _require(bool(version.body.strip()), _("Write the procedure before sending it for review."))
    version.state, version.submitted_at = State.IN_REVIEW, timezone.now()
    version.save(update_fields=["state", "submitted_at"])
    _event(version.sop, actor, "version_submitted", version=version,
           before={"state": State.DRAFT}, after={"state": State.IN_REVIEW})  # fmt: skip
    return version


@transaction.atomic
def sop_version_return(*, actor: User, version: SOPVersion, note: str = "") -> SOPVersion:
    """Send a version in review back to draft: an admin asking for changes, or its
    author withdrawing it."""
    version = _locked_version(version)
    _require(
        permissions.can_publish_sops(actor) or version.author_id == actor.pk,
        _("Only an admin or the author can return a version to draft."),
    )
    if version.state != State.IN_REVIEW:
        raise SOPConflict(_("Only a version in review can go back to draft."))
    version.state, version.submitted_at = State.DRAFT, None
    version.revision += 1
    version.save(update_fields=["state", "submitted_at", "revision"])
    _event(version.sop, actor, "version_returned", version=version,
           before={"state": State.IN_REVIEW},
           after={"state": State.DRAFT, "note": note.strip()[:2000]})  # fmt: skip
    return version


@transaction.atomic
def sop_version_publish(*, actor: User, version: SOPVersion) -> SOPVersion:
    """Put a reviewed version in force; the one it replaces is archived. Admins only.
    Agents in the audience are asked to acknowledge it; vendors it is shared with are
    told through the outbox."""
    _require(permissions.can_publish_sops(actor), _("Only admins publish SOPs."))
    sop = _locked_sop(version.sop)
    version = _locked_version(version)
    if version.state != State.IN_REVIEW:
        raise SOPConflict(_("Only a version in review can be published."))
    now = timezone.now()
    previous = sop.current_version
    if previous is not None:
        SOPVersion.objects.filter(pk=previous.pk).update(state=State.ARCHIVED, archived_at=now)
        _event(sop, actor, "version_archived", version=previous,
               before={"state": State.PUBLISHED}, after={"state": State.ARCHIVED})  # fmt: skip
    version.state, version.published_at, version.published_by = State.PUBLISHED, now, actor
    if version.effective_on is None:
        version.effective_on = timezone.localdate(now)
    version.save(update_fields=["state", "published_at", "published_by", "effective_on"])
    sop.current_version, sop.updated_at = version, now
    sop.save(update_fields=["current_version", "updated_at"])
    _refresh_search(sop.pk)
    _event(sop, actor, "version_published", version=version,
           before={"state": State.IN_REVIEW, "replaces": previous.number if previous else None},
           after={"state": State.PUBLISHED, "version": version.number})  # fmt: skip
    _notify_vendors(sop, version, now)
    _bump_pending_generation()
    return version


@transaction.atomic
def sop_retire(*, actor: User, sop: SOP) -> SOP:
    """Withdraw an SOP: its version in force is archived and it applies to no ticket."""
    _require(permissions.can_publish_sops(actor), _("Only admins retire SOPs."))
    sop = _locked_sop(sop)
    current = sop.current_version
    if current is None:
        return sop
    now = timezone.now()
    SOPVersion.objects.filter(pk=current.pk).update(state=State.ARCHIVED, archived_at=now)
    sop.current_version, sop.updated_at = None, now
    sop.save(update_fields=["current_version", "updated_at"])
    _refresh_search(sop.pk)
    _event(sop, actor, "sop_retired", version=current,
           before={"state": State.PUBLISHED}, after={"state": State.ARCHIVED})  # fmt: skip
    _bump_pending_generation()
    return sop


def _notify_vendors(sop: SOP, version: SOPVersion, now: datetime.datetime) -> None:
    from tickets import outbox  # the outbox imports ticket services

    url = absolute_url("sops:detail", sop.slug)
    payload = {
        "event": "sop.published",
        "sop": {"slug": sop.slug, "title": sop.title, "version": version.number,
                "change_summary": version.change_summary,
                "effective_on": version.effective_on.isoformat() if version.effective_on else None,
                "requires_acknowledgement": version.requires_acknowledgement, "url": url},
        "published_at": now.isoformat(),
    }  # fmt: skip
    batch = outbox.Batch()
    for vendor in sop.vendors.filter(is_active=True):
        if vendor.webhook_url:
            batch.webhook(
                kind="sop_published", key=[version.pk, vendor.pk, "webhook"],
                url=vendor.webhook_url, vendor=vendor, payload=payload, now=now,
            )  # fmt: skip
        if vendor.contact_email:
            batch.email(
                kind="sop_published", key=[version.pk, vendor.pk, "email"],
                to=vendor.contact_email, template="sop_published",
                context={"sop": sop, "version": version, "url": url},
                language=settings.LANGUAGE_CODE, automatic="auto-generated", now=now,
            )  # fmt: skip
    batch.queue()


def _bump_pending_generation() -> None:
    """Everyone's cached list of SOPs to acknowledge is stale after a publish. Bumped at
    once and again after commit: a list computed in between (from the old state) is
    thrown away too."""
    _bump_now()
    transaction.on_commit(_bump_now)


def _bump_now() -> None:
    try:
        cache.incr(PENDING_GENERATION_KEY)
    except ValueError:
        cache.set(PENDING_GENERATION_KEY, 1, timeout=None)


# ------------------------------------------------------ acknowledgements


@transaction.atomic
def sop_acknowledge(*, actor: User, version: SOPVersion) -> SOPAcknowledgement:
    """The actor has read the version in force. Idempotent."""
    if version.state != State.PUBLISHED:
        raise SOPConflict(_("This version is no longer in force; read the current one."))
    ack, _created = SOPAcknowledgement.objects.get_or_create(version=version, user=actor)
    # Now and after commit, so a list computed in between from the old state goes too.
    forget_pending(actor)
    transaction.on_commit(lambda: forget_pending(actor))
    return ack


def forget_pending(user: User) -> None:
    cache.delete(pending_cache_key(user.pk))


# -------------------------------------------------- checklists on tickets


@transaction.atomic
def sop_step_tick(*, actor: User, ticket: Ticket, step: SOPStep, done: bool) -> bool:
    """Mark a checklist step done (or not) on a ticket, on the ticket's audit timeline.
    Returns whether anything changed."""
    step = SOPStep.objects.select_related("version__sop").get(pk=step.pk)
    if step.version.state != State.PUBLISHED:
        raise SOPConflict(
            _("“%(title)s” has a newer version; reload the ticket to see its checklist.")
            % {"title": step.version.sop.title}
        )
    Ticket.objects.select_for_update(of=("self",)).only("pk").get(pk=ticket.pk)
    existing = ChecklistTick.objects.filter(ticket=ticket, step=step)
    if done == existing.exists():
        return False
    if done:
        ChecklistTick.objects.create(ticket=ticket, step=step, ticked_by=actor)
    else:
        existing.delete()
    events.record(
        ticket, actor, TicketEventKind.SOP_STEP_DONE if done else TicketEventKind.SOP_STEP_UNDONE,
        after={"sop": step.version.sop.title, "version": step.version.number,
               "step": step.position, "text": step.text},
    )  # fmt: skip
    return True


# ------------------------------------------------------------ import / export


def sop_file(version: SOPVersion) -> SOPFile:
    sop = version.sop
    return SOPFile(
        title=sop.title, slug=sop.slug, summary=sop.summary, body=version.body,
        categories=list(sop.categories), tags=list(sop.tags), languages=list(sop.languages),
        queues=sorted(q.slug for q in sop.queues.all()),
        vendors=sorted(v.slug for v in sop.vendors.all()),
        steps=[s.text for s in version.steps.all()],
        macros=[f"{m.name} ({m.language})" for m in version.macros.all()],
        change_summary=version.change_summary, effective_on=version.effective_on,
    )  # fmt: skip


def _lookup(model: type[Queue] | type[Vendor], values: list[str], field: str, what: str) -> list:
    found = {getattr(obj, field): obj for obj in model.objects.filter(**{f"{field}__in": values})}
    missing = [v for v in values if v not in found]
    if missing:
        raise SOPFileError(
            _("Unknown %(what)s: %(names)s.") % {"what": what, "names": ", ".join(missing)}
        )
    return [found[v] for v in values]


def _macros_named(names: list[str]) -> list[Macro]:
    macros = []
    for label in names:
        name, _sep, language = label.rpartition(" (")
        macro = Macro.objects.filter(name=name, language=language.rstrip(")")).first()
        if macro is None:
            raise SOPFileError(_("Unknown macro: %(name)s.") % {"name": label})
        macros.append(macro)
    return macros


@transaction.atomic
def sop_import(*, actor: User, raw: bytes) -> SOPVersion:
    """Read an SOP file. A new slug makes a new SOP; a known one becomes a new draft of
    it (refused while it has an open draft, so nobody's work is overwritten)."""
    _require(permissions.can_edit_sops(actor), _("Only admins and leads write SOPs."))
    data = parse_sop_file(raw)
    macros = _macros_named(data.macros)
    steps = _checked_steps(data.steps)
    sop = selectors.visible_sops(actor).filter(slug=data.slug).first() if data.slug else None
    if sop is None and data.slug and SOP.objects.filter(slug=data.slug).exists():
        raise SOPConflict(_("The slug “%(slug)s” is taken. Change it in the file, or leave it "
                            "out to make a new SOP.") % {"slug": data.slug})  # fmt: skip
    if sop is None:
        return sop_create(
            actor=actor, title=data.title, slug=data.slug, summary=data.summary,
            queues=_lookup(Queue, data.queues, "slug", _("queues")),
            vendors=_lookup(Vendor, data.vendors, "slug", _("vendors")),
            categories=data.categories, tags=data.tags, languages=data.languages,
            body=data.body, steps=steps, macros=macros, change_summary=data.change_summary,
        )  # fmt: skip
    if sop.versions.filter(state__in=[State.DRAFT, State.IN_REVIEW]).exists():
        raise SOPConflict(
            _("“%(title)s” already has an open draft. Finish or return it before importing a "
              "new one.") % {"title": sop.title}
        )  # fmt: skip
    version = sop_draft_start(actor=actor, sop=sop)
    version = sop_draft_save(
        actor=actor, version=version, expected_revision=version.revision, body=data.body,
        steps=steps, macros=macros,
        change_summary=data.change_summary or _("Imported from a file"),
        effective_on=data.effective_on, requires_acknowledgement=True,
    )  # fmt: skip
    _event(sop, actor, "version_imported", version=version, after={"version": version.number})
    return version


def sop_file_text(version: SOPVersion) -> str:
    """A version as a Markdown file with front matter (what sop_import reads back)."""
    return dump_sop_file(sop_file(version), version=version.number)
