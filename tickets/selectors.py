"""Every read of tickets that is more than a get. Scoping starts here.

``visible_queues`` decides which queues a person may work; ``visible_tickets``
and ``visible_requesters`` build on it, and every view, count, search, bulk
action and API endpoint starts from them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.core.cache import cache
from django.db import connection
from django.db.models import BooleanField, Case, Exists, OuterRef, Q, QuerySet, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from core import config_cache, cursors
from tickets import counts as queue_counts
from tickets import panels, restrictions
from tickets.models import (
    ACTIVE_STATUSES,
    DONE_STATUSES,
    WORKABLE_STATUSES,
    Attachment,
    Macro,
    Message,
    Queue,
    Requester,
    RequesterQuerySet,
    SavedView,
    SLAClock,
    Status,
    Ticket,
    TicketLink,
    urgency,
)
from tickets.search import SIMPLE, config_for

PAGE_SIZE = 50
RECENTLY_SOLVED_DAYS = 7
_CACHE_ATTR = "_helpdesk_visible_queue_ids"

# ------------------------------------------------------------------- scoping


def visible_queues(user: User) -> QuerySet[Queue]:
    """The queues this person may see and work.

    Admins: all. Everyone else: queues granted to their team, or to their
    team's vendor (a vendor grant covers all of that vendor's teams). Leads see
    what their team sees; a vendor's lead also sees every queue granted to any
    team of that vendor. A queue a restriction hides from this person (tickets.restrictions:
    clearance for child safety) is left out, for admins too.
    """
    queues = _granted_queues(user)
    hidden = restrictions.hidden_queue_ids(user)
    return queues.exclude(pk__in=hidden) if hidden else queues


def _granted_queues(user: User) -> QuerySet[Queue]:
    """The queues a person's role and team grant, before the restrictions."""
    queues = Queue.objects.all()
    if not user.is_authenticated or not user.is_active:
        return queues.none()
    if user.is_admin:
        return queues
    if user.team_id is None:
        return queues.none()
    # Expressed through the team id alone, so the check is one query (no team fetch).
    grant = Q(teams=user.team_id) | Q(vendors__teams=user.team_id)
    if user.is_lead:
        grant |= Q(teams__vendor__teams=user.team_id)
    return queues.filter(grant).distinct()


def visible_queue_list(user: User) -> list[Queue]:
    """visible_queues (id and name only), kept on the user for the request.

    What a person's role and team grant depends only on their role and team (read with
    them on every request), the queues' grants and the teams' vendors; that list is
    cached per process until one of those tables changes (core.config_cache). The
    restrictions, per person, are applied to it afterwards."""
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        if not user.is_authenticated or not user.is_active:
            cached = []
        else:
            scope = f"visible-queues:{user.is_admin}:{user.is_lead}:{user.team_id}"
            granted = config_cache.cached(scope, lambda: list(
                _granted_queues(user).only("id", "name").order_by("name")))  # fmt: skip
            hidden = restrictions.hidden_queue_ids(user)
            cached = [queue for queue in granted if queue.pk not in hidden]
        setattr(user, _CACHE_ATTR, cached)
    return cached


def visible_queue_ids(user: User) -> list[int]:
    return sorted(queue.pk for queue in visible_queue_list(user))


def forget_visible_queues(user: User) -> None:
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)
    restrictions.forget(user)


def visible_tickets(user: User) -> QuerySet[Ticket]:
    if user.is_authenticated and user.is_active and user.is_admin:
        hidden = restrictions.hidden_queue_ids(user)
        return Ticket.objects.exclude(queue_id__in=hidden) if hidden else Ticket.objects.all()
    return Ticket.objects.filter(queue_id__in=visible_queue_ids(user))


def visible_requesters(user: User) -> RequesterQuerySet:
    if user.is_authenticated and user.is_active and user.is_admin:
        return Requester.objects.all()
    return Requester.objects.filter(
        Exists(
            Ticket.objects.filter(requester=OuterRef("pk"), queue_id__in=visible_queue_ids(user))
        )
    )


def _ticket_lookup(user: User) -> QuerySet[Ticket]:
    return (
        visible_tickets(user)
        .select_related("requester", "queue", "assignee__team")
        .defer("search_vector")  # the search document can be kilobytes; pages never show it
    )


def _one(tickets: QuerySet[Ticket], reference: str) -> Ticket:
    try:
        return tickets.get(reference=str(reference).upper())
    except Ticket.DoesNotExist:
        raise Http404 from None


def get_ticket_for(user: User, reference: str, *, for_update: bool = False) -> Ticket:
    """The ticket if this person may see it; 404 otherwise (never 403: no existence leak)."""
    tickets = _ticket_lookup(user)
    if for_update:
        tickets = tickets.select_for_update(of=("self",))
    return _one(tickets, reference)


