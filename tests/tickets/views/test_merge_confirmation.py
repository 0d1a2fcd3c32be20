"""The ticket page's merge form asks for confirmation every time: it names both tickets,
and when their requesters differ, both people, with a box that must be ticked."""

import pytest

from tests.tickets import factories as tf
from tickets import services
from tickets.models import Message, Status, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def tickets(desk, client):
    client.force_login(desk["people"]["north_agent"])
    queue = desk["queues"]["north"]
    ana = tf.requester(name="Ana Target", email="ana@example.org")
    ben = tf.requester(name="Ben Source", email="ben@example.com")
    return {
        **desk,
        "ana": ana,
        "ben": ben,
        "ana_ticket": tf.ticket(queue, subject="Card declined", requester_=ana),
        "ana_again": tf.ticket(queue, subject="Card declined again", requester_=ana),
        "ben_ticket": tf.ticket(
            queue, subject="Refund missing", body="Ben's private words", requester_=ben
        ),  # fmt: skip
    }


def _merged(ticket: Ticket) -> bool:
    ticket.refresh_from_db()
    return ticket.merged_into_id is not None


def test_merging_first_shows_a_confirmation_naming_both_tickets(tickets, client):
    source, target = tickets["ana_again"], tickets["ana_ticket"]
    response = client.post(f"/tickets/{source.reference}/merge/", {"reference": target.reference})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="merge-confirm"' in page
    for ticket in (source, target):
        assert ticket.reference in page and ticket.subject in page
    assert 'name="confirm" value="1"' in page
    assert 'name="different_requesters"' not in page  # one person: no extra box
    assert "<script>" not in page
    assert not _merged(source)
    response = client.post(f"/tickets/{source.reference}/merge/",
                           {"reference": target.reference, "confirm": "1"})  # fmt: skip
    assert response.status_code == 302 and response["Location"] == f"/tickets/{target.reference}/"
    assert _merged(source)


def test_different_requesters_are_named_and_must_be_confirmed_with_the_box(tickets, client):
    source, target = tickets["ben_ticket"], tickets["ana_ticket"]
    url = f"/tickets/{source.reference}/merge/"
    page = client.post(url, {"reference": target.reference}).content.decode()
    assert "Ben Source" in page and "ben@example.com" in page
    assert "Ana Target" in page and "ana@example.org" in page
    assert 'name="different_requesters"' in page and "required" in page
    assert not _merged(source)

    # Confirming without ticking the box merges nothing and says why, next to the box.
    response = client.post(url, {"reference": target.reference, "confirm": "1"})
    assert response.status_code == 400
    assert 'id="different-requesters-error"' in response.content.decode()
    assert not _merged(source)

    response = client.post(url, {"reference": target.reference, "confirm": "1",
                                 "different_requesters": "1"})  # fmt: skip
    assert response.status_code == 302
    assert _merged(source)
    moved = Message.objects.get(body="Ben's private words")
    assert (moved.ticket_id, moved.origin_requester_id) == (target.pk, tickets["ben"].pk)


def test_the_agents_page_labels_a_moved_message_with_its_own_requester(tickets, client):
    source, target = tickets["ben_ticket"], tickets["ana_ticket"]
    services.ticket_merge(actor=tickets["people"]["north_agent"], source=source, target=target,
                          confirm_different_requesters=True)  # fmt: skip
    page = client.get(f"/tickets/{target.reference}/").content.decode()
    conversation = page.split('data-testid="conversation"', 1)[1].split("</ol>", 1)[0]
    ben_card = next(card for card in conversation.split("<li")
                    if "Ben&#x27;s private words" in card)  # fmt: skip
    assert "Ben Source" in ben_card and "Ana Target" not in ben_card


def test_a_closed_target_is_refused_after_confirming(tickets, client):
    source, target = tickets["ana_again"], tickets["ana_ticket"]
    services.ticket_change_status(actor=None, ticket=target, status=Status.SOLVED)
    services.ticket_change_status(actor=None, ticket=target, status=Status.CLOSED)
    confirmed = {"reference": target.reference, "confirm": "1"}
    response = client.post(f"/tickets/{source.reference}/merge/", confirmed, follow=True)
    assert "is closed" in response.content.decode()
    assert not _merged(source)
