"""Redis down: pages come from the database, /healthz says the cache is degraded, nothing stale comes back."""

import pytest
from django.core.cache import caches
from django.core.handlers.wsgi import WSGIHandler

from articles import cache as page_cache
from articles.models import Article
from articles.services import unpublish_articles
from newsroom.page_hits import _routes
from newsroom.wsgi_hits import CachedPageHits
from tests.infra.conftest import redis_caches
from tests.public.conftest import make_article
from tests.public.test_wsgi_hits import call, warm


@pytest.fixture
def on_private_redis(settings, redis_up):
    settings.CACHES = redis_caches(redis_up.url)
    caches["public"].clear()
    yield redis_up
    page_cache._owed_bump = False


@pytest.fixture
def editor(django_user_model):
    return django_user_model.objects.create_superuser("editor", "editor@example.com", "pw")


def test_pages_are_rendered_from_the_database_while_redis_is_down(client, db, on_private_redis, editor):
    story = make_article("Robots fold laundry")
    assert story.title in client.get("/").text
    on_private_redis.stop()
    response = client.get("/")
    assert response.status_code == 200 and story.title in response.text
    health = client.get("/healthz")
    assert health.status_code == 200
    assert health.json() == {"status": "degraded", "database": "ok", "cache": "degraded"}
    # Editors keep working, and readers see their change at once: nothing is served from a cache.
    unpublish_articles(articles=Article.objects.filter(pk=story.pk), by=editor)
    assert story.title not in client.get("/").text
    assert client.get(f"/articles/{story.slug}/").status_code == 404
    on_private_redis.start()
    assert client.get("/healthz").json() == {"status": "ok", "database": "ok", "cache": "ok"}


def test_a_bump_lost_while_redis_was_unreachable_is_paid_before_its_pages_are_served(
    client, db, on_private_redis, editor
):
    story = make_article("Robots fold laundry")
    assert story.title in client.get("/").text  # cached in Redis under the current version
    on_private_redis.pause()  # a network split: Redis keeps the page, the bump cannot reach it
    try:
        unpublish_articles(articles=Article.objects.filter(pk=story.pk), by=editor)
    finally:
        on_private_redis.resume()
    response = client.get("/")
    assert response.status_code == 200 and story.title not in response.text


def test_a_publish_in_the_admin_works_while_redis_is_down(admin_client, db, on_private_redis):
    story = make_article("Robots fold laundry", published=False)
    on_private_redis.stop()
    response = admin_client.post(
        "/admin/articles/article/", {"action": "publish", "_selected_action": [story.pk], "index": 0}
    )
    assert response.status_code == 302
    story.refresh_from_db()
    assert story.published


@pytest.fixture
def app():
    """The site's WSGI application (newsroom/wsgi.py), which answers repeated hits in front of Django's handler."""
    page_cache._local_pages.clear()
    _routes.clear()
    return CachedPageHits(WSGIHandler())


def test_while_redis_is_down_pages_are_rendered_by_django(app, db, on_private_redis):
    story = make_article("Robots fold laundry", slug="robots-fold")
    warm(app)
    assert not call(app).through_django
    on_private_redis.stop()
    down = call(app)
    assert down.status == 200 and down.through_django and b"robots-fold" in down.body
    story.published = False
    story.save()
    assert b"robots-fold" not in call(app).body


def test_a_bump_owed_from_a_network_split_is_paid_before_a_hit(app, db, on_private_redis, django_user_model):
    story = make_article("Robots fold laundry", slug="robots-fold")
    warm(app)
    assert not call(app).through_django
    on_private_redis.pause()  # Redis keeps the version and the page; the bump cannot reach it
    try:
        unpublish_articles(articles=Article.objects.filter(pk=story.pk), by=django_user_model.objects.create_user("e"))
    finally:
        on_private_redis.resume()
    response = call(app)
    assert response.status == 200 and b"robots-fold" not in response.body