def visible_ticket_id(user: User, reference: str) -> int | None:
    """The ticket's id if this person may see it, else None: ``get_ticket_for``'s
    scoping without reading the ticket (a push stream only needs to know)."""
    return (visible_tickets(user).filter(reference=str(reference).upper())
            .values_list("pk", flat=True).first())  # fmt: skip


# Whether the ticket page's rarer parts have anything to show, in the ticket's own
# query: the links below, and the flags of the panels other apps register
# (tickets.panels). Plain SQL: ORM subqueries cost more to compile than the queries they
# save.
_PAGE_FLAGS: dict[str, tuple[str, list[object]]] = {
    "has_links_out": (
        "SELECT 1 FROM tickets_ticketlink WHERE from_ticket_id = tickets_ticket.id", []),
    "has_links_in": (
        "SELECT 1 FROM tickets_ticketlink WHERE to_ticket_id = tickets_ticket.id", []),
}  # fmt: skip


def get_ticket_for_page(user: User, reference: str) -> Ticket:
    """get_ticket_for, also telling whether the ticket page's rarer parts have anything
    to show: most tickets have no link, escalation or open incident, and those parts
    then skip their own queries (``known_empty``)."""
    flags = {
        name: RawSQL(f"EXISTS ({sql})", params, output_field=BooleanField())  # noqa: S611 - registered constant SQL
        for name, (sql, params) in {**_PAGE_FLAGS, **panels.flags()}.items()
    }  # fmt: skip
    return _one(_ticket_lookup(user).annotate(**flags), reference)


known_empty = panels.known_empty


def active_queue(*, pk: int | None = None, slug: str = "") -> Queue | None:
    """An active queue by id or slug, from the per-process cache of the active queues
    (valid until any queue changes; callers must not modify what they get). Intake
    routes every new ticket through it."""
    queues = config_cache.cached("active-queues",
                                 lambda: list(Queue.objects.filter(is_active=True)))  # fmt: skip
    return next((q for q in queues if (pk is not None and q.pk == pk) or (slug and q.slug == slug)),
                None)  # fmt: skip


def can_work_queue(user: User, queue_id: int) -> bool:
    return bool(user.is_authenticated and user.is_active) and (
        (user.is_admin and queue_id not in restrictions.hidden_queue_ids(user))
        or queue_id in visible_queue_ids(user)
    )


def assignable_agents(user: User, queue: Queue) -> QuerySet[User]:
    """People who may be assigned a ticket in this queue (and whom this person may see)."""
    from accounts.selectors import visible_users

    grant = Q(team__queues=queue) | Q(team__vendor__queues=queue) | Q(role="admin")
    return visible_users(user).filter(grant, is_active=True).distinct().order_by("full_name")


# ---------------------------------------------------------------- queue view

# "any": every ticket whatever its status, for lists reached from a number (analytics'
# drill-down narrows it by when tickets were created or solved).
VIEWS = ("mine", "unassigned", "pending", "all", "solved", "queue", "any")
# The orders an index serves on every active view (migration 0018_queue_sort_indexes).
# "Recently solved" keeps its own order (newest solved first) whatever the sort.
SORTS = ("urgency", "newest", "oldest", "updated")
# Every ticket whatever its status is ordered by an index on creation only.
ANY_SORTS = ("newest", "oldest")
# The statuses each view can hold: what its status filter offers.
VIEW_STATUSES: dict[str, tuple[str, ...]] = {
    "mine": ACTIVE_STATUSES, "unassigned": WORKABLE_STATUSES, "pending": (Status.PENDING,),
    "all": ACTIVE_STATUSES, "queue": ACTIVE_STATUSES, "solved": DONE_STATUSES,
    "any": tuple(Status.values),
}  # fmt: skip


@dataclass
class QueueFilters:
    view: str = "mine"
    queue: int | None = None
    statuses: list[str] = field(default_factory=list)
    priorities: list[int] = field(default_factory=list)
    language: str = ""
    channel: str = ""
    tag: str = ""
    assignee: str = ""  # "", "me", "none", or a user id
    sort: str = "urgency"
    # Reached from a number (analytics): the ticket's category, its assignee's team or
    # vendor now, and when it was created or last solved ([from, to)).
    category: str = ""
    team: int | None = None
    vendor: int | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    solved_from: datetime | None = None
    solved_to: datetime | None = None

    def as_query(self) -> str:
        """The filters as the queue page's query string, in a fixed order and without
        defaults: what a saved view keeps and what the page compares it with."""
        pairs: list[tuple[str, Any]] = [("view", self.view)]
        if self.queue:
            pairs.append(("queue", self.queue))
        pairs += [("status", status) for status in self.statuses]
        pairs += [("priority", priority) for priority in self.priorities]
        for name in ("language", "channel", "tag", "assignee", "category", "team", "vendor"):
            if getattr(self, name):
                pairs.append((name, getattr(self, name)))
        for name in ("created_from", "created_to", "solved_from", "solved_to"):
            if getattr(self, name) is not None:
                pairs.append((name, getattr(self, name).isoformat()))
        if self.sort != "urgency" and self.view != "solved":
            pairs.append(("sort", self.sort))
        return urlencode(pairs)


