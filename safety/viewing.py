"""Protected viewing: which tickets are shown protected, at what level, and the writes
that change it (marking a ticket, the organisation's minimum, an agent's own setting,
the word lists).

A ticket is protected when its harm category (``categories.for_ticket``: its mark's,
else its report's) is ``sensitive``. The ticket page's own query tells whether it has a
mark (the panel's ``flag``), so an unmarked ticket outside a sensitive category costs
no query here. Its files are shown as their derivatives (``derivatives.py``) with a
content warning and a "Reveal" button; the original is served only with a short-lived
token bound to the person and the file (``original_token``), made by the reveal, which
records an exposure (``exposure.reveal_start``). Listed words are masked
(``masking.py``) when the effective protection says so.

Every write records its audit ``SafetyEvent``, and on a ticket its timeline event, in
the same transaction."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models.signals import post_save
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from core import config_cache
from core.errors import Conflict, Forbidden, Invalid, NotFound
from safety import categories, masking
from safety.models import (
    Derivative,
    HarmCategory,
    Level,
    MaskWord,
    Protection,
    SafetyEvent,
    TicketEventKind,
    TicketMark,
)
from tickets import events, panels, remote_images, shields
from tickets.models import Attachment, Ticket

if TYPE_CHECKING:
    from django.http import HttpRequest

    from accounts.models import User
    from tickets.models import Message

logger = logging.getLogger(__name__)

FLAG: tuple[str, str, list] = (
    "safety_marked",
    "SELECT 1 FROM safety_ticketmark m WHERE m.ticket_id = tickets_ticket.id",
    [],
)
ORIGINAL_SALT = "safety.original"
ORIGINAL_MAX_AGE = 60  # seconds a reveal's link to the original stays good
TOKEN_PARAM = "safety"  # noqa: S105 - the query parameter's name
ATTACHMENT_TEMPLATE = "safety/partials/protected_attachment.html"


class ViewingError(Invalid):
    """A protection setting or a mark the rules refuse; ``field`` names the form field."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class ViewingForbidden(Forbidden, ViewingError):
    pass


class ViewingConflict(Conflict, ViewingError):
    pass


class ViewingNotFound(NotFound, ViewingError):
    pass


# ------------------------------------------------------------------- protection


@dataclass(frozen=True)
class Effective:
    """What a person sees on a protected ticket: the higher of the organisation's level
    and their own, masking if either asks for it, the shorter re-blur."""

    level: int
    mask_words: bool
    reblur_seconds: int


def _protections() -> dict[int | None, Protection]:
    return config_cache.cached(
        "safety-protections", lambda: {p.user_id: p for p in Protection.objects.all()}
    )


def organisation_protection() -> Protection:
    """The organisation's row (a default one, unsaved, on a flushed database)."""
    return _protections().get(None) or Protection(user=None)


def own_protection(user: User) -> Protection | None:
    return _protections().get(user.pk)


def effective_protection(user: User) -> Effective:
    org = organisation_protection()
    own = own_protection(user)
    if own is None:
        return Effective(org.level, org.mask_words, org.reblur_seconds)
    return Effective(
        level=max(org.level, own.level),
        mask_words=org.mask_words or own.mask_words,
        reblur_seconds=max(1, min(org.reblur_seconds, own.reblur_seconds)),
    )


def check_own(org: Protection, *, level: int, mask_words: bool, reblur_seconds: int) -> None:
    """An agent may raise the organisation's minimum, never lower it."""
    if level < org.level:
        raise ViewingError(
            _("The organisation's minimum is “%(level)s”: choose it or a stronger one.")
            % {"level": org.get_level_display()},
            field="level",
        )
    if org.mask_words and not mask_words:
        raise ViewingError(
            _("The organisation masks listed words for everyone."), field="mask_words"
        )
    if reblur_seconds > org.reblur_seconds:
        raise ViewingError(
            _("At most %(seconds)s seconds (the organisation's setting); shorter is fine.")
            % {"seconds": org.reblur_seconds},
            field="reblur_seconds",
        )


@transaction.atomic
def protection_set_own(
    *, actor: User, level: int, mask_words: bool, reblur_seconds: int
) -> Protection:
    org = organisation_protection()
    check_own(org, level=level, mask_words=mask_words, reblur_seconds=reblur_seconds)
    protection, _created = Protection.objects.update_or_create(
        user=actor,
        defaults={"level": level, "mask_words": mask_words, "reblur_seconds": reblur_seconds},
    )
    SafetyEvent.objects.create(
        kind="protection_changed", actor=actor, subject=actor,
        data={"level": level, "mask_words": mask_words, "reblur_seconds": reblur_seconds},
    )  # fmt: skip
    return protection


