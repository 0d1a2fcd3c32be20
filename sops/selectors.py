"""Every read of SOPs that is more than a get. Scoping starts here.

``visible_sops`` decides which SOPs a person may read: admins and in-house staff
every SOP, a vendor's people only those shared with their vendor, and only
editors (admins, leads) SOPs that have nothing published yet. Every page, the
ticket panel, search and export start from it.
"""

from __future__ import annotations

import difflib
import itertools
from dataclasses import dataclass, field
from typing import cast

from django.contrib.postgres.search import SearchQuery
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery
from django.http import Http404

from accounts.models import Role, Team, User
from accounts.selectors import visible_users
from core import cursors
from sops import permissions
from sops.models import SOP, ChecklistTick, SOPAcknowledgement, SOPEvent, SOPStep, SOPVersion
from tickets.models import Macro, Queue, Ticket
from tickets.selectors import visible_macros, visible_queue_ids

State = SOPVersion.State
LIBRARY_PAGE_SIZE = 25
PANEL_LIMIT = 10
MISSING_SHOWN = 300
PENDING_CACHE_SECONDS = 300
AUDIENCE_ROLES = (Role.AGENT, Role.LEAD)
# The banner's cache: one entry per person, valid while the generation is unchanged.
PENDING_GENERATION_KEY = "sops:pending-generation"


def pending_cache_key(user_id: int) -> str:
    return f"sops:pending:{user_id}"


# ------------------------------------------------------------------- scoping


def visible_sops(user: User) -> QuerySet[SOP]:
    sops = SOP.objects.all()
    if not user.is_authenticated or not user.is_active:
        return sops.none()
    if user.is_admin:
        return sops
    if user.team_id is None:
        return sops.none()
    in_house = Team.objects.filter(pk=user.team_id, vendor__isnull=True)
    shared = SOP.vendors.through.objects.filter(sop_id=OuterRef("pk"),
                                                vendor__teams=user.team_id)  # fmt: skip
    sops = sops.filter(Exists(in_house) | Exists(shared))
    if not permissions.can_edit_sops(user):
        sops = sops.filter(current_version__isnull=False)
    return sops


def get_sop_for(user: User, slug: str) -> SOP:
    sop = visible_sops(user).select_related("current_version", "owner").filter(slug=slug).first()
    if sop is None:
        raise Http404("No such SOP")
    return sop


def visible_versions(user: User, sop: SOP) -> QuerySet[SOPVersion]:
    """Every version stays readable; drafts and proposals only to editors."""
    versions = sop.versions.all()
    if not permissions.can_edit_sops(user):
        versions = versions.filter(state__in=[State.PUBLISHED, State.ARCHIVED])
    return versions


def get_version_for(user: User, sop: SOP, number: int) -> SOPVersion:
    version = (
        visible_versions(user, sop).select_related("author", "published_by")
        .filter(number=number).first()
    )  # fmt: skip
    if version is None:
        raise Http404("No such version")
    return version


def open_version(sop: SOP) -> SOPVersion | None:
    """The draft or proposal in review, if there is one (at most one)."""
    return (
        sop.versions.filter(state__in=[State.DRAFT, State.IN_REVIEW])
        .select_related("author").first()
    )  # fmt: skip


def version_steps(version: SOPVersion) -> list[SOPStep]:
    return list(version.steps.all())


def version_macros(version: SOPVersion) -> list[Macro]:
    return list(version.macros.all())


def editable_macros(user: User) -> QuerySet[Macro]:
    """Macros an editor may link to a version: active, and offered in every queue or
    limited to at least one queue the editor may see (``visible_queue_ids``)."""
    return visible_macros(user).order_by("name", "language")


def linked_macros_out_of_reach(user: User, version: SOPVersion) -> list[Macro]:
    """Macros linked to the version that the editor is not offered (limited to queues they
    cannot see, or inactive): a save from the editor keeps them as they are."""
    return list(version.macros.exclude(pk__in=editable_macros(user).values("pk")))


# ------------------------------------------------------------------- library