@dataclass
class Page:
    rows: list[Any]  # QueueRow each; Ticket objects when asked for full_rows (the API)
    next_cursor: str
    has_more: bool


_CURSOR_SALT = "tickets.queue-cursor"
# The columns a queue or search row shows (and the keyset cursor needs), read as
# tuples: building four model objects a row (ticket, requester, queue, assignee) cost
# more than the query itself.
_ROW_COLUMNS = (
    "id", "reference", "subject", "status", "priority", "channel", "language", "tags",
    "created_at", "solved_at", "sla_due_at", "sla_warn_at", "sla_paused", "sla_breached",
    "assignee_id",
    "requester__name", "requester__email", "requester__external_id",
    "requester__is_high_profile", "queue__name", "assignee__full_name", "assignee__email",
    "updated_at",
)  # fmt: skip


@dataclass(slots=True)
class QueueRow:
    """One ticket as a list shows it."""

    pk: int
    reference: str
    subject: str
    status: str
    priority: int
    channel: str
    language: str
    tags: list[str]
    created_at: Any
    solved_at: Any
    sla_due_at: Any
    sla_warn_at: Any
    sla_paused: bool
    sla_breached: bool
    assignee_id: int | None
    requester_name: str
    requester_email: str
    requester_external_id: str
    requester_is_high_profile: bool
    queue_name: str
    assignee_full_name: str | None
    assignee_email: str | None
    updated_at: Any

    @property
    def requester_label(self) -> str:
        return self.requester_name or self.requester_email or self.requester_external_id

    @property
    def assignee_short_name(self) -> str:
        if self.assignee_id is None:
            return ""
        name = self.assignee_full_name or ""
        return name.split(" ")[0] if name else (self.assignee_email or "")


def _rows(tickets: QuerySet[Ticket]) -> list[QueueRow]:
    return [QueueRow(*values) for values in tickets.values_list(*_ROW_COLUMNS)]


def _encode_cursor(values: list[Any]) -> str:
    return cursors.encode(values, salt=_CURSOR_SALT)


def _decode_cursor(cursor: str) -> list[Any] | None:
    return cursors.decode(cursor, salt=_CURSOR_SALT)


def _filtered(user: User, filters: QueueFilters) -> QuerySet[Ticket]:
    tickets = visible_tickets(user)
    view = filters.view
    if view == "mine":
        tickets = tickets.filter(assignee=user, status__in=ACTIVE_STATUSES)
    elif view == "unassigned":
        tickets = tickets.filter(assignee__isnull=True, status__in=WORKABLE_STATUSES)
    elif view == "pending":
        tickets = tickets.filter(status=Status.PENDING)
    elif view == "solved":
        tickets = tickets.filter(status__in=DONE_STATUSES)
        if filters.solved_from is None:  # recently solved, unless a range says otherwise
            since = timezone.now() - timedelta(days=RECENTLY_SOLVED_DAYS)
            tickets = tickets.filter(solved_at__gte=since)
    elif view == "any":
        pass
    else:  # "all" and "queue": every active ticket (a queue narrows below)
        tickets = tickets.filter(status__in=ACTIVE_STATUSES)
    if filters.queue:
        tickets = tickets.filter(queue_id=filters.queue)
    if filters.statuses:
        tickets = tickets.filter(status__in=filters.statuses)
    if filters.priorities:
        tickets = tickets.filter(priority__in=filters.priorities)
    if filters.language:
        tickets = tickets.filter(language=filters.language)
    if filters.channel:
        tickets = tickets.filter(channel=filters.channel)
    if filters.tag:
        tickets = tickets.filter(tags__contains=[filters.tag])
    if filters.assignee == "me":
        tickets = tickets.filter(assignee=user)
    elif filters.assignee == "none":
        tickets = tickets.filter(assignee__isnull=True)
    elif filters.assignee.isdigit():
        tickets = tickets.filter(assignee_id=int(filters.assignee))
    if filters.category:
        tickets = tickets.filter(category=filters.category)
    if filters.team:
        tickets = tickets.filter(assignee__team_id=filters.team)
    if filters.vendor:
        tickets = tickets.filter(assignee__team__vendor_id=filters.vendor)
    bounds = (("created_from", "created_at__gte"), ("created_to", "created_at__lt"),
              ("solved_from", "solved_at__gte"), ("solved_to", "solved_at__lt"))  # fmt: skip
    for bound, lookup in bounds:
        if getattr(filters, bound) is not None:
            tickets = tickets.filter(**{lookup: getattr(filters, bound)})
    return tickets


