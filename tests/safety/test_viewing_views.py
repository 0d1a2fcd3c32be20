"""Protected viewing through its routes: the ticket page shows previews and masks, the
original is refused without a reveal's token and served with one, reveals are counted
and stopped at the hard cap, marking, the settings pages, scoping and query counts."""

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from safety import derivatives, viewing
from safety.models import Derivative, Exposure, HarmCategory, Level, MaskWord, Protection
from tests.tickets import factories as tf
from tickets import services
from tickets.models import Attachment

pytestmark = pytest.mark.django_db


def _png() -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", (64, 48), "red")
    image.paste("blue", (32, 0, 64, 48))  # an edge the blur softens
    image.save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def gore(desk):
    return HarmCategory.objects.create(key="gore-test", name="Gore", sensitive=True,
                                       graphic=True, order=1)  # fmt: skip


@pytest.fixture
def protected(desk, gore):
    """An in-house ticket marked sensitive, with an image (its preview made) and a
    message holding a listed word; the in-house agent signed in."""
    Protection.objects.update_or_create(user=None, defaults={"level": Level.BLUR,
                                        "mask_words": True, "reblur_seconds": 10})  # fmt: skip
    MaskWord.objects.create(language="en", word="stab")
    agent = desk["people"]["inhouse_agent"]
    ticket = tf.ticket(desk["queues"]["inhouse"], body="They said they would stab me.")
    services.ticket_reply(actor=agent, ticket=ticket, body="See the photo", internal=True,
                          files=[SimpleUploadedFile("photo.png", _png())])  # fmt: skip
    item = Attachment.objects.get(message__ticket=ticket)
    derivatives.make(item)
    viewing.ticket_mark(actor=agent, ticket=ticket, category=gore)
    return {**desk, "ticket": ticket, "item": item, "agent": agent}