@dataclass
class LibraryFilters:
    q: str = ""
    queue: int | None = None
    category: str = ""
    tag: str = ""
    language: str = ""
    pending: bool = False
    drafts: bool = False


@dataclass
class LibraryPage:
    rows: list[SOP]
    next_cursor: str = ""
    filters: LibraryFilters = field(default_factory=LibraryFilters)


_CURSOR_SALT = "sops.library-cursor"


def _encode_cursor(title: str, pk: int) -> str:
    return cursors.encode([title, pk], salt=_CURSOR_SALT)


def _decode_cursor(cursor: str) -> tuple[str, int] | None:
    try:
        title, pk = cursors.decode(cursor, salt=_CURSOR_SALT) or []
        return str(title), int(pk)
    except (ValueError, TypeError):  # not a (title, pk) pair
        return None


def _applies_in_queue(queue_ids: list[int]) -> Q:
    links = SOP.queues.through.objects.filter(sop_id=OuterRef("pk"))
    return ~Exists(links) | Exists(links.filter(queue_id__in=queue_ids))


def _any_or(field: str, lookup: str, values: list[str]) -> Q:
    """An SOP condition: empty (applies to anything) or matching the values."""
    if not values:
        return Q(**{field: []})
    return Q(**{field: []}) | Q(**{f"{field}__{lookup}": values})


def _acknowledged_by(user: User) -> Exists:
    return Exists(SOPAcknowledgement.objects.filter(version_id=OuterRef("current_version_id"),
                                                    user_id=user.pk))  # fmt: skip


def library_page(user: User, filters: LibraryFilters, cursor: str = "") -> LibraryPage:
    """One page of the SOP library in title order (keyset), with search and filters.
    Two queries whatever the library's size."""
    sops = visible_sops(user).select_related("current_version").defer("search_vector")
    open_state = SOPVersion.objects.filter(
        sop_id=OuterRef("pk"), state__in=[State.DRAFT, State.IN_REVIEW]
    ).values("state")[:1]
    sops = sops.annotate(acknowledged=_acknowledged_by(user), open_state=Subquery(open_state))
    if filters.q:
        query = SearchQuery(filters.q, config="simple", search_type="websearch") | SearchQuery(
            filters.q, config="english", search_type="websearch")  # fmt: skip
        sops = sops.filter(search_vector=query)
    if filters.queue:
        sops = sops.filter(_applies_in_queue([filters.queue]))
    if filters.category:
        sops = sops.filter(categories__contains=[filters.category])
    if filters.tag:
        sops = sops.filter(tags__contains=[filters.tag])
    if filters.language:
        sops = sops.filter(Q(languages=[]) | Q(languages__contains=[filters.language]))
    if filters.pending:
        sops = sops.filter(current_version__requires_acknowledgement=True, acknowledged=False)
    if filters.drafts:
        sops = sops.filter(open_state__isnull=False)
    position = _decode_cursor(cursor) if cursor else None
    if position is not None:
        title, pk = position
        sops = sops.filter(Q(title__gt=title) | Q(title=title, pk__gt=pk))
    rows: list[SOP] = list(sops.order_by("title", "pk")[: LIBRARY_PAGE_SIZE + 1])
    next_cursor = ""
    if len(rows) > LIBRARY_PAGE_SIZE:
        rows = rows[:LIBRARY_PAGE_SIZE]
        next_cursor = _encode_cursor(rows[-1].title, rows[-1].pk)
    return LibraryPage(rows=rows, next_cursor=next_cursor, filters=filters)


def library_choices() -> dict[str, list[str]]:
    """Categories, tags and languages in use, for the library's filter lists. Counted in
    the database and cached for a minute (or until the next publish or settings change)."""
    key = f"sops:library-choices:{cache.get(PENDING_GENERATION_KEY, 0)}"
    choices = cache.get(key)
    if choices is None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT 'categories', unnest(categories) FROM sops_sop UNION "
                "SELECT 'tags', unnest(tags) FROM sops_sop UNION "
                "SELECT 'languages', unnest(languages) FROM sops_sop"
            )
            choices = {"categories": [], "tags": [], "languages": []}
            for kind, value in sorted(cursor.fetchall()):
                choices[kind].append(value)
        cache.set(key, choices, 60)
    return choices