@dataclass(frozen=True)
class _Order:
    """One sort of the queue: its ORDER BY, and the row comparison that continues after
    a cursor over the same columns in the same direction (so a page is an index range
    scan from the cursor on, never an OFFSET)."""

    order_by: tuple[str, ...]
    row: str  # the row value and its comparison with the cursor, in SQL
    after: str  # the cursor's side of the comparison (parameters)
    kinds: tuple[str, ...]  # what each cursor value must be: "time", "due" or "int"

    def key(self, row: Any) -> list[Any]:
        values = []
        for kind, column in zip(self.kinds, self.order_by, strict=True):
            name = column.lstrip("-")
            value = getattr(row, "pk" if name == "id" else name)
            if kind == "due":
                value = value.isoformat() if value else "infinity"
            elif kind == "time":
                value = value.isoformat()
            values.append(value)
        return values


_T = "tickets_ticket."
_ORDERS = {
    # COALESCE(sla_due_at, 'infinity') is ordered by the indexed expression itself
    # (``urgency()``); selecting it would return 'infinity', which Python cannot hold.
    "urgency": _Order(
        ("sla_due_at", "priority", "created_at", "id"),
        f"(COALESCE({_T}sla_due_at, 'infinity'::timestamptz), {_T}priority, {_T}created_at, "
        f"{_T}id) >", "(%s::timestamptz, %s, %s::timestamptz, %s)", ("due", "int", "time", "int"),
    ),
    "newest": _Order(("-created_at", "-id"), f"({_T}created_at, {_T}id) <",
                     "(%s::timestamptz, %s)", ("time", "int")),
    "oldest": _Order(("created_at", "id"), f"({_T}created_at, {_T}id) >",
                     "(%s::timestamptz, %s)", ("time", "int")),
    "updated": _Order(("-updated_at", "-id"), f"({_T}updated_at, {_T}id) <",
                      "(%s::timestamptz, %s)", ("time", "int")),
    "solved": _Order(("-solved_at", "-id"), f"({_T}solved_at, {_T}id) <",
                     "(%s::timestamptz, %s)", ("time", "int")),
}  # fmt: skip


def _cursor_values(cursor: str, sort: str) -> list[Any] | None:
    """The cursor's key if it was made for this sort and holds what that sort needs;
    None (the first page) for any other: a cursor from another sort, view or version."""
    values = _decode_cursor(cursor)
    order = _ORDERS[sort]
    if not values or values[0] != sort or len(values) != len(order.kinds) + 1:
        return None
    for kind, value in zip(order.kinds, values[1:], strict=True):
        if kind == "int" and not (isinstance(value, int) and not isinstance(value, bool)):
            return None
        if kind in ("time", "due") and not (kind == "due" and value == "infinity"):
            try:
                datetime.fromisoformat(value)
            except (TypeError, ValueError):
                return None
    return values[1:]


def _sort_of(filters: QueueFilters) -> str:
    if filters.view == "solved":
        return "solved"
    return filters.sort if filters.sort in SORTS else "urgency"


def queue_tickets(user: User, filters: QueueFilters) -> QuerySet[Ticket]:
    """Every ticket of a queue view with its filters, in the view's order: what the
    queue's pages show one after another (exports read it whole)."""
    tickets = _filtered(user, filters)
    sort = _sort_of(filters)
    order = _ORDERS[sort]
    if sort == "urgency":
        return tickets.order_by(urgency().asc(), *order.order_by[1:])
    return tickets.order_by(*order.order_by)


def queue_page(
    user: User, filters: QueueFilters, cursor: str = "", *, full_rows: bool = False
) -> Page:
    """One page of a queue view in its sort (most urgent first by default);
    keyset-paginated, one query.

    By default only the columns a queue row shows (and the cursor needs) are
    loaded: at 50 rows a page, building whole objects for four tables cost more
    than the query. ``full_rows`` loads every field (the API returns them all).
    """
    tickets = queue_tickets(user, filters)
    if full_rows:
        tickets = tickets.select_related("requester", "queue", "assignee").defer("search_vector")
    sort = _sort_of(filters)
    order = _ORDERS[sort]
    after = _cursor_values(cursor, sort)
    if after is not None:
        tickets = tickets.filter(
            # Constant SQL from _ORDERS; the cursor's values are parameters.
            RawSQL(f"{order.row} {order.after}", after, output_field=BooleanField())  # noqa: S611
        )
    rows = list(tickets[: PAGE_SIZE + 1]) if full_rows else _rows(tickets[: PAGE_SIZE + 1])
    has_more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    next_cursor = _encode_cursor([sort, *order.key(rows[-1])]) if has_more and rows else ""
    return Page(rows=rows, next_cursor=next_cursor, has_more=has_more)


