"""The public cache stays correct: editorial changes invalidate it, scheduled stories cap it, nonces stay fresh."""

import json
import math
import re
from datetime import datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles import cache, services
from articles.ingest.batch import import_batch
from articles.models import Article
from tests.factories import item_data, item_text, run_command, write_items
from tests.public.conftest import make_article, make_provider, make_topic

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


def cached_body(client, path: str) -> str:
    """The page at `path`, after checking that it is now served from the cache (a second GET runs no query)."""
    body = client.get(path).content.decode()
    assert not requests_rendering(client, path), f"{path} is not cached: the test could not see a stale page"
    return body


@pytest.fixture
def editor(db):
    return User.objects.create_user("edna", is_staff=True)


# Bulk services and imports write with UPDATE/COPY, which send no signals: only their explicit invalidation
# makes the change show. Commit callbacks run as they would in production (the second bump after commit).


@pytest.mark.parametrize("path", PAGES)
def test_a_bulk_publish_shows_on_pages_cached_before(
    client, newsroom, editor, path, django_capture_on_commit_callbacks
):
    hidden = newsroom["hidden"]
    assert hidden.slug not in cached_body(client, path)
    with django_capture_on_commit_callbacks(execute=True):
        services.publish_articles(articles=Article.objects.filter(pk=hidden.pk), by=editor)
    assert hidden.slug in client.get(path).content.decode()


@pytest.mark.parametrize("path", PAGES)
def test_a_bulk_unpublish_shows_on_pages_cached_before(
    client, newsroom, editor, path, django_capture_on_commit_callbacks
):
    public = newsroom["public"]
    assert public.slug in cached_body(client, path)
    with django_capture_on_commit_callbacks(execute=True):
        services.unpublish_articles(articles=Article.objects.filter(pk=public.pk), by=editor)
    response = client.get(path)
    # It was the only public story filed under Robots: that topic's page goes, the others lose the story.
    assert response.status_code == (404 if path == "/topics/robots/" else 200)
    assert public.slug not in response.content.decode()
    assert client.get(f"/articles/{public.slug}/").status_code == 404


def test_a_bulk_quality_change_shows_on_pages_cached_before(
    client, newsroom, editor, django_capture_on_commit_callbacks
):
    path = f"/api/articles/{newsroom['other'].slug}/"
    assert json.loads(cached_body(client, path))["quality"] == 20
    with django_capture_on_commit_callbacks(execute=True):
        services.set_quality(articles=Article.objects.filter(pk=newsroom["other"].pk), by=editor, quality=95)
    assert client.get(path).json()["quality"] == 95


def topic_slugs(response) -> set[str]:
    return {topic["slug"] for topic in response.json()["topics"]}


def test_a_bulk_topic_addition_shows_on_pages_cached_before(
    client, newsroom, editor, django_capture_on_commit_callbacks
):
    path = f"/api/articles/{newsroom['other'].slug}/"
    gardening = make_topic("Gardening")
    assert "gardening" not in {t["slug"] for t in json.loads(cached_body(client, path))["topics"]}
    with django_capture_on_commit_callbacks(execute=True):
        services.add_topic(articles=Article.objects.filter(pk=newsroom["other"].pk), by=editor, topic=gardening)
    assert "gardening" in topic_slugs(client.get(path))


def test_a_bulk_topic_removal_shows_on_pages_cached_before(
    client, newsroom, editor, django_capture_on_commit_callbacks
):
    other = newsroom["other"]
    other.topics.add(make_topic("Gardening"))
    assert "Chip makers race ahead" in cached_body(client, "/topics/gardening/")
    with django_capture_on_commit_callbacks(execute=True):
        services.remove_topic(articles=Article.objects.filter(pk=other.pk), by=editor, topic=make_topic("Gardening"))
    assert client.get("/topics/gardening/").status_code == 404  # no public story is left under it
    assert "gardening" not in topic_slugs(client.get(f"/api/articles/{other.slug}/"))


def test_a_bulk_schedule_drops_pages_cached_before(client, newsroom, editor, django_capture_on_commit_callbacks):
    # The story is not public yet, but pages stored before must not outlive its publication: they go now.
    cached_body(client, "/")
    publish_at = timezone.now() + timedelta(hours=1)
    with django_capture_on_commit_callbacks(execute=True):
        services.schedule_articles(
            articles=Article.objects.filter(pk=newsroom["hidden"].pk), by=editor, publish_at=publish_at
        )
    assert requests_rendering(client, "/")