# ------------------------------------------------------------- on a ticket


@dataclass
class StepRow:
    step: SOPStep
    tick: ChecklistTick | None


@dataclass
class TicketSOP:
    sop: SOP
    version: SOPVersion | None  # the SOP's current version
    steps: list[StepRow]
    macros: list[Macro]

    @property
    def done(self) -> int:
        return sum(1 for row in self.steps if row.tick)


@dataclass(frozen=True)
class _PublishedSOP:
    sop: SOP  # with current_version loaded
    queue_ids: frozenset[int]
    vendor_ids: frozenset[int]
    steps: tuple[SOPStep, ...]
    macro_ids: frozenset[int]


@dataclass(frozen=True)
class _PublishedSOPs:
    sops: tuple[_PublishedSOP, ...]  # by title, then id
    team_vendor: dict[int, int | None]  # team id → its vendor (None: in-house)


def _load_published_sops() -> _PublishedSOPs:
    sops = list(
        SOP.objects.filter(current_version__isnull=False)
        .select_related("current_version").defer("search_vector").order_by("title", "pk")
    )  # fmt: skip
    queues: dict[int, set[int]] = {}
    for sop_id, queue_id in SOP.queues.through.objects.values_list("sop_id", "queue_id"):
        queues.setdefault(sop_id, set()).add(queue_id)
    vendors: dict[int, set[int]] = {}
    for sop_id, vendor_id in SOP.vendors.through.objects.values_list("sop_id", "vendor_id"):
        vendors.setdefault(sop_id, set()).add(vendor_id)
    version_ids = [sop.current_version_id for sop in sops]
    steps = SOPStep.objects.filter(version_id__in=version_ids).order_by("version_id", "position")
    by_version: dict[int | None, tuple[SOPStep, ...]] = {
        k: tuple(g) for k, g in itertools.groupby(steps, key=lambda s: s.version_id)
    }
    macros: dict[int | None, set[int]] = {}
    links = SOPVersion.macros.through.objects.filter(sopversion_id__in=version_ids)
    for version_id, macro_id in links.values_list("sopversion_id", "macro_id"):
        macros.setdefault(version_id, set()).add(macro_id)
    return _PublishedSOPs(
        sops=tuple(
            _PublishedSOP(
                sop=sop,
                queue_ids=frozenset(queues.get(sop.pk, ())),
                vendor_ids=frozenset(vendors.get(sop.pk, ())),
                steps=by_version.get(sop.current_version_id, ()),
                macro_ids=frozenset(macros.get(sop.current_version_id, ())),
            )
            for sop in sops
        ),
        team_vendor=dict(Team.objects.values_list("id", "vendor_id")),
    )


def _applies(entry: _PublishedSOP, ticket: Ticket) -> bool:
    """Every condition the SOP sets must match; an empty condition matches anything."""
    sop = entry.sop
    return (
        (not entry.queue_ids or ticket.queue_id in entry.queue_ids)
        and (not sop.categories or ticket.category in sop.categories)
        and (not sop.tags or bool(set(sop.tags) & set(ticket.tags)))
        and (not sop.languages or ticket.language in sop.languages)
    )