QUEUE_COUNTS_CACHE_KEY = "tickets:queue-counts:v1"
QUEUE_COUNTS_SECONDS = 10


def _queue_counts() -> dict[int, tuple[int, int, int, int]]:
    """Per queue: (active, unassigned workable, pending, recently solved), for all queues.

    Shared by every agent and cached for a few seconds: counting 100,000 active
    tickets for each agent's sidebar every 20 seconds would be most of the
    database's work. The sidebar refreshes on its own, so a few seconds of
    staleness is invisible.
    """
    cached = cache.get(QUEUE_COUNTS_CACHE_KEY)
    if cached is not None:
        fresh_until, counts = cached
        # Beat refreshes the counts every few seconds (refresh_queue_counts). Should
        # that stop, one request refreshes them and the rest keep answering from the
        # stale copy meanwhile (no stampede of identical 100,000-row counts).
        if timezone.now() < fresh_until or not cache.add(
            f"{QUEUE_COUNTS_CACHE_KEY}:refresh", 1, 30
        ):
            return counts
    return refresh_queue_counts()


def refresh_queue_counts() -> dict[int, tuple[int, int, int, int]]:
    """Read every queue's counts now and share them through the cache. The counts follow
    the ticket changes (tickets.counts), so this reads a few rows per queue, not the
    tickets."""
    now = timezone.now()
    counts = queue_counts.read(since=now - timedelta(days=RECENTLY_SOLVED_DAYS))
    fresh_until = now + timedelta(seconds=QUEUE_COUNTS_SECONDS)
    cache.set(QUEUE_COUNTS_CACHE_KEY, (fresh_until, counts), QUEUE_COUNTS_SECONDS * 6)
    cache.delete(f"{QUEUE_COUNTS_CACHE_KEY}:refresh")
    return counts


def sidebar_counts(user: User) -> dict[str, Any]:
    """Every count the queue sidebar shows: the shared per-queue counts (cached) and
    this person's own open tickets, one SQL round trip when the cache is warm."""
    per_queue = _queue_counts()
    queue_ids = [q.pk for q in visible_queue_list(user)]
    mine = Ticket.objects.filter(assignee=user, status__in=ACTIVE_STATUSES)
    if not user.is_admin or restrictions.hidden_queue_ids(user):
        mine = mine.filter(queue_id__in=queue_ids)
    counts: dict[str, Any] = {"mine": mine.count(), "unassigned": 0, "pending": 0, "all": 0,
                              "solved": 0, "queues": {}}  # fmt: skip
    for queue_id in queue_ids:
        active, unassigned, pending, solved = per_queue.get(queue_id, (0, 0, 0, 0))
        counts["all"] += active
        counts["unassigned"] += unassigned
        counts["pending"] += pending
        counts["solved"] += solved
        counts["queues"][queue_id] = active
    return counts


# ------------------------------------------------- queue filters and pickers

QUEUE_FACETS_CACHE_KEY = "tickets:queue-facets:v1"
QUEUE_FACETS_SECONDS = 600
POPULAR_TAGS = 30


@dataclass
class QueueFacets:
    """What the language and tag filters offer."""

    languages: list[str]
    tags: list[str]


def queue_facets(user: User) -> QueueFacets:
    """The languages, and the most used tags, of the active tickets in this person's
    visible queues. Read from counts per queue that every agent shares (no query when
    warm): finding them is a pass over every active ticket, too much for each request."""
    per_queue = _queue_facets()
    languages: set[str] = set()
    tags: Counter[str] = Counter()
    for queue in visible_queue_list(user):
        queue_languages, queue_tags = per_queue.get(queue.pk, ((), {}))
        languages.update(queue_languages)
        tags.update(queue_tags)
    popular = sorted(tags.items(), key=lambda item: (-item[1], item[0]))[:POPULAR_TAGS]
    return QueueFacets(languages=sorted(languages), tags=sorted(tag for tag, _uses in popular))


def _queue_facets() -> dict[int, tuple[list[str], dict[str, int]]]:
    cached = cache.get(QUEUE_FACETS_CACHE_KEY)
    if cached is not None:
        read_at, facets = cached
        # Stale: one request reads them again while the others answer from the old copy.
        fresh = (timezone.now() - read_at).total_seconds() < QUEUE_FACETS_SECONDS
        if fresh or not cache.add(f"{QUEUE_FACETS_CACHE_KEY}:refresh", 1, 60):
            return facets
    return refresh_queue_facets()