@transaction.atomic
def protection_set_organisation(
    *, actor: User, level: int, mask_words: bool, reblur_seconds: int
) -> Protection:
    if not actor.is_admin:
        raise ViewingForbidden(_("Only an administrator sets the organisation's protection."))
    if level not in Level.values:
        raise ViewingError(_("Choose one of the levels offered."), field="level")
    if not 1 <= reblur_seconds <= 600:
        raise ViewingError(_("Between 1 and 600 seconds."), field="reblur_seconds")
    protection = Protection.objects.select_for_update().filter(user__isnull=True).first()
    if protection is None:
        protection = Protection(user=None)
    before = {"level": protection.level, "mask_words": protection.mask_words,
              "reblur_seconds": protection.reblur_seconds}  # fmt: skip
    protection.level, protection.mask_words = level, mask_words
    protection.reblur_seconds = reblur_seconds
    protection.save()
    SafetyEvent.objects.create(
        kind="organisation_protection_changed", actor=actor,
        data={"before": before, "level": level, "mask_words": mask_words,
              "reblur_seconds": reblur_seconds},
    )  # fmt: skip
    return protection


# ------------------------------------------------------------------- word lists


def mask_words() -> dict[str, list[str]]:
    """The listed words by language (per-process cache)."""

    def load() -> dict[str, list[str]]:
        words: dict[str, list[str]] = {}
        for language, word in MaskWord.objects.values_list("language", "word"):
            words.setdefault(language.lower(), []).append(word)
        return words

    return config_cache.cached("safety-mask-words", load)


def words_for(language: str) -> list[str]:
    """The words masked in a ticket in this language: its own list and its base
    language's ("pt-br" and "pt"); every list when the ticket's language is unknown."""
    listed = mask_words()
    if not language:
        return [word for words in listed.values() for word in words]
    language = language.lower()
    base = language.split("-")[0]
    return listed.get(language, []) + (listed.get(base, []) if base != language else [])


@transaction.atomic
def mask_word_add(*, actor: User, language: str, word: str) -> MaskWord:
    if not actor.is_admin:
        raise ViewingForbidden(_("Only an administrator edits the word lists."))
    word = " ".join(word.split())
    if not word:
        raise ViewingError(_("Enter a word or phrase."), field="word")
    language = language.strip().lower()
    if MaskWord.objects.filter(language=language, word__iexact=word).exists():
        raise ViewingConflict(_("That word is already listed for this language."), field="word")
    try:
        with transaction.atomic():
            item = MaskWord.objects.create(language=language, word=word, added_by=actor)
    except IntegrityError as exc:
        raise ViewingConflict(
            _("That word is already listed for this language."), field="word"
        ) from exc
    SafetyEvent.objects.create(kind="mask_word_added", actor=actor,
                               data={"language": language, "word": word})  # fmt: skip
    return item


@transaction.atomic
def mask_word_remove(*, actor: User, pk: int) -> None:
    if not actor.is_admin:
        raise ViewingForbidden(_("Only an administrator edits the word lists."))
    item = MaskWord.objects.select_for_update().filter(pk=pk).first()
    if item is None:
        raise ViewingNotFound(_("That word is no longer listed."))
    SafetyEvent.objects.create(kind="mask_word_removed", actor=actor,
                               data={"language": item.language, "word": item.word})  # fmt: skip
    item.delete()


# -------------------------------------------------------------------- marking


def markable_categories() -> list[HarmCategory]:
    """The categories a ticket may be marked with: the active sensitive ones."""
    return [c for c in categories.active() if c.sensitive]


@dataclass(frozen=True)
class Marked:
    mark: TicketMark
    moved_to: Any = None  # the clearance queue the ticket went to, when it moved


