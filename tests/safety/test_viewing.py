"""Protected viewing's rules: levels (an agent raises, never lowers), word lists and
masking, marking a ticket, and the token that lets the original through."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from safety import masking, viewing
from safety.models import HarmCategory, Level, Protection, SafetyEvent, TicketMark
from tests import factories
from tests.tickets import factories as tf
from tickets.events import Event
from tickets.models import Attachment, Message

pytestmark = pytest.mark.django_db


@pytest.fixture
def gore(desk):
    return HarmCategory.objects.create(key="gore-test", name="Gore", sensitive=True,
                                       graphic=True, order=1)  # fmt: skip


def _org(**fields):  # type: ignore[no-untyped-def]
    Protection.objects.update_or_create(user=None, defaults=fields)


# ------------------------------------------------------------------- levels


def test_the_effective_level_is_the_higher_and_the_reblur_the_shorter(desk):
    agent = desk["people"]["inhouse_agent"]
    _org(level=Level.BLUR, mask_words=False, reblur_seconds=10)
    assert viewing.effective_protection(agent) == viewing.Effective(Level.BLUR, False, 10)
    viewing.protection_set_own(actor=agent, level=Level.HIDDEN, mask_words=True,
                               reblur_seconds=4)  # fmt: skip
    assert viewing.effective_protection(agent) == viewing.Effective(Level.HIDDEN, True, 4)
    assert SafetyEvent.objects.filter(kind="protection_changed", subject=agent).exists()


@pytest.mark.parametrize(
    ("level", "mask", "seconds", "field"),
    [(Level.GREY, True, 10, "level"), (Level.BLUR, False, 10, "mask_words"),
     (Level.BLUR, True, 30, "reblur_seconds")],
)  # fmt: skip
def test_an_agent_cannot_lower_the_organisations_minimum(desk, level, mask, seconds, field):
    _org(level=Level.BLUR, mask_words=True, reblur_seconds=10)
    with pytest.raises(viewing.ViewingError) as refused:
        viewing.protection_set_own(actor=desk["people"]["inhouse_agent"], level=level,
                                   mask_words=mask, reblur_seconds=seconds)  # fmt: skip
    assert refused.value.field == field
    assert not Protection.objects.filter(user=desk["people"]["inhouse_agent"]).exists()


def test_only_an_admin_sets_the_organisations_protection(desk):
    with pytest.raises(viewing.ViewingForbidden):
        viewing.protection_set_organisation(actor=desk["people"]["inhouse_lead"],
                                            level=Level.GREY, mask_words=False,
                                            reblur_seconds=5)  # fmt: skip
    viewing.protection_set_organisation(actor=desk["people"]["admin"], level=Level.HIDDEN,
                                        mask_words=True, reblur_seconds=5)  # fmt: skip
    assert viewing.organisation_protection().level == Level.HIDDEN
    assert SafetyEvent.objects.filter(kind="organisation_protection_changed").count() == 1


# ------------------------------------------------------------------- masking


def test_whole_words_are_masked_in_any_case_and_script():
    words = masking.pattern(["kill", "Äpfel", "убить", "bad word"])
    masked = masking.mask_text("KILL skill killer äpfel убить bad  word <b>", words)
    assert masked.count == 4
    text = str(masked.html)
    assert "skill killer" in text and "&lt;b&gt;" in text
    assert "KILL" not in text and "äpfel" not in text and "убить" not in text
    assert text.count(masking.MASK) == 4


def test_html_bodies_have_only_their_text_masked():
    words = masking.pattern(["class", "kill"])
    masked = masking.mask_html('<p class="kill">Kill &amp; <a href="/kill">class</a></p>', words)
    assert masked.count == 2
    assert str(masked.html).startswith('<p class="kill">')
    assert 'href="/kill"' in str(masked.html) and "&amp;" in str(masked.html)
    assert ">Kill" not in str(masked.html) and ">class<" not in str(masked.html)


def test_no_words_mask_nothing():
    assert masking.pattern([" ", ""]) is None
    assert masking.mask_text("a\nb", None).html == "a<br>b"


def test_word_lists_per_language(desk):
    admin = desk["people"]["admin"]
    viewing.mask_word_add(actor=admin, language="pt", word="  palavra   feia ")
    viewing.mask_word_add(actor=admin, language="pt-br", word="outra")
    viewing.mask_word_add(actor=admin, language="en", word="nasty")
    with pytest.raises(viewing.ViewingConflict):
        viewing.mask_word_add(actor=admin, language="pt", word="Palavra feia")
    with pytest.raises(viewing.ViewingForbidden):
        viewing.mask_word_add(actor=desk["people"]["inhouse_lead"], language="en", word="x")
    assert sorted(viewing.words_for("pt-BR")) == ["outra", "palavra feia"]
    assert viewing.words_for("pt") == ["palavra feia"]
    assert sorted(viewing.words_for("")) == ["nasty", "outra", "palavra feia"]
    word = viewing.mask_word_add(actor=admin, language="de", word="böse")
    viewing.mask_word_remove(actor=admin, pk=word.pk)
    assert viewing.words_for("de") == []
    assert SafetyEvent.objects.filter(kind="mask_word_removed").count() == 1


# ------------------------------------------------------------------- marking


def test_marking_and_unmarking_write_their_events(desk, gore):
    agent = desk["people"]["inhouse_agent"]
    ticket = tf.ticket(desk["queues"]["inhouse"])
    assert viewing.ticket_category(ticket) is None
    marked = viewing.ticket_mark(actor=agent, ticket=ticket, category=gore)
    assert marked.moved_to is None and viewing.ticket_category(ticket) == gore
    events = Event.objects.filter(ticket=ticket)
    assert events.filter(kind="safety_marked_sensitive").count() == 1
    viewing.ticket_unmark(actor=agent, ticket=ticket)
    assert not TicketMark.objects.filter(ticket=ticket).exists()
    assert events.filter(kind="safety_unmarked_sensitive").count() == 1
    assert SafetyEvent.objects.filter(kind__in=["ticket_marked", "ticket_unmarked"]).count() == 2
    with pytest.raises(viewing.ViewingConflict):
        viewing.ticket_unmark(actor=agent, ticket=ticket)


def test_a_category_that_is_not_sensitive_cannot_mark(desk):
    plain = HarmCategory.objects.create(key="spam-test", name="Spam", sensitive=False)
    ticket = tf.ticket(desk["queues"]["inhouse"])
    with pytest.raises(viewing.ViewingError):
        viewing.ticket_mark(actor=desk["people"]["inhouse_agent"], ticket=ticket, category=plain)


def test_a_category_needing_clearance_moves_the_ticket_to_its_queue(desk):
    cleared = tf.queue("Child safety (test)")
    category = HarmCategory.objects.create(key="cs-test", name="Child safety", sensitive=True,
                                           requires_clearance=True, queue=cleared)  # fmt: skip
    ticket = tf.ticket(desk["queues"]["inhouse"])
    marked = viewing.ticket_mark(actor=desk["people"]["inhouse_agent"], ticket=ticket,
                                 category=category)  # fmt: skip
    ticket.refresh_from_db()
    assert marked.moved_to == cleared and ticket.queue_id == cleared.pk


# ------------------------------------------------------------------- tokens


def _attachment(ticket) -> Attachment:  # type: ignore[no-untyped-def]
    message = Message.objects.filter(ticket=ticket).first()
    return Attachment.objects.create(message=message, file="x.png", filename="x.png",
                                     content_type="image/png", size=3)  # fmt: skip


def test_the_originals_token_is_bound_to_the_person_and_the_file_and_expires(desk):
    agent, other = desk["people"]["inhouse_agent"], desk["people"]["inhouse_lead"]
    ticket = tf.ticket(desk["queues"]["inhouse"])
    item, second = _attachment(ticket), _attachment(ticket)
    token = viewing.original_token(agent, item)
    assert viewing.original_token_valid(token, agent, item)
    assert not viewing.original_token_valid(token, other, item)
    assert not viewing.original_token_valid(token, agent, second)
    assert not viewing.original_token_valid(token + "x", agent, item)
    later = timezone.now() + timedelta(seconds=viewing.ORIGINAL_MAX_AGE + 1)
    with time_machine.travel(later):
        assert not viewing.original_token_valid(token, agent, item)


def test_an_anonymous_person_has_no_valid_token(desk):
    from django.contrib.auth.models import AnonymousUser

    ticket = tf.ticket(desk["queues"]["inhouse"])
    item = _attachment(ticket)
    token = viewing.original_token(factories.user(), item)
    assert not viewing.original_token_valid(token, AnonymousUser(), item)