def refresh_queue_facets() -> dict[int, tuple[list[str], dict[str, int]]]:
    """Per queue: the languages of its active tickets, and its most used tags with their
    counts; one statement for every queue, shared through the cache."""
    now = timezone.now()
    with connection.cursor() as cursor:
        # One pass over the active tickets (a CTE read twice), not one per half.
        cursor.execute(
            """
            WITH active AS MATERIALIZED (
                SELECT queue_id, language, tags FROM tickets_ticket
                 WHERE status IN ('new', 'open', 'pending', 'on_hold'))
            SELECT queue_id, 'language', language, count(*)
              FROM active WHERE language <> '' GROUP BY queue_id, language
            UNION ALL
            SELECT queue_id, 'tag', tag, uses FROM (
                SELECT queue_id, tag, count(*) AS uses,
                       row_number() OVER (PARTITION BY queue_id ORDER BY count(*) DESC, tag)
                         AS rank
                  FROM active CROSS JOIN LATERAL unnest(tags) AS tag
                 GROUP BY queue_id, tag) ranked
             WHERE rank <= %s
            """,
            [POPULAR_TAGS],
        )
        facets: dict[int, tuple[list[str], dict[str, int]]] = {}
        for queue_id, kind, value, uses in cursor.fetchall():
            languages, tags = facets.setdefault(queue_id, ([], {}))
            if kind == "language":
                languages.append(value)
            else:
                tags[value] = uses
    cache.set(QUEUE_FACETS_CACHE_KEY, (now, facets), QUEUE_FACETS_SECONDS * 12)
    cache.delete(f"{QUEUE_FACETS_CACHE_KEY}:refresh")
    return facets


MAX_BULK_ASSIGNEES = 500


def bulk_assignees(user: User) -> QuerySet[User]:
    """Whom this person may pick to assign tickets to from the queue, besides themselves:
    the people they may see (``visible_users``) who may work at least one of their
    visible queues. Agents see only themselves: for them this is empty and no query."""
    from accounts.selectors import visible_users

    if not (user.is_authenticated and user.is_active and (user.is_admin or user.is_lead)):
        return User.objects.none()
    queue_ids = visible_queue_ids(user)
    by_team = Queue.teams.through.objects.filter(team_id=OuterRef("team_id"),
                                                 queue_id__in=queue_ids)  # fmt: skip
    by_vendor = Queue.vendors.through.objects.filter(vendor__teams=OuterRef("team_id"),
                                                     queue_id__in=queue_ids)  # fmt: skip
    return (
        visible_users(user)
        .filter(Exists(by_team) | Exists(by_vendor) | Q(role="admin"), is_active=True)
        .exclude(pk=user.pk)
        .only("id", "full_name", "email")
        .order_by("full_name", "id")
    )


MAX_SAVED_VIEWS_SHOWN = 100


def _saved_views(user: User, *, own: bool = False) -> QuerySet[SavedView]:
    if not user.is_authenticated or not user.is_active:
        return SavedView.objects.none()
    scope = Q(owner_id=user.pk)
    if user.team_id is not None and not own:
        # Shared while its lead is still an active lead (or admin) of the team.
        scope |= Q(shared_with_team_id=user.team_id, owner__team_id=user.team_id,
                   owner__is_active=True, owner__role__in=["lead", "admin"])  # fmt: skip
    return SavedView.objects.filter(scope)


def saved_views_for(user: User) -> list[SavedView]:
    """The saved queue views this person may open: their own, then those a lead of their
    team shared with it, by name. One query."""
    views = (
        _saved_views(user)
        .select_related("owner")
        .only("name", "query", "owner_id", "shared_with_team_id", "owner__full_name")
        .order_by(Case(When(owner_id=user.pk, then=0), default=1), "name", "id")
    )
    return list(views[:MAX_SAVED_VIEWS_SHOWN])


def get_saved_view_for(user: User, pk: int, *, own: bool = False) -> SavedView:
    """A saved view this person may open (``own``: one they saved); 404 otherwise."""
    view = _saved_views(user, own=own).filter(pk=pk).first()
    if view is None:
        raise Http404
    return view


# -------------------------------------------------------------- ticket page


def ticket_conversation(ticket: Ticket) -> list[Message]:
    """The messages, oldest first, each with its ``files`` (attachments). Most messages
    have none: the files are fetched only for those that do (one query, or none)."""
    has_files = Exists(Attachment.objects.filter(message=OuterRef("pk")))
    messages = list(
        ticket.messages.select_related("author", "origin_requester").annotate(has_files=has_files)
    )
    files: dict[int, list[Attachment]] = {m.pk: [] for m in messages if m.has_files}
    if files:
        for attachment in Attachment.objects.filter(message_id__in=files).order_by("id"):
            files[attachment.message_id].append(attachment)
    for message in messages:
        message.files = files.get(message.pk, [])
    return list(messages)