def sops_for_ticket(user: User, ticket: Ticket, available_macros: list[Macro]) -> list[TicketSOP]:
    """The published SOPs that apply to this ticket (queue, category, tags, language;
    an empty condition matches anything) and that this person may read, with their
    checklists and this ticket's ticks. The published SOPs are cached per process until
    any of them changes (``config_cache``): two queries, the version and the ticks.
    The same rules as ``visible_sops`` decide who reads what."""
    from core import config_cache  # tickets builds on sops' models

    if not user.is_authenticated or not user.is_active:
        return []
    published = config_cache.cached("sops-published", _load_published_sops)
    if user.is_admin:
        vendor_id = None
    elif user.team_id is None or user.team_id not in published.team_vendor:
        return []
    else:
        vendor_id = published.team_vendor[user.team_id]
    entries = [
        entry for entry in published.sops
        if (vendor_id is None or vendor_id in entry.vendor_ids) and _applies(entry, ticket)
    ][:PANEL_LIMIT]  # fmt: skip
    if not entries:
        return []
    version_ids = [entry.sop.current_version_id for entry in entries]
    ticks = {
        tick.step_id: tick
        for tick in ChecklistTick.objects.filter(ticket=ticket, step__version_id__in=version_ids)
        .select_related("ticked_by")
    }  # fmt: skip
    return [
        TicketSOP(
            sop=entry.sop, version=entry.sop.current_version,
            steps=[StepRow(step, ticks.get(step.pk)) for step in entry.steps],
            macros=[m for m in available_macros if m.pk in entry.macro_ids],
        )
        for entry in entries
    ]  # fmt: skip


# ------------------------------------------------------- acknowledgements


@dataclass(frozen=True)
class PendingSOP:
    slug: str
    title: str
    version: int
    change_summary: str


def asked_to_acknowledge(user: User) -> bool:
    """Agents and leads acknowledge SOPs; admins write them."""
    return user.is_authenticated and user.role in AUDIENCE_ROLES and not user.is_admin


def _pending_query(user: User) -> list[PendingSOP]:
    if not asked_to_acknowledge(user):
        return []
    sops = (
        visible_sops(user)
        .filter(current_version__isnull=False, current_version__requires_acknowledgement=True)
        .filter(_any_or("languages", "overlap", user.languages))
        .filter(_applies_in_queue(visible_queue_ids(user)))
        .exclude(_acknowledged_by(user))
        .order_by("title", "pk")
        .values_list("slug", "title", "current_version__number",
                     "current_version__change_summary")[:20]
    )  # fmt: skip
    return [PendingSOP(*row) for row in sops]


def pending_acknowledgements(user: User) -> list[PendingSOP]:
    """Published SOP versions this person must read and acknowledge (the banner).

    Cached per person; a publish bumps a generation number that invalidates every
    cached list, and an acknowledgement clears the person's own."""
    if not user.is_authenticated:
        return []
    key = pending_cache_key(user.pk)
    cached = cache.get_many([PENDING_GENERATION_KEY, key])
    generation = cached.get(PENDING_GENERATION_KEY, 0)
    entry = cached.get(key)
    if entry is not None and entry[0] == generation:
        return [PendingSOP(*item) for item in entry[1]]
    items = _pending_query(user)
    cache.set(key, (generation, [tuple(vars(i).values()) for i in items]),
              PENDING_CACHE_SECONDS)  # fmt: skip
    return items


def audience_filter(sop: SOP) -> Q:
    """Which accounts must follow an SOP: active agents and leads who may read it, work
    one of its queues (any, if it names none) and speak one of its languages (any, if
    it names none). The same rules as visible_sops, visible_queues and the banner."""
    shared = SOP.vendors.through.objects.filter(
        sop_id=sop.pk, vendor_id=OuterRef("team__vendor_id")
    )
    # (Q combined with Exists is a Q; the stubs only know Q with Q.)
    condition = cast(Q, Q(is_active=True, role__in=AUDIENCE_ROLES, team__isnull=False) & (
        Q(team__vendor__isnull=True) | Exists(shared)
    ))  # fmt: skip
    queue_ids = list(sop.queues.values_list("pk", flat=True))
    if queue_ids:
        by_team = Queue.teams.through.objects.filter(queue_id__in=queue_ids,
                                                     team_id=OuterRef("team_id"))  # fmt: skip
        by_vendor = Queue.vendors.through.objects.filter(
            queue_id__in=queue_ids, vendor_id=OuterRef("team__vendor_id"))  # fmt: skip
        lead_vendor = Queue.teams.through.objects.filter(
            queue_id__in=queue_ids, team__vendor_id=OuterRef("team__vendor_id"))  # fmt: skip
        condition &= cast(
            Q, Exists(by_team) | Exists(by_vendor) | (Q(role=Role.LEAD) & Exists(lead_vendor))
        )
    if sop.languages:
        condition &= Q(languages__overlap=sop.languages)
    return condition


