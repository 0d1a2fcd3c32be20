"""Every periodic task beat is told to run exists, and the filter values are recounted by
beat before the cached copy runs out (no request pays for the recount)."""

import pytest
from django.conf import settings
from django.core.cache import cache

from helpdesk.celery import app
from tests.tickets import factories as tf
from tickets import selectors, tasks


def test_every_beat_entry_names_a_registered_task():
    app.loader.import_default_modules()
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert entry["task"] in app.tasks, name


def test_facets_are_refreshed_by_beat_inside_their_cache_lifetime():
    entry = settings.CELERY_BEAT_SCHEDULE["tickets-refresh-queue-facets"]
    assert entry["schedule"] < selectors.QUEUE_FACETS_SECONDS


@pytest.mark.django_db
def test_the_facets_task_counts_languages_and_tags_into_the_cache(desk):
    queue = desk["queues"]["inhouse"]
    tf.ticket(queue, language="pt", tags=["refund"])
    cache.delete(selectors.QUEUE_FACETS_CACHE_KEY)
    assert tasks.refresh_queue_facets() >= 1
    _read_at, facets = cache.get(selectors.QUEUE_FACETS_CACHE_KEY)
    languages, tags = facets[queue.pk]
    assert "pt" in languages and tags.get("refund") == 1
