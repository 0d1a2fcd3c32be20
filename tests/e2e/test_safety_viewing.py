"""Protected viewing in the browser: an image in a sensitive ticket is blurred by
default, its original is not requested until the agent reveals it, then it blurs again
by itself; listed words are masked until the text is revealed."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from playwright.sync_api import expect

from accounts.models import User
from safety import derivatives, taxonomy, viewing
from safety.models import Exposure, HarmCategory, Level, MaskWord, Protection
from tests import processes
from tests.e2e.conftest import sign_in
from tests.e2e.test_accessibility import AXE, BLOCKING, RUN_AXE
from tests.e2e.test_exports import demo  # noqa: F401 (a fixture)
from tests.tickets import factories as tf
from tickets import selectors, services
from tickets.models import Attachment


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 240), "red").save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def protected(demo):  # noqa: F811
    taxonomy.ensure_defaults()
    agent = User.objects.get(email="agent@example.com")
    queue = selectors.visible_queues(agent).order_by("id").first()
    category = HarmCategory.objects.create(key="gore-e2e", name="Gore", sensitive=True,
                                           graphic=True, order=1)  # fmt: skip
    Protection.objects.update_or_create(user=None, defaults={
        "level": Level.BLUR, "mask_words": True, "reblur_seconds": 2})  # fmt: skip
    MaskWord.objects.create(language="en", word="stab")
    ticket = tf.ticket(queue, subject="Threat", body="He said he would stab me.")
    services.ticket_reply(actor=agent, ticket=ticket, body="The photo", internal=True,
                          files=[SimpleUploadedFile("photo.png", _png())])  # fmt: skip
    item = Attachment.objects.get(message__ticket=ticket)
    derivatives.make(item)
    viewing.ticket_mark(actor=agent, ticket=ticket, category=category)
    return {"ticket": ticket, "item": item, "agent": agent}


def test_an_image_is_blurred_by_default_and_the_original_is_not_requested_until_reveal(
    page, protected
):
    item = protected["item"]
    original = f"/tickets/attachments/{item.pk}/"
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    sign_in(page, "agent@example.com")
    page.goto(f"/tickets/{protected['ticket'].reference}/")
    figure = page.get_by_test_id("protected-file")
    expect(figure).to_contain_text("Content warning")
    expect(figure.get_by_test_id("protected-preview")).to_be_visible()
    expect(page.get_by_test_id("conversation")).not_to_contain_text("stab")
    assert [url for url in requested if original in url] == []
    page.evaluate(AXE.read_text())
    assert page.evaluate(RUN_AXE, list(BLOCKING)) == []

    figure.get_by_test_id("reveal").click()
    revealed = figure.get_by_test_id("revealed-original")
    expect(revealed).to_be_visible()
    expect(figure.get_by_test_id("protected-preview")).to_be_hidden()
    page.wait_for_function(
        "el => el.complete && el.naturalWidth > 0", arg=revealed.element_handle()
    )
    assert len([url for url in requested if original in url]) == 1

    # Blurred again after the organisation's two seconds, and the reveal's length sent.
    expect(revealed).to_have_count(0, timeout=6_000)
    expect(figure.get_by_test_id("protected-preview")).to_be_visible()
    assert len([url for url in requested if original in url]) == 1
    assert processes.wait_for(
        lambda: Exposure.objects.filter(attachment=item, seconds__gte=1).exists(), timeout=10
    )

    page.get_by_role("button", name="Reveal text").click()
    expect(page.get_by_test_id("conversation")).to_contain_text("he would stab me")
    expect(page.get_by_test_id("conversation")).not_to_contain_text("stab", timeout=6_000)


def test_the_protection_pages_are_accessible_and_refuse_a_lower_level(page, protected):
    sign_in(page, "agent@example.com")
    page.goto("/safety/protection/")
    page.get_by_label("Greyscale", exact=True).check()
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#id_level_error")).to_contain_text("organisation's minimum")
    page.evaluate(AXE.read_text())
    assert page.evaluate(RUN_AXE, list(BLOCKING)) == []