def _page(client, ticket) -> str:  # type: ignore[no-untyped-def]
    response = client.get(reverse("tickets:detail", args=[ticket.reference]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_page_shows_the_preview_a_warning_and_masked_words(protected, client):
    client.force_login(protected["agent"])
    body = _page(client, protected["ticket"])
    item = protected["item"]
    assert reverse("safety:derivative", args=[item.pk]) in body
    assert reverse("tickets:attachment", args=[item.pk]) not in body
    assert "Content warning" in body and "Gore" in body
    assert "stab" not in body and "would ▇▇▇▇ me" not in body and "▇▇▇▇" in body
    assert reverse("safety:reveal_text", args=[item.message.ticket.messages.first().pk]) in body
    assert "js/safety-reveal.js" in body
    preview = client.get(reverse("safety:derivative", args=[item.pk]))
    assert preview.status_code == 200 and preview["Content-Type"] == "image/jpeg"


def test_the_preview_is_the_greyscale_copy_only_at_the_greyscale_level(protected, client):
    agent, item = protected["agent"], protected["item"]
    made = Derivative.objects.get(attachment=item)
    blurred, grey = made.file.read(), made.grey_file.read()
    assert blurred != grey
    client.force_login(agent)
    url = reverse("safety:derivative", args=[item.pk])
    assert b"".join(client.get(url).streaming_content) == blurred
    Protection.objects.filter(user=None).update(level=Level.GREY)
    assert "Greyscale preview of photo.png" in _page(client, protected["ticket"])
    assert b"".join(client.get(url).streaming_content) == grey
    viewing.protection_set_own(actor=agent, level=Level.BLUR, mask_words=True,
                               reblur_seconds=10)  # fmt: skip
    assert b"".join(client.get(url + "?v=1").streaming_content) == blurred


def test_at_the_hidden_level_no_preview_is_shown(protected, client):
    agent = protected["agent"]
    viewing.protection_set_own(actor=agent, level=Level.HIDDEN, mask_words=True,
                               reblur_seconds=10)  # fmt: skip
    client.force_login(agent)
    body = _page(client, protected["ticket"])
    assert reverse("safety:derivative", args=[protected["item"].pk]) not in body
    assert 'data-testid="reveal"' in body


def test_the_original_is_refused_without_a_token_and_served_with_one(protected, client):
    item = protected["item"]
    client.force_login(protected["agent"])
    plain = reverse("tickets:attachment", args=[item.pk]) + "?inline=1"
    assert client.get(plain).status_code == 403
    answer = client.post(reverse("safety:reveal", args=[item.pk])).json()
    assert answer["kind"] == "image" and answer["reblur_seconds"] == 10
    original = client.get(answer["url"])
    assert original.status_code == 200
    assert b"".join(original.streaming_content) == _png()
    exposure = Exposure.objects.get(token=answer["token"])
    assert (exposure.agent, exposure.kind, exposure.attachment_id) == (
        protected["agent"], "image", item.pk)  # fmt: skip
    # Someone else (who may see the ticket) cannot use it.
    client.force_login(protected["people"]["inhouse_lead"])
    assert client.get(answer["url"]).status_code == 403
    # The end of the reveal records how long it lasted (one's own token only).
    client.force_login(protected["agent"])
    ended = client.post(reverse("safety:reveal_end"), {"token": answer["token"], "seconds": "7"})
    assert ended.status_code == 204
    exposure.refresh_from_db()
    assert exposure.seconds == 7


def test_an_unprotected_tickets_files_download_as_before(desk, client):
    HarmCategory.objects.create(key="gore-test", name="Gore", sensitive=True)
    agent = desk["people"]["inhouse_agent"]
    ticket = tf.ticket(desk["queues"]["inhouse"])
    services.ticket_reply(actor=agent, ticket=ticket, body="log",
                          files=[SimpleUploadedFile("log.txt", b"trace")])  # fmt: skip
    item = Attachment.objects.get(message__ticket=ticket)
    client.force_login(agent)
    assert client.get(reverse("tickets:attachment", args=[item.pk])).status_code == 200
    assert reverse("tickets:attachment", args=[item.pk]) in _page(client, ticket)


def test_a_reveal_waits_for_the_preview(protected, client):
    Derivative.objects.filter(attachment=protected["item"]).update(state="pending")
    client.force_login(protected["agent"])
    response = client.post(reverse("safety:reveal", args=[protected["item"].pk]))
    assert response.status_code == 409 and "being prepared" in response.json()["error"]


def test_the_hard_cap_stops_a_reveal_with_its_message(protected, client, gore):
    gore.hard_cap_items = 1
    gore.save()
    client.force_login(protected["agent"])
    url = reverse("safety:reveal", args=[protected["item"].pk])
    assert client.post(url).status_code == 200
    refused = client.post(url)
    assert refused.status_code == 403
    assert refused.json()["error"] and "url" not in refused.json()


def test_reveal_text_answers_the_unmasked_body_and_counts_it(protected, client):
    client.force_login(protected["agent"])
    first = protected["ticket"].messages.order_by("id").first()
    answer = client.post(reverse("safety:reveal_text", args=[first.pk])).json()
    assert "would stab me" in answer["html"]
    assert Exposure.objects.get(token=answer["token"]).kind == "text"


def test_other_vendors_files_and_messages_are_404(protected, client):
    client.force_login(protected["people"]["north_agent"])
    item = protected["item"]
    assert client.get(reverse("safety:derivative", args=[item.pk])).status_code == 404
    assert client.post(reverse("safety:reveal", args=[item.pk])).status_code == 404
    assert client.post(reverse("safety:reveal_text", args=[item.message_id])).status_code == 404
    assert not Exposure.objects.exists()


def test_a_protected_ticket_page_makes_a_fixed_number_of_queries(
    protected, client, django_assert_max_num_queries
):
    agent = protected["agent"]
    for n in range(6):
        services.ticket_reply(actor=agent, ticket=protected["ticket"], body=f"stab {n}",
                              internal=True,
                              files=[SimpleUploadedFile(f"p{n}.png", _png())])  # fmt: skip
    client.force_login(agent)
    _page(client, protected["ticket"])
    # The ticket page's own budget plus the mark and the previews (one query each).
    with django_assert_max_num_queries(10):
        body = _page(client, protected["ticket"])
    assert body.count('data-testid="protected-file"') == 7


# ------------------------------------------------------------------- marking


def test_marking_from_the_page(desk, client, gore):
    agent = desk["people"]["inhouse_agent"]
    ticket = tf.ticket(desk["queues"]["inhouse"])
    client.force_login(agent)
    body = _page(client, ticket)
    assert 'data-testid="safety-mark-form"' in body and "Gore" in body
    response = client.post(reverse("safety:mark", args=[ticket.reference]), {"category": gore.pk})
    assert response.status_code == 302
    assert 'data-testid="safety-protected-note"' in _page(client, ticket)
    bad = client.post(reverse("safety:mark", args=[ticket.reference]), {"category": "999999"})
    assert bad.status_code == 400 and 'id="id_category_error"' in bad.content.decode()
    client.post(reverse("safety:unmark", args=[ticket.reference]))
    assert 'data-testid="safety-protected-note"' not in _page(client, ticket)


def test_marking_into_a_cleared_queue_sends_the_marker_to_their_queue(desk, client):
    cleared = tf.queue("Child safety (test)")
    category = HarmCategory.objects.create(key="cs-test", name="Child safety", sensitive=True,
                                           requires_clearance=True, queue=cleared)  # fmt: skip
    ticket = tf.ticket(desk["queues"]["inhouse"])
    client.force_login(desk["people"]["inhouse_agent"])
    response = client.post(reverse("safety:mark", args=[ticket.reference]),
                           {"category": category.pk}, follow=True)  # fmt: skip
    assert response.redirect_chain[-1][0] == reverse("tickets:queue")
    assert "only cleared specialists work" in response.content.decode()


# ------------------------------------------------------------------- settings


def test_an_agent_cannot_lower_their_protection_and_sees_why(desk, client):
    Protection.objects.update_or_create(user=None, defaults={"level": Level.BLUR,
                                        "mask_words": True, "reblur_seconds": 10})  # fmt: skip
    client.force_login(desk["people"]["inhouse_agent"])
    url = reverse("safety:protection")
    assert client.get(url).status_code == 200
    response = client.post(url, {"level": Level.GREY, "mask_words": "on", "reblur_seconds": 5})
    body = response.content.decode()
    assert response.status_code == 200 and 'id="id_level_error"' in body
    assert not Protection.objects.filter(user=desk["people"]["inhouse_agent"]).exists()
    response = client.post(url, {"level": Level.HIDDEN, "mask_words": "on", "reblur_seconds": 5})
    assert response.status_code == 302
    assert Protection.objects.get(user=desk["people"]["inhouse_agent"]).level == Level.HIDDEN


def test_the_organisations_protection_and_word_lists_are_the_admins(desk, client):
    admin = desk["people"]["admin"]
    client.force_login(desk["people"]["inhouse_lead"])
    assert client.get(reverse("safety:protection_org")).status_code == 404
    assert client.get(reverse("safety:mask_words")).status_code == 404
    word = MaskWord.objects.create(language="en", word="stab")
    delete = reverse("safety:mask_word_delete", args=[word.pk])
    assert client.post(delete).status_code == 404
    client.force_login(admin)
    response = client.post(reverse("safety:protection_org"),
                           {"level": Level.HIDDEN, "reblur_seconds": 20})  # fmt: skip
    assert response.status_code == 302
    assert viewing.organisation_protection().level == Level.HIDDEN
    response = client.post(reverse("safety:mask_words"), {"language": "en", "word": "Stab"})
    assert response.status_code == 400 and 'id="id_word_error"' in response.content.decode()
    assert client.post(reverse("safety:mask_words"), {"language": "es", "word": "apuñalar"}
                       ).status_code == 302  # fmt: skip
    page = client.get(reverse("safety:mask_words")).content.decode()
    assert "apuñalar" in page and "stab" in page
    assert client.post(delete).status_code == 302
    assert not MaskWord.objects.filter(pk=word.pk).exists()


def test_reveal_end_with_someone_elses_token_changes_nothing(protected, client):
    client.force_login(protected["agent"])
    answer = client.post(reverse("safety:reveal", args=[protected["item"].pk])).json()
    client.force_login(protected["people"]["inhouse_lead"])
    response = client.post(reverse("safety:reveal_end"),
                           {"token": answer["token"], "seconds": "30"})  # fmt: skip
    assert response.status_code == 204
    assert Exposure.objects.get(token=answer["token"]).seconds == 0
    assert json.loads(json.dumps(answer))["token"]