@dataclass
class CoverageGroup:
    team: str
    vendor: str
    total: int = 0
    acknowledged: int = 0

    @property
    def percent(self) -> int:
        return round(100 * self.acknowledged / self.total) if self.total else 100


@dataclass
class Coverage:
    version: SOPVersion
    groups: list[CoverageGroup]
    missing: list[User]  # the first MISSING_SHOWN, in vendor, team and name order
    total: int
    acknowledged: int

    @property
    def missing_total(self) -> int:
        return self.total - self.acknowledged

    @property
    def missing_more(self) -> int:
        return self.missing_total - len(self.missing)

    @property
    def percent(self) -> int:
        return round(100 * self.acknowledged / self.total) if self.total else 100


def acknowledgement_coverage(viewer: User, sop: SOP, version: SOPVersion) -> Coverage:
    """Who in the audience has acknowledged the version, per team and vendor, among the
    people the viewer may see: counted in the database (one query), and the first
    MISSING_SHOWN who have not (one more), however large the audience."""
    acked = SOPAcknowledgement.objects.filter(version=version, user_id=OuterRef("pk"))
    people = visible_users(viewer).filter(audience_filter(sop)).annotate(
        acked=Exists(acked))  # fmt: skip
    rows = (
        people.order_by()
        .values("team_id", "team__name", "team__vendor__name")
        .annotate(total=Count("pk"), done=Count("pk", filter=Q(acked=True)))
    )  # fmt: skip
    groups = sorted(
        (CoverageGroup(team=r["team__name"], vendor=r["team__vendor__name"] or "",
                       total=r["total"], acknowledged=r["done"]) for r in rows),
        key=lambda g: (g.vendor != "", g.vendor, g.team),
    )  # fmt: skip
    missing: list[User] = list(
        people.filter(acked=False).select_related("team__vendor")
        .order_by(F("team__vendor__name").asc(nulls_first=True), "team__name", "full_name", "pk")
        [:MISSING_SHOWN]
    )  # fmt: skip
    total = sum(g.total for g in groups)
    done = sum(g.acknowledged for g in groups)
    return Coverage(version=version, groups=groups, missing=missing, total=total,
                    acknowledged=done)  # fmt: skip


# ------------------------------------------------------------ history, diff


def sop_history(sop: SOP, limit: int = 200) -> list[SOPEvent]:
    return list(
        sop.events.select_related("actor", "version").order_by("-created_at", "-id")[:limit]
    )


@dataclass
class DiffRow:
    kind: str  # equal, replace, delete, insert
    old_no: int | None
    old: str
    new_no: int | None
    new: str


def _diff_lines(old: list[str], new: list[str]) -> list[DiffRow]:
    rows: list[DiffRow] = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        left, right = range(i1, i2), range(j1, j2)
        for i, j in itertools.zip_longest(left, right):
            rows.append(DiffRow(
                kind=tag if tag != "replace" else ("replace" if i is not None and j is not None
                                                   else ("delete" if j is None else "insert")),
                old_no=i + 1 if i is not None else None, old=old[i] if i is not None else "",
                new_no=j + 1 if j is not None else None, new=new[j] if j is not None else "",
            ))  # fmt: skip
    return rows


@dataclass
class VersionDiff:
    old: SOPVersion
    new: SOPVersion
    body: list[DiffRow]
    steps: list[DiffRow]
    changed: bool


def version_diff(old: SOPVersion, new: SOPVersion) -> VersionDiff:
    """Side by side, line by line: the procedure text and the checklist."""
    old_steps = [s.text for s in old.steps.all()]
    new_steps = [s.text for s in new.steps.all()]
    body = _diff_lines(old.body.splitlines(), new.body.splitlines())
    steps = _diff_lines(old_steps, new_steps)
    changed = any(r.kind != "equal" for r in itertools.chain(body, steps))
    return VersionDiff(old=old, new=new, body=body, steps=steps, changed=changed)