def test_a_provider_merge_shows_on_pages_cached_before(client, newsroom, editor, django_capture_on_commit_callbacks):
    outlet = make_provider("outlet.example", "Small Outlet")
    story = make_article("Story from a small outlet", provider=outlet)
    assert "Small Outlet" in cached_body(client, f"/articles/{story.slug}/")
    with django_capture_on_commit_callbacks(execute=True):
        services.merge_providers(into=newsroom["public"].provider, duplicates=[outlet], by=editor)
    body = client.get(f"/articles/{story.slug}/").content.decode()
    assert "Small Outlet" not in body and "Example News" in body


def test_an_import_shows_on_pages_cached_before(client, db, tmp_path, django_capture_on_commit_callbacks):
    (path,) = write_items(tmp_path, {"story.md": item_data(1, title="First headline", published=True)})
    import_batch([str(path)], trust_published=True)
    assert "First headline" in cached_body(client, "/")
    assert "Fresh story" not in cached_body(client, "/feeds/rss/")

    # The provider and topic exist already: nothing but the import's own invalidation can refresh the pages.
    path.write_text(item_text(item_data(1, title="Corrected headline", published=True)))
    (new,) = write_items(tmp_path, {"new.md": item_data(2, title="Fresh story", published=True)})
    with django_capture_on_commit_callbacks(execute=True):
        summary = import_batch([str(path), str(new)], trust_published=True)
    assert (summary.counts["updated"], summary.counts["created"]) == (1, 1)
    home = client.get("/").content.decode()
    assert "Corrected headline" in home and "First headline" not in home
    assert "Fresh story" in client.get("/feeds/rss/").content.decode()


def test_import_articles_trust_published_shows_on_pages_cached_before(
    client, db, tmp_path, django_capture_on_commit_callbacks
):
    write_items(tmp_path, {"a.md": item_data(1, title="Restored story", published=True)})
    run_command("import_articles", tmp_path, jobs=1)
    assert "Restored story" not in cached_body(client, "/")  # imported, but not public without trust
    with django_capture_on_commit_callbacks(execute=True):
        run_command("import_articles", tmp_path, jobs=1, trust_published=True)
    assert "Restored story" in client.get("/").content.decode()


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


def publication_at(offset: float) -> tuple[datetime, float]:
    """A story scheduled an hour ahead (by the database's clock too), and the epoch `offset` seconds before it."""
    publish_at = (timezone.now() + timedelta(hours=1)).replace(microsecond=0)
    make_article("Scheduled", publish_at=publish_at)
    return publish_at, publish_at.timestamp() - offset


@pytest.mark.parametrize("offset", [0.001, 0.5, 0.999, 1.0, 1.001, 1.5, 4.7, 9.999])
def test_entries_never_outlive_the_next_scheduled_publication(db, offset):
    publish_at, now = publication_at(offset)
    with time_machine.travel(now, tick=False):
        timeout = cache._timeout(cache.public_cache(), cache.public_version())
    assert now + timeout <= publish_at.timestamp()  # never served once the story is due
    assert timeout == math.floor(offset)  # and kept as long as whole seconds allow


def test_entries_keep_their_full_time_without_a_pending_publication(db):
    make_article("Out already")
    assert cache._timeout(cache.public_cache(), cache.public_version()) in (cache.LOCAL_TIMEOUT, cache.SHARED_TIMEOUT)


def requests_rendering(client, path: str) -> bool:
    """Whether a GET of `path` renders the page (runs queries) rather than serving it from the cache."""
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries) > 0


@pytest.mark.parametrize(("offset", "stored"), [(0.5, False), (30, True)])
def test_pages_are_not_stored_within_the_last_second_before_a_publication(client, db, offset, stored):
    # Python's clock travels; the database's does not need to: the story is an hour ahead for it either way.
    _, now = publication_at(offset)
    with time_machine.travel(now, tick=False):
        assert requests_rendering(client, "/")
        assert requests_rendering(client, "/") is not stored


def test_healthz_is_never_cached(client, db):
    response = client.get("/healthz")
    assert response.json()["status"] == "ok"
    assert "no-cache" in response["Cache-Control"] and "ETag" not in response


def test_with_pages_off_every_page_is_rendered_and_values_stay_cached(client, newsroom, settings):
    # PUBLIC_PAGE_CACHE=0: what a page miss costs in production, where the topic index is still in the shared cache.
    settings.PUBLIC_PAGE_CACHE = False
    client.get("/")
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/").status_code == 200
    # The river's three queries (placing articles, their stories' articles, their links), and no topic index.
    assert len(queries) == 3
    assert not [query for query in queries.captured_queries if 'FROM "articles_topic"' in query["sql"]]
    Article.objects.filter(pk=newsroom["hidden"].pk).update(published=True)  # no signal: no version bump
    assert newsroom["hidden"].title.encode() in client.get("/").content