@transaction.atomic
def ticket_mark(*, actor: User, ticket: Ticket, category: HarmCategory) -> Marked:
    """Mark a ticket sensitive in a category (or change its mark's category). A category
    that needs clearance takes the ticket to its queue."""
    from tickets.services import ticket_move_queue

    if not category.sensitive or not category.is_active:
        raise ViewingError(_("Choose one of the categories offered."), field="category")
    ticket = Ticket.objects.select_for_update(of=("self",)).get(pk=ticket.pk)
    mark = TicketMark.objects.filter(ticket=ticket).first()
    before = {"category": mark.category_id} if mark else None
    if mark is not None and mark.category_id == category.pk:
        return Marked(mark)
    if mark is None:
        mark = TicketMark.objects.create(ticket=ticket, category=category, marked_by=actor)
    else:
        mark.category, mark.marked_by = category, actor
        mark.save(update_fields=["category", "marked_by"])
    events.record(ticket, actor, TicketEventKind.MARKED_SENSITIVE, before,
                  {"category": category.name, "category_key": category.key})  # fmt: skip
    SafetyEvent.objects.create(
        kind="ticket_marked",
        actor=actor,
        data={"ticket": ticket.reference, "category": category.key},
    )
    moved_to = None
    queue = category.queue if category.requires_clearance else None
    if queue is not None and ticket.queue_id != queue.pk:
        # The system moves it: the marker may not work the cleared queue themselves.
        ticket_move_queue(actor=None, ticket=ticket, queue=queue)
        moved_to = queue
    transaction.on_commit(partial(hand_over, ticket_id=ticket.pk))
    return Marked(mark, moved_to)


@transaction.atomic
def ticket_unmark(*, actor: User, ticket: Ticket) -> None:
    ticket = Ticket.objects.select_for_update(of=("self",)).get(pk=ticket.pk)
    mark = TicketMark.objects.filter(ticket=ticket).first()
    if mark is None:
        raise ViewingConflict(_("This ticket is not marked sensitive."))
    category = categories.by_id().get(mark.category_id)
    mark.delete()
    events.record(ticket, actor, TicketEventKind.UNMARKED_SENSITIVE,
                  {"category": category.name if category else ""}, None)  # fmt: skip
    SafetyEvent.objects.create(kind="ticket_unmarked", actor=actor,
                               data={"ticket": ticket.reference,
                                     "category": category.key if category else ""})  # fmt: skip


# --------------------------------------------------------- what a page shows


@dataclass(frozen=True)
class View:
    """A protected ticket as one person sees it."""

    category: HarmCategory | None  # the sensitive category, None when not protected
    mark: TicketMark | None
    effective: Effective | None

    @property
    def protected(self) -> bool:
        return self.category is not None


def _any_sensitive() -> bool:
    return any(c.sensitive for c in categories.all_categories())


def view_for(request: HttpRequest, ticket: Ticket) -> View:
    """The ticket's protection for this request's person, once per request: no query
    for a ticket without a mark (the page's flag says so) when no category is sensitive
    or the ticket's is not."""
    memo: dict[int, View] = request.__dict__.setdefault("_safety_views", {})
    if ticket.pk in memo:
        return memo[ticket.pk]
    mark: TicketMark | None = None
    if not panels.known_empty(ticket, FLAG[0]):
        mark = TicketMark.objects.filter(ticket_id=ticket.pk).first()
    category = None
    if mark is not None or _any_sensitive():
        category = categories.for_ticket(ticket, mark=mark)
        if category is not None and not category.sensitive:
            category = None
    user: Any = request.user
    effective = effective_protection(user) if category is not None else None
    memo[ticket.pk] = View(category, mark, effective)
    return memo[ticket.pk]


def ticket_category(ticket: Ticket) -> HarmCategory | None:
    """The ticket's sensitive category (a query for its mark), or None."""
    if not _any_sensitive():
        return None
    category = categories.for_ticket(ticket)
    return category if category is not None and category.sensitive else None


def derivatives_for(ticket: Ticket) -> dict[int, Derivative]:
    return {
        d.attachment_id: d
        for d in Derivative.objects.filter(attachment__message__ticket_id=ticket.pk).only(
            "id", "attachment_id", "state", "width", "height"
        )
    }


def original_token(user: User, attachment: Attachment) -> str:
    return signing.dumps([user.pk, attachment.pk], salt=ORIGINAL_SALT, compress=False)


def original_token_valid(token: str, user: Any, attachment: Attachment) -> bool:
    try:
        user_id, attachment_id = signing.loads(token, salt=ORIGINAL_SALT, max_age=ORIGINAL_MAX_AGE)
    except (signing.BadSignature, ValueError, TypeError):
        return False
    return bool(user.is_authenticated and user_id == user.pk and attachment_id == attachment.pk)


def original_url(user: User, attachment: Attachment) -> str:
    token = original_token(user, attachment)
    return f"{reverse('tickets:attachment', args=[attachment.pk])}?inline=1&{TOKEN_PARAM}={token}"


