"""Each worker's copies of shared cache entries (articles/cache.py): a hit costs one shared read, and a copy never
outlives a bump or its shared entry."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.core.cache import caches
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles import cache
from articles.models import Article
from tests.public.conftest import make_article, make_topic


@pytest.fixture
def database_cache(db):
    """Production's default public cache (the database's), whose every read is a query the test can count."""
    backend = {"BACKEND": "newsroom.cache_backends.AtomicDatabaseCache", "LOCATION": "newsroom_test_public"}
    with override_settings(CACHES={**settings.CACHES, "public": {**backend, "TIMEOUT": None}}):
        call_command("createcachetable", verbosity=0)
        cache._local_pages.clear()
        yield caches["public"]
    cache._local_pages.clear()


def test_a_hit_reads_only_the_version_from_the_shared_cache(
    client, newsroom, database_cache, django_assert_num_queries
):
    first = client.get("/")
    with django_assert_num_queries(1):  # the public version; the page is this worker's copy
        hit = client.get("/")
    assert hit.status_code == 200 and hit.content.count(b"story-") == first.content.count(b"story-")
    cache._local_pages.clear()  # another worker: reads the page from the shared cache, then keeps a copy
    with django_assert_num_queries(2):
        client.get("/")
    with django_assert_num_queries(1):
        client.get("/")


def test_a_bump_reaches_the_copies(client, newsroom, database_cache):
    story = newsroom["public"]
    client.get("/")
    assert story.slug.encode() in client.get("/").content
    story.published = False
    story.save()
    assert story.slug.encode() not in client.get("/").content


def test_a_copy_expires_with_its_entry_when_a_scheduled_story_is_due(client, newsroom, database_cache):
    # Python's clock travels; the database's need not: the story is an hour ahead for it either way.
    due = (timezone.now() + timedelta(hours=1)).replace(microsecond=0)
    make_article("Scheduled", publish_at=due)
    with time_machine.travel(due - timedelta(seconds=30), tick=False):
        client.get("/")
        with CaptureQueriesContext(connection) as queries:
            client.get("/")
        assert len(queries) == 1  # a hit of the copy
    with time_machine.travel(due + timedelta(seconds=1), tick=False), CaptureQueriesContext(connection) as queries:
        assert client.get("/").status_code == 200
    assert len(queries) > 2  # rendered again: neither the copy nor its shared entry is served past the publication


def test_each_worker_keeps_a_bounded_number_of_pages(client, newsroom, database_cache, monkeypatch):
    monkeypatch.setattr(cache._local_pages, "size", 2)
    for path in ("/", "/top/", "/topics/ai/", "/topics/robots/"):
        client.get(path)
    assert len(cache._local_pages) == 2


@pytest.fixture
def pages_off(database_cache):
    """A page miss on each request (PUBLIC_PAGE_CACHE=0), the public values still cached, as on a miss in production."""
    cache._local_values.clear()
    with override_settings(PUBLIC_PAGE_CACHE=False):
        yield database_cache
    cache._local_values.clear()


def test_a_worker_keeps_the_topic_index_it_read(client, newsroom, pages_off):
    client.get("/")
    with CaptureQueriesContext(connection) as queries:
        assert b"Robots learn to fold laundry" in client.get("/").content
    assert len(queries) == 4, [query["sql"] for query in queries]  # the version and the river's three queries
    cache._local_values.clear()  # another worker: reads the index from the shared cache, once
    with CaptureQueriesContext(connection) as queries:
        client.get("/")
    assert sum("newsroom_test_public" in query["sql"] for query in queries) == 3  # version, index, next publication
    with CaptureQueriesContext(connection) as queries:
        client.get("/")
    assert len(queries) == 4


def test_a_bump_reaches_the_kept_topic_index(client, newsroom, pages_off):
    assert b'value="chips"' not in client.get("/").content
    make_article("Chips on a new topic", topics=[make_topic("Chips")])  # saved: the version is bumped
    assert b'<option value="chips">Chips</option>' in client.get("/").content


def test_the_kept_topic_index_expires_when_a_scheduled_story_is_due(client, newsroom, pages_off):
    # Python's clock travels; the database's does not: the story turns public for it by an update (no bump).
    due = (timezone.now() + timedelta(hours=1)).replace(microsecond=0)
    scheduled = make_article("Scheduled", publish_at=due, topics=[make_topic("Chips")])
    with time_machine.travel(due - timedelta(seconds=30), tick=False):
        assert b'value="chips"' not in client.get("/").content
        Article.objects.filter(pk=scheduled.pk).update(publish_at=timezone.now() - timedelta(hours=2))
        assert b'value="chips"' not in client.get("/").content  # the index kept until the publication
    with time_machine.travel(due + timedelta(seconds=1), tick=False):
        assert b'<option value="chips">Chips</option>' in client.get("/").content
