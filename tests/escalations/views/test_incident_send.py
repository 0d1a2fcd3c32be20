"""Sending an incident update to every linked requester: a preview first (the text per
language, how many requesters, which tickets are skipped and why), then a confirmation.
Link-search results start unticked, and ``user:`` with no id finds nothing."""

import html
import re

import pytest

from escalations import selectors
from escalations.models import IncidentUpdate
from tests.test_route_scoping import _path
from tests.tickets import factories as tf
from tickets.models import Message, Notification, Ticket
from tickets.selectors import search_tickets

pytestmark = pytest.mark.django_db


@pytest.fixture
def linked(desk):
    """An in-house incident linking, in the in-house queue: two English tickets of one
    requester, a Spanish one, a closed one and one whose requester has no email; and a
    Northwind ticket the in-house lead cannot answer. A macro with a Spanish variant."""
    from escalations import services

    queue, lead = desk["queues"]["inhouse"], desk["people"]["inhouse_lead"]
    anna = tf.requester(name="Anna")
    tickets = {
        "en": tf.ticket(queue, subject="Login broken", requester_=anna),
        "en_again": tf.ticket(queue, subject="Still broken", requester_=anna),
        "es": tf.ticket(queue, subject="No puedo entrar", language="es"),
        "closed": tf.ticket(queue, subject="Old login problem"),
        "no_email": tf.ticket(queue, subject="In-app report",
                              requester_=tf.requester(email="", external_id="u-77")),
        "north": tf.ticket(desk["queues"]["north"], subject="Northwind customer"),
    }  # fmt: skip
    Ticket.objects.filter(pk=tickets["closed"].pk).update(status="closed")
    macro = tf.macro(name="Outage fixed", body="Fixed, {requester_name}.")
    tf.macro(name="Outage fixed", language="es", body="Arreglado, {requester_name}.")
    incident = services.incident_open(actor=desk["people"]["admin"], title="Login outage",
                                      severity=3, tickets=list(tickets.values()))  # fmt: skip
    return {**desk, "lead": lead, "tickets": tickets, "macro": macro, "incident": incident}


def _update(client, incident, **data):  # type: ignore[no-untyped-def]
    return client.post(_path("escalations:incident_update", pk=incident.pk),
                       {"status": "investigating", "notify_requesters": "on", **data})  # fmt: skip


def _nothing_sent(data) -> bool:  # type: ignore[no-untyped-def]
    tickets = data["tickets"].values()
    return not (Message.objects.filter(ticket__in=tickets, author_type="agent").exists()
                or Notification.objects.filter(kind="requester_reply").exists())  # fmt: skip


def test_sending_to_every_requester_shows_a_preview_first_and_sends_nothing(linked, client):
    client.force_login(linked["lead"])
    updates = IncidentUpdate.objects.count()
    response = _update(client, linked["incident"], macro=linked["macro"].pk)
    assert response.status_code == 200
    body = html.unescape(response.content.decode())
    assert 'data-testid="send-preview"' in body
    assert "It will go to 2 requesters." in body
    assert "3 linked tickets get it as a public reply." in body
    # The text per language variant.
    assert "The macro in “en”, on 2 tickets:" in body and "Fixed, {requester_name}." in body
    assert "The macro in “es”, on 1 ticket:" in body and "Arreglado, {requester_name}." in body
    # Skipped, and why; the ticket the lead cannot see is counted, not named.
    skipped = re.findall(r'data-testid="send-skipped-ticket">(.*?)</li>', body, re.S)
    reasons = {t.reference: None for t in linked["tickets"].values()}
    for item in skipped:
        reference = re.search(r">(\w{10})</a>", item).group(1)
        reasons[reference] = item.rsplit(": ", 1)[1]
    t = linked["tickets"]
    assert reasons[t["closed"].reference] == "The ticket is closed."
    assert reasons[t["no_email"].reference] == "The requester has no email address."
    assert len(skipped) == 2
    assert "1 linked ticket is in a queue you do not work: you cannot answer it." in body
    assert t["north"].reference not in body and "Northwind customer" not in body
    assert IncidentUpdate.objects.count() == updates and _nothing_sent(linked)


def test_confirming_the_preview_sends_what_it_showed(linked, client):
    client.force_login(linked["lead"])
    preview = _update(client, linked["incident"], macro=linked["macro"].pk).content.decode()
    plan = re.search(r'name="plan" value="(\w+)"', preview).group(1)
    response = _update(client, linked["incident"], macro=linked["macro"].pk, confirm="1",
                       plan=plan)  # fmt: skip
    assert response.status_code == 302
    update = IncidentUpdate.objects.order_by("-id").first()
    assert update.sent_to == 3
    t = linked["tickets"]
    replies = {m.ticket_id: m.body for m in Message.objects.filter(author_type="agent")}
    assert replies == {t["en"].pk: "Fixed, Anna.", t["en_again"].pk: "Fixed, Anna.",
                       t["es"].pk: replies[t["es"].pk]}  # fmt: skip
    assert replies[t["es"].pk].startswith("Arreglado")


def test_a_preview_gone_stale_is_shown_again_and_nothing_is_sent(linked, client):
    from escalations import services

    client.force_login(linked["lead"])
    preview = _update(client, linked["incident"], body="We are on it.").content.decode()
    plan = re.search(r'name="plan" value="(\w+)"', preview).group(1)
    newcomer = tf.ticket(linked["queues"]["inhouse"], subject="Me too")
    services.incident_add_tickets(actor=linked["lead"], incident=linked["incident"],
                                  tickets=[newcomer])  # fmt: skip
    response = _update(client, linked["incident"], body="We are on it.", confirm="1", plan=plan)
    assert response.status_code == 409
    body = html.unescape(response.content.decode())
    assert "The linked tickets changed since the preview" in body
    assert "It will go to 3 requesters." in body
    assert _nothing_sent(linked)


def test_the_update_text_is_previewed_when_no_macro_is_chosen(linked):
    plan = selectors.incident_reply_plan(linked["lead"], linked["incident"], body="Fixed now.")
    assert [(v.language, v.body, v.tickets) for v in plan.variants] == [("", "Fixed now.", 3)]
    assert plan.requesters == 2 and plan.hidden == 1


def test_an_update_without_text_or_macro_is_named_next_to_the_field(linked, client):
    client.force_login(linked["lead"])
    response = _update(client, linked["incident"], body="")
    assert response.status_code == 400
    assert 'id="id_body_error"' in response.content.decode()


def test_link_search_results_start_unticked(linked, client):
    client.force_login(linked["lead"])
    response = client.get(_path("escalations:incident", pk=linked["incident"].pk),
                          {"q": "broken"})  # fmt: skip
    results = re.search(r'data-testid="incident-search-results">(.*?)</form>',
                        response.content.decode(), re.S).group(1)  # fmt: skip
    boxes = re.findall(r'<input class="form-check-input" type="checkbox"[^>]*>', results)
    assert len(boxes) == 2
    assert not [box for box in boxes if "checked" in box]


@pytest.mark.parametrize("text", ["user:", "USER:  ", "user:\t"])
def test_user_with_no_id_finds_nothing(linked, client, text):
    assert search_tickets(linked["lead"], text).rows == []
    assert search_tickets(linked["lead"], "user:u-77").rows != []
    client.force_login(linked["lead"])
    response = client.get(_path("escalations:incident", pk=linked["incident"].pk), {"q": text})
    assert "Nothing matches." in response.content.decode()