def original_guard(request: HttpRequest, item: Attachment) -> bool:
    """The attachment route's question: may this request have the file's bytes? Not
    for a protected ticket without a reveal's token. A query only when some category is
    sensitive or the ticket is marked (one, for the ticket's category and mark)."""
    token = request.GET.get(TOKEN_PARAM)
    if token and original_token_valid(token, request.user, item):
        return True
    if not _any_sensitive():
        return True
    row = (
        Ticket.objects.filter(pk=item.message.ticket_id)
        .values_list("category", "safety_mark__category_id")
        .first()
    )
    if row is None:
        return True
    category_key, mark_category = row
    if mark_category is not None:
        category = categories.by_id().get(mark_category)
    else:
        category = categories.by_key().get(category_key) if category_key else None
    return category is None or not category.sensitive


def body_for(message: Message, *, words: re.Pattern[str] | None) -> SafeString:
    """A message's body with the listed words masked, and a "Reveal text" button when
    any was."""
    if message.body_html:
        rendered = remote_images.render(message.body_html, load=False)
        masked = masking.mask_html(rendered.html, words)
    else:
        masked = masking.mask_text(message.body, words)
    if not masked.count:
        return masked.html
    url = reverse("safety:reveal_text", args=[message.pk])
    return mark_safe(  # noqa: S308 - masked.html is safe; the rest is escaped
        f'<div data-safety-text data-url="{escape(url)}">{masked.html}</div>'
        f'<button type="button" class="btn btn-sm btn-outline-secondary mt-2" '
        f'data-safety-reveal-text data-end-url="{escape(reverse("safety:reveal_end"))}">'
        f"{escape(_('Reveal text'))}</button>"
        # A break prompt past the soft cap, or the hard cap's refusal, is read out here.
        '<p class="small mt-1 mb-0" role="status" data-safety-text-status></p>'
    )


class _Masker:
    """``Shield.body``: a callable the ticket template tests (``{% if shield.body %}``)
    without calling it."""

    do_not_call_in_templates = True

    def __init__(self, words: re.Pattern[str]) -> None:
        self.words = words

    def __call__(self, message: Message) -> SafeString:
        return body_for(message, words=self.words)


def shield_for(request: HttpRequest, ticket: Ticket) -> shields.Shield | None:
    view = view_for(request, ticket)
    if view.category is None or view.effective is None:
        return None
    body = None
    if view.effective.mask_words:
        words = masking.pattern(words_for(ticket.language))
        if words is not None:
            body = _Masker(words)
    return shields.Shield(
        name="safety",
        attachment_template=ATTACHMENT_TEMPLATE,
        body=body,
        context={
            "category": view.category,
            "effective": view.effective,
            "derivatives": derivatives_for(ticket),
        },
    )


# ---------------------------------------------------------------- derivatives


def hand_over(*, ticket_id: int | None = None, message_id: int | None = None,
              attachment_id: int | None = None) -> None:  # fmt: skip
    """After commit: the new files' derivatives to a worker (the sweep asks again when
    the broker is down)."""
    from safety import derivatives
    from safety.tasks import derive_attachments

    if attachment_id is not None:
        ids = derivatives.pending_for(attachment_id=attachment_id)
    else:
        ids = derivatives.pending_for(ticket_id=ticket_id, message_id=message_id)
    if not ids:
        return
    try:
        derive_attachments.delay(ids)
    except Exception:  # the broker is down: sweep_derivatives asks again
        logger.warning("Previews for %s not handed over", ids, exc_info=True)


def on_attachment_saved(sender: Any, instance: Attachment, created: bool, **kwargs: Any) -> None:
    """A new file, from any intake path (some attach after the ticket hooks have run):
    its preview is asked for after commit. A message without files costs nothing."""
    if created:
        transaction.on_commit(partial(hand_over, attachment_id=instance.pk))


# ---------------------------------------------------------------------- panel


def ticket_panel(page: panels.PanelPage) -> dict[str, Any]:
    from safety.viewing_forms import MarkForm

    view = view_for(page.request, page.ticket)
    initial = {"category": view.mark.category_id} if view.mark else None
    return {
        "safety_view": view,
        "safety_mark_form": MarkForm(initial=initial, categories=markable_categories()),
    }


def connect() -> None:
    shields.register("safety", shield_for)
    shields.register_original_guard("safety", original_guard)
    post_save.connect(on_attachment_saved, sender=Attachment,
                      dispatch_uid="safety-attachment-preview")  # fmt: skip
    panels.register(
        panels.TicketPanel(
            name="safety-viewing",
            template="safety/viewing/ticket_panel.html",
            context=ticket_panel,
            slot="sidebar",
            order=15,
            flag=FLAG,
        )
    )
