"""The help center's categories are shown in the visitor's language: every default
category has a translatable label; a configured category without one shows its slug."""

import re

import pytest
from django.conf import settings
from django.utils import translation

from tickets.intake.help_center_views import CATEGORY_LABELS

pytestmark = pytest.mark.django_db


def category_options(client) -> list[tuple[str, str]]:
    body = client.get("/help/").content.decode()
    select = re.search(r'<select name="category".*?</select>', body, re.S)
    assert select, "no category choice on the form"
    return re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select[0])


def test_every_default_category_has_a_label():
    defaults = settings.HELP_CENTER_CATEGORIES
    assert defaults and all(slug in CATEGORY_LABELS for slug in defaults)


def test_category_labels_go_through_the_catalogues(desk, client, settings, monkeypatch):
    settings.HELP_CENTER_QUEUE = desk["queues"]["inhouse"].slug
    settings.HELP_CENTER_CATEGORIES = ["billing", "privacy", "pets"]
    # Stands in for a catalogue: each translated label comes back marked.
    monkeypatch.setattr(translation._trans, "pgettext",
                        lambda context, text: f"{text} [{context}]", raising=False)  # fmt: skip
    assert category_options(client)[1:] == [
        ("billing", "Billing [help center category]"),
        ("privacy", "Privacy [help center category]"),
        ("pets", "Pets"),  # configured without a label: the capitalised slug
    ]
