"""The public cache stays correct: editorial changes invalidate it, scheduled stories cap it, nonces stay fresh."""

import re
import time
from datetime import timedelta

import pytest
from django.core.cache.backends.locmem import LocMemCache
from django.db import transaction
from django.utils import timezone

from articles import cache
from articles.models import Article
from tests.public.conftest import make_article, make_topic

PAGES = ["/", "/topics/robots/", "/feeds/rss/", "/api/articles/", "/sitemap-articles.xml"]


def csp_nonce(response) -> str:
    return re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)


def test_a_cached_page_costs_no_query(client, newsroom, django_assert_num_queries):
    first = client.get("/")
    with django_assert_num_queries(0):
        second = client.get("/")
    assert second.status_code == 200
    assert second.content.replace(csp_nonce(second).encode(), b"") == first.content.replace(
        csp_nonce(first).encode(), b""
    )


@pytest.mark.parametrize("path", PAGES)
def test_publishing_in_the_admin_shows_at_once(client, newsroom, path):
    hidden = newsroom["hidden"]
    assert hidden.slug not in client.get(path).content.decode()
    hidden.published = True
    hidden.save()  # what the admin's form does: post_save bumps the public version
    assert hidden.slug in client.get(path).content.decode()


@pytest.mark.parametrize("path", PAGES)
def test_bulk_unpublishing_shows_once_the_version_is_bumped(client, newsroom, path):
    public = newsroom["public"]
    assert public.slug in client.get(path).content.decode()
    Article.objects.filter(pk=public.pk).update(published=False)  # like the importer: no signals
    cache.bump_public_version()
    assert public.slug not in client.get(path).content.decode()
    assert client.get(f"/articles/{public.slug}/").status_code == 404


def test_topic_changes_invalidate_through_m2m_signals(client, newsroom):
    assert "Gardening" not in client.get("/").content.decode()
    newsroom["other"].topics.add(make_topic("Gardening"))
    assert "Gardening" in client.get("/").content.decode()


def test_bump_inside_a_transaction_bumps_again_on_commit(db, django_capture_on_commit_callbacks):
    before = cache.public_version()
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        cache.bump_public_version()
        assert cache.public_version() == before + 1
    assert len(callbacks) == 1
    assert cache.public_version() == before + 2


def test_a_lost_version_never_comes_back_to_an_old_value(db):
    old = cache.public_version()
    cache.public_cache().delete(cache.VERSION_KEY)
    assert cache.public_version() > old


def test_etag_revalidation(client, newsroom):
    first = client.get("/")
    etag = first["ETag"]
    assert etag.startswith('W/"')
    assert "no-cache" in first["Cache-Control"] and "public" in first["Cache-Control"]
    not_modified = client.get("/", headers={"if-none-match": etag})
    assert not_modified.status_code == 304 and not_modified.content == b""
    newsroom["other"].title = "A new headline"
    newsroom["other"].save()
    changed = client.get("/", headers={"if-none-match": etag})
    assert changed.status_code == 200 and changed["ETag"] != etag


def test_every_response_gets_a_fresh_nonce_even_from_the_cache(client, newsroom):
    path = f"/articles/{newsroom['public'].slug}/"
    responses = [client.get(path) for _ in range(3)]
    nonces = [csp_nonce(response) for response in responses]
    assert len(set(nonces)) == 3
    for response, nonce in zip(responses, nonces, strict=True):
        body = response.content.decode()
        assert body.count(f'nonce="{nonce}"') == 2  # the deferred script and the JSON-LD block
        assert "\x00" not in body


def test_errors_and_head_requests(client, newsroom):
    assert client.get("/articles/nope/").status_code == 404
    assert client.get("/articles/nope/").status_code == 404  # not cached as a page
    head = client.head("/")
    assert head.status_code == 200 and head.content == b""


def test_entries_never_outlive_the_next_scheduled_publication(db):
    make_article("Soon", publish_at=timezone.now() + timedelta(seconds=4))
    assert cache._timeout(cache.public_cache(), cache.public_version()) <= 4
    cache.bump_public_version()
    Article.objects.update(publish_at=None)
    unbounded = cache.LOCAL_TIMEOUT if isinstance(cache.public_cache(), LocMemCache) else cache.SHARED_TIMEOUT
    assert cache._timeout(cache.public_cache(), cache.public_version()) == unbounded


def test_a_scheduled_story_appears_on_cached_pages_when_due(client, db):
    make_article("Already out")
    soon = make_article("Coming up", publish_at=timezone.now() + timedelta(seconds=1.2))
    assert soon.slug not in client.get("/").content.decode()
    time.sleep(1.5)
    assert soon.slug in client.get("/").content.decode()


def test_healthz_is_never_cached(client, db):
    response = client.get("/healthz")
    assert response.json()["status"] == "ok"
    assert "no-cache" in response["Cache-Control"] and "ETag" not in response