def messages_since(ticket: Ticket, seen: int, *, viewer: User) -> list[int]:
    """Ids of the ticket's messages newer than ``seen`` (the newest the viewer had on
    screen) that someone else wrote: a reply is not sent over them unread."""
    return list(
        ticket.messages.filter(pk__gt=seen)
        .exclude(author_id=viewer.pk)
        .order_by("id")
        .values_list("id", flat=True)
    )


def requester_other_tickets(user: User, ticket: Ticket, limit: int = 10) -> list[Ticket]:
    return list(
        visible_tickets(user)
        .filter(requester_id=ticket.requester_id)
        .exclude(pk=ticket.pk)
        .only("reference", "subject", "status", "created_at")
        .order_by("-created_at")[:limit]
    )


def ticket_sla_clocks(ticket: Ticket, limit: int = 12) -> list[SLAClock]:
    """The ticket's SLA clocks, live ones first, then the most recent."""
    return list(
        SLAClock.objects.filter(ticket=ticket)
        .select_related("policy")
        .order_by(
            Case(When(state__in=["running", "paused"], then=0), default=1),
            "-started_at", "-id",
        )[:limit]
    )  # fmt: skip


def ticket_timeline(ticket: Ticket) -> list:
    return list(ticket.events.select_related("actor").order_by("-created_at", "-id")[:200])


def linked_tickets(user: User, ticket: Ticket) -> list[Ticket]:
    if known_empty(ticket, "has_links_out", "has_links_in"):
        return []
    # A UNION of the two link directions, so the planner looks up a handful of ids
    # (an OR across two joins made it scan every visible ticket).
    linked_ids = (
        TicketLink.objects.filter(from_ticket=ticket)
        .values_list("to_ticket_id", flat=True)
        .union(TicketLink.objects.filter(to_ticket=ticket).values_list("from_ticket_id", flat=True))
    )
    return list(
        visible_tickets(user).filter(pk__in=linked_ids).only("reference", "subject", "status")
    )


def _active_macros() -> list[tuple[Macro, frozenset[int]]]:
    """Every active macro with the queues it is limited to (empty: every queue)."""
    macros = list(Macro.objects.filter(is_active=True).order_by("name", "language", "id"))
    limits: dict[int, set[int]] = {}
    links = Macro.queues.through.objects.filter(macro__is_active=True)
    for macro_id, queue_id in links.values_list("macro_id", "queue_id"):
        limits.setdefault(macro_id, set()).add(queue_id)
    return [(macro, frozenset(limits.get(macro.pk, ()))) for macro in macros]


def visible_macros(user: User) -> QuerySet[Macro]:
    """The one rule for which macros a person may use anywhere (choice lists outside a
    ticket: SOP links, incident updates): active, and offered in every queue or limited
    to at least one queue they may see."""
    macros = Macro.objects.filter(is_active=True)
    if user.is_authenticated and user.is_active and user.is_admin:
        return macros
    limits = Macro.queues.through.objects.filter(macro_id=OuterRef("pk"))
    mine = limits.filter(queue_id__in=visible_queue_ids(user))
    return macros.filter(~Exists(limits) | Exists(mine))


def macros_for(ticket: Ticket) -> list[Macro]:
    """Active macros offered on this ticket: those for its queue or for every queue.
    Read from the per-process configuration cache (macros change rarely)."""
    macros = config_cache.cached("active-macros", _active_macros)
    return [macro for macro, queues in macros if not queues or ticket.queue_id in queues]


# -------------------------------------------------------------------- search


@dataclass
class SearchResult:
    rows: list[Any]  # as Page.rows
    exact: bool


def search_configs_for(user: User) -> list[str]:
    """Exact words ('simple'), English, and the stemmers of the languages this person
    speaks: the tickets they answer are indexed in those. Fewer configurations make
    every row's match cheaper than ORing all of PostgreSQL's."""
    return sorted({SIMPLE, "english", *(config_for(code) for code in user.languages)})


def _combined_tsquery(text: str, configs: list[str]) -> str:
    """The text parsed by each configuration, duplicates removed, ORed into one tsquery.

    Deduplicating matters: eight copies of the same lexeme ORed together make the
    planner overestimate matches and walk the whole table for a rare word.
    """
    parsed = " UNION ".join(
        f"SELECT websearch_to_tsquery('{config}', %s)::text AS q" for config in configs
    )
    with connection.cursor() as cursor:
        # Only constant configuration names are formatted in; the text is a parameter.
        cursor.execute(f"SELECT DISTINCT q FROM ({parsed}) parsed WHERE q <> ''",  # noqa: S608
                       [text] * len(configs))  # fmt: skip
        parts = sorted(row[0] for row in cursor.fetchall())
    return " | ".join(f"({part})" for part in parts)


