import pytest
from django.urls import reverse

from tests.tickets import factories as tf
from tickets import services
from tickets.models import Event, Message, Notification, Status

pytestmark = pytest.mark.django_db


@pytest.fixture
def north(desk, client):
    client.force_login(desk["people"]["north_agent"])
    return {**desk, "ticket": tf.ticket(desk["queues"]["north"], subject="Double charge")}


@pytest.mark.parametrize("count", [5, 120])
def test_the_queue_page_makes_a_fixed_number_of_queries(
    desk, client, count, django_assert_max_num_queries
):
    client.force_login(desk["people"]["inhouse_agent"])
    for _ in range(count):
        tf.ticket(desk["queues"]["inhouse"])
    with django_assert_max_num_queries(8):
        response = client.get("/tickets/?view=all")
    assert response.status_code == 200
    assert response.content.decode().count('data-testid="ticket-row"') == min(count, 50)


def test_a_plain_ticket_page_makes_at_most_eight_queries(
    north, client, django_assert_max_num_queries
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    ticket = north["ticket"]
    agent = north["people"]["north_agent"]
    for i in range(12):
        files = [SimpleUploadedFile(f"log{i}.txt", b"trace")] if i % 4 == 0 else []
        services.ticket_reply(actor=agent, ticket=ticket, body=f"reply {i}", files=files)
    client.get(f"/tickets/{ticket.reference}/")
    # No escalation, incident or link: those panels make no query at all. The files
    # of the three messages that have any come in one query.
    with django_assert_max_num_queries(8):
        response = client.get(f"/tickets/{ticket.reference}/")
    body = response.content.decode()
    assert [f"log{i}.txt" in body for i in range(12)] == [i % 4 == 0 for i in range(12)]
    assert 'data-testid="ticket-escalation"' not in body


def test_the_queue_answers_htmx_with_the_table_only_and_the_url_keeps_filters(north, client):
    response = client.get("/tickets/?view=all&language=en", headers={"HX-Request": "true"})
    body = response.content.decode()
    assert "<html" not in body and 'data-testid="ticket-row"' in body
    assert "HX-Request" in response["Vary"]
    assert "language=en" in body  # the poll and paging links keep the filters


def test_the_ticket_page_makes_a_fixed_number_of_queries(
    north, client, django_assert_max_num_queries
):
    from sops.services import sop_step_tick
    from tests.sops import factories as sf

    ticket = north["ticket"]
    agent = north["people"]["north_agent"]
    for i in range(15):
        services.ticket_reply(actor=agent, ticket=ticket, body=f"reply {i}", internal=i % 2 == 0)
    macro = tf.macro()
    for n in range(3):
        sop = sf.published(north["people"]["admin"], title=f"SOP {n}", macros=[macro],
                           vendors=[north["vendors"]["north"]])  # fmt: skip
        sop_step_tick(actor=agent, ticket=ticket, step=sop.current_version.steps.first(),
                      done=True)  # fmt: skip
    from escalations import services as esc
    from tests.escalations import factories as ef

    for n, team in enumerate(["north2", "inhouse", "atlas"]):
        reason = ef.reason(north["teams"][team], name=f"Help ({n})")
        escalation = esc.escalation_raise(actor=agent, ticket=ticket, reason=reason,
                                          severity=3, summary=f"help {n}")  # fmt: skip
        esc.escalation_note_add(actor=agent, escalation=escalation, body="more detail")
    esc.incident_open(actor=north["people"]["admin"], title="Outage", severity=3,
                      tickets=[ticket])  # fmt: skip
    client.get(f"/tickets/{ticket.reference}/")  # warms the per-minute caches
    # Session and user, the configuration version, the ticket (with whether it has
    # escalations, open incidents and links), conversation, SLA clocks, other tickets
    # and this ticket's SOP ticks (seven); escalations and their notes, open incidents,
    # links (four). Queues, macros, the published SOPs and escalation reasons come from
    # the per-process cache, the SOPs waiting for acknowledgement from Redis: however
    # long the conversation and however many SOPs and escalations.
    with django_assert_max_num_queries(11):
        response = client.get(f"/tickets/{ticket.reference}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert body.count('data-kind="internal"') == 8 and "Internal note" in body
    assert body.count('data-testid="ticket-sop"') == 3 and body.count(" checked") == 3
    assert body.count('data-testid="ticket-escalation"') == 3
    assert body.count('data-testid="ticket-escalation-note"') == 3
    assert 'data-testid="incident-banner"' in body


def test_sidebar_counts_render(north, client):
    body = client.get("/tickets/counts/?current=all").content.decode()
    assert 'data-count="unassigned">1<' in body


def test_reply_and_internal_note_from_the_ticket_page(north, client):
    ticket = north["ticket"]
    url = f"/tickets/{ticket.reference}/reply/"
    assert client.post(url, {"body": "We are checking.", "status": "pending"}).status_code == 302
    assert client.post(url, {"body": "Fraud pattern", "internal": "on"}).status_code == 302
    kinds = list(ticket.messages.order_by("id").values_list("kind", flat=True))
    assert kinds == ["public", "public", "internal"]
    ticket.refresh_from_db()
    assert ticket.status == Status.PENDING
    assert Notification.objects.count() == 1


def test_an_empty_reply_shows_the_error_next_to_the_field(north, client):
    response = client.post(f"/tickets/{north['ticket'].reference}/reply/", {"body": ""})
    assert response.status_code == 400
    assert 'id="id_body_error"' in response.content.decode()


def test_macro_preview_fills_the_composer_for_editing(north, client):
    macro = tf.macro(body="Hello {requester_name}", set_status="solved")
    ticket = north["ticket"]
    response = client.post(f"/tickets/{ticket.reference}/macro-preview/", {"macro": macro.pk})
    body = response.content.decode()
    assert f"Hello {ticket.requester.name}" in body and "<html" not in body
    assert not Message.objects.filter(body__startswith="Hello").exists()  # nothing sent yet


def test_update_form_changes_each_property_through_the_services(north, client):
    ticket = north["ticket"]
    response = client.post(f"/tickets/{ticket.reference}/update/", {
        "status": "open", "priority": 1, "queue": north["queues"]["north"].pk,
        "assignee": "me", "tags": "refund, VIP customer",
    })  # fmt: skip
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority, ticket.tags) == ("open", 1, ["refund", "vip-customer"])
    assert ticket.assignee == north["people"]["north_agent"]
    kinds = set(Event.objects.filter(ticket=ticket).values_list("kind", flat=True))
    assert {"assigned", "priority_changed", "tags_changed"} <= kinds


def test_bulk_assign_and_status_apply_to_visible_tickets_only(north, client):
    mine = [tf.ticket(north["queues"]["north"]) for _ in range(3)]
    foreign = tf.ticket(north["queues"]["atlas"])
    refs = [t.reference for t in mine] + [foreign.reference]
    response = client.post("/tickets/bulk/", {"refs": refs, "action": "assign", "value": "me"})
    assert response.status_code == 302
    agent = north["people"]["north_agent"]
    assert all(t.__class__.objects.get(pk=t.pk).assignee == agent for t in mine)
    foreign.refresh_from_db()
    assert foreign.assignee is None
    client.post("/tickets/bulk/", {"refs": refs[:2], "action": "status", "value": "solved"})
    assert {t.__class__.objects.get(pk=t.pk).status for t in mine[:2]} == {"solved"}


def test_next_ticket_button_opens_the_claimed_ticket(north, client):
    response = client.post("/tickets/next/")
    assert response.status_code == 302
    assert response["Location"] == f"/tickets/{north['ticket'].reference}/"
    again = client.post("/tickets/next/", follow=True)
    assert "No unassigned ticket is waiting" in again.content.decode()


def test_next_ticket_is_a_post(north, client):
    assert client.get("/tickets/next/").status_code == 405


def test_merge_and_link_from_the_ticket_page(north, client):
    a = north["ticket"]
    b = tf.ticket(north["queues"]["north"], requester_=a.requester)
    c = tf.ticket(north["queues"]["north"])
    assert (
        client.post(f"/tickets/{a.reference}/link/", {"reference": c.reference}).status_code == 302
    )
    # Merging asks first (tests/tickets/views/test_merge_confirmation.py), then merges.
    asked = client.post(f"/tickets/{b.reference}/merge/", {"reference": a.reference})
    assert asked.status_code == 200 and 'data-testid="merge-confirm"' in asked.content.decode()
    response = client.post(f"/tickets/{b.reference}/merge/",
                           {"reference": a.reference, "confirm": "1"})  # fmt: skip
    assert response["Location"] == f"/tickets/{a.reference}/"
    b.refresh_from_db()
    assert b.merged_into == a
    # The merged ticket's page leads to where it went.
    assert client.get(f"/tickets/{b.reference}/")["Location"] == f"/tickets/{a.reference}/"


def test_merging_into_an_unseen_ticket_says_so(north, client):
    foreign = tf.ticket(north["queues"]["atlas"])
    response = client.post(f"/tickets/{north['ticket'].reference}/merge/",
                           {"reference": foreign.reference}, follow=True)  # fmt: skip
    assert "that you can see" in response.content.decode()


def test_timeline_lists_the_audit_events(north, client):
    body = client.get(f"/tickets/{north['ticket'].reference}/timeline/").content.decode()
    assert 'data-kind="created"' in body


def test_presence_shows_who_else_is_viewing_or_replying(north, client, django_user_model):
    from django.test import Client

    other = Client()
    other.force_login(north["people"]["north_lead"])
    url = f"/tickets/{north['ticket'].reference}/presence/"
    other.post(url, {"state": "replying"})
    body = client.post(url, {"state": "viewing"}).content.decode()
    assert "is replying" in body
    assert north["people"]["north_lead"].get_short_name() in body


def test_search_page_jumps_to_an_exact_reference(north, client):
    ticket = north["ticket"]
    assert client.get("/tickets/search/", {"q": ticket.reference})["Location"] == (
        f"/tickets/{ticket.reference}/")  # fmt: skip
    body = client.get("/tickets/search/", {"q": "double"}).content.decode()
    assert ticket.reference in body


def test_queue_page_title_and_next_ticket_shortcut(north, client):
    body = client.get(reverse("tickets:queue")).content.decode()
    assert "<title>Queue · Helpdesk</title>" in body
    assert 'aria-keyshortcuts="n"' in body


def test_any_status_and_a_bad_filter_value_drop_only_that_filter(north, client):
    response = client.get("/tickets/", {"view": "all", "status": "", "priority": "9",
                                        "language": "en"})  # fmt: skip
    assert response.content.decode().count('data-testid="ticket-row"') == 1


def test_requester_text_in_queue_rows_is_escaped(desk, client):
    client.force_login(desk["people"]["north_agent"])
    tf.ticket(desk["queues"]["north"], subject="<script>alert(1)</script>",
              requester_=tf.requester(name='<img src=x onerror="alert(2)">'))  # fmt: skip
    body = client.get("/tickets/?view=all").content.decode()
    assert "<script>alert(1)" not in body and "&lt;script&gt;alert(1)" in body
    assert "<img src=x" not in body