def requester_ids_with_email(email: str) -> list[int]:
    """Every requester with this address, in one query: the canonical record (through its
    unique index) and the provisional identities people typed for it (few, through the
    provisional_of index). Scope them with visible_requesters or visible_tickets."""
    provisional = (
        Requester.objects.filter(provisional_of__isnull=False)
        .alias(email_lower=Lower("email"))
        .filter(email_lower=email.strip().lower())
        .values_list("id", flat=True)
    )
    canonical = Requester.objects.with_email(email).values_list("id", flat=True)
    return list(canonical.union(provisional, all=True))


def requester_ids_with_external_id(external_id: str) -> list[int]:
    """Every requester with this external user id, canonical and provisional, in one
    query that each half serves from an index (the unique index holds canonical records
    only: a lookup without that condition would read the whole table)."""
    named = Requester.objects.filter(external_id=external_id).exclude(external_id="")
    canonical = named.filter(provisional_of__isnull=True).values_list("id", flat=True)
    provisional = named.filter(provisional_of__isnull=False).values_list("id", flat=True)
    return list(canonical.union(provisional, all=True))


def _looks_like_reference(text: str) -> bool:
    return len(text) == 10 and text.isalnum()


def search_tickets(
    user: User, text: str, limit: int = PAGE_SIZE, *, full_rows: bool = False
) -> SearchResult:
    """Exact lookups (reference, requester email, external user id) first, then full text."""
    text = text.strip()[:200]
    if not text:
        return SearchResult(rows=[], exact=False)
    base = visible_tickets(user)
    if full_rows:
        base = base.select_related("requester", "queue", "assignee").defer("search_vector")

    def fetch(tickets: QuerySet[Ticket]) -> list:
        return list(tickets) if full_rows else _rows(tickets)

    if _looks_like_reference(text):
        rows = fetch(base.filter(reference=text.upper()))
        if rows:
            return SearchResult(rows=rows, exact=True)
    if "@" in text and " " not in text:
        # The ids first, as a list: given a subquery, the planner walks every ticket
        # newest-first instead of looking up this requester's few tickets.
        requester_ids = requester_ids_with_email(text)
        rows = fetch(base.filter(requester_id__in=requester_ids).order_by("-created_at")[:limit])
        return SearchResult(rows=rows, exact=True)
    if text.lower().startswith("user:"):
        external = text[5:].strip()
        if not external:
            # "user:" alone names nobody (an empty id would match every requester without one).
            return SearchResult(rows=[], exact=False)
        requester_ids = requester_ids_with_external_id(external)
        rows = fetch(base.filter(requester_id__in=requester_ids).order_by("-created_at")[:limit])
        return SearchResult(rows=rows, exact=True)
    query = _combined_tsquery(text, search_configs_for(user))
    if not query:
        return SearchResult(rows=[], exact=False)
    matches = RawSQL(
        "tickets_ticket.search_vector @@ %s::tsquery", [query], output_field=BooleanField()
    )
    rows = fetch(base.filter(matches).order_by("-created_at", "-id")[:limit])
    return SearchResult(rows=rows, exact=False)


# ------------------------------------------------------------------- email


@dataclass(frozen=True)
class EmailRouting:
    """Mailboxes and routing rules, read for every inbound and outbound email and cached
    per process until any mailbox, rule or queue changes (``config_cache``)."""

    # address → (queue id, acknowledge new requests)
    mailboxes: dict[str, tuple[int, bool]] = field(default_factory=dict)
    # queue id → the From of its mail
    senders: dict[int, str] = field(default_factory=dict)
    # (field, lower-cased text, queue id, category), in order
    routes: list[tuple[str, str, int, str]] = field(default_factory=list)


def email_routing() -> EmailRouting:
    return config_cache.cached("email-routing", _load_email_routing)


def _load_email_routing() -> EmailRouting:
    from tickets.models import EmailRoute, Mailbox
    from tickets.outbox.mail import sender  # keeps the selector import light

    routing = EmailRouting()
    for box in Mailbox.objects.filter(is_active=True, queue__is_active=True).select_related(
        "queue"
    ).order_by("id"):  # fmt: skip
        routing.mailboxes[box.address.lower()] = (box.queue_id, box.send_acknowledgement)
        routing.senders.setdefault(box.queue_id, sender(box.from_name or box.queue.name,
                                                        box.address))  # fmt: skip
    routing.routes.extend(
        (route.field, route.contains.lower(), route.queue_id, route.category)
        for route in EmailRoute.objects.filter(is_active=True, queue__is_active=True)
    )
    return routing


def queue_sender(queue_id: int | None) -> str:
    """The From address of mail about a ticket in this queue ("" = the default)."""
    return email_routing().senders.get(queue_id, "") if queue_id else ""
