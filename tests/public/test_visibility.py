"""Readers see approved stories only: every route, feed, sitemap entry, search result and API response."""

import pytest
from django.utils import timezone

from tests.public.conftest import make_article, make_provider, make_topic

LISTS = [
    "/",
    "/?page=1",
    "/top/",
    "/topics/ai/",
    "/topics/robots/",
    "/providers/example.com/",
    "/search/?q=robot",
    "/feeds/rss/",
    "/feeds/atom/",
    "/feeds/topics/robots/rss/",
    "/feeds/topics/robots/atom/",
    "/sitemap-articles.xml",
    "/api/articles/",
    "/api/articles/?topic=robots",
]


@pytest.mark.parametrize("path", LISTS)
def test_lists_show_public_stories_only(client, newsroom, path):
    response = client.get(path)
    assert response.status_code == 200
    body = response.content.decode()
    assert newsroom["public"].slug in body
    for name in ("hidden", "scheduled"):
        assert newsroom[name].slug not in body
        assert newsroom[name].title not in body
    assert "SECRET-BLOB" not in body


@pytest.mark.parametrize("name", ["hidden", "scheduled"])
@pytest.mark.parametrize("template", ["/articles/{}/", "/api/articles/{}/"])
def test_unpublished_and_scheduled_stories_are_404(client, newsroom, name, template):
    assert client.get(template.format(newsroom[name].slug)).status_code == 404


def test_a_scheduled_story_turns_public_when_its_time_comes(client, newsroom):
    scheduled = newsroom["scheduled"]
    scheduled.publish_at = timezone.now() - timezone.timedelta(seconds=1)
    scheduled.save()
    assert client.get(f"/articles/{scheduled.slug}/").status_code == 200
    assert scheduled.slug in client.get("/").content.decode()


def test_story_pages_and_api_detail_never_show_secured(client, newsroom):
    for path in (f"/articles/{newsroom['public'].slug}/", f"/api/articles/{newsroom['public'].slug}/"):
        response = client.get(path)
        assert response.status_code == 200
        assert b"SECRET-BLOB" not in response.content
        assert b"secured" not in response.content


def test_more_coverage_links_public_stories_here_but_not_unpublished_ones(client, newsroom):
    public = newsroom["public"]
    link = public.related_links.first()
    link.web_url = newsroom["other"].web_url
    link.save()
    second = public.related_links.last()
    second.web_url = newsroom["hidden"].web_url
    second.save()
    body = client.get(f"/articles/{public.slug}/").content.decode()
    assert f'href="/articles/{newsroom["other"].slug}/"' in body
    assert newsroom["hidden"].slug not in body
    related = client.get(f"/api/articles/{public.slug}/").json()["related"]
    assert {item["url"] for item in related} == {f"http://testserver/articles/{newsroom['other'].slug}/", None}


def test_topic_and_provider_pages_need_a_public_story(client, db):
    lonely = make_topic("Lonely")
    make_article("Hidden", published=False, topics=[lonely], provider=make_provider("quiet.example", "Quiet"))
    assert client.get("/topics/lonely/").status_code == 404
    assert client.get("/providers/quiet.example/").status_code == 404
    assert client.get("/feeds/topics/nope/rss/").status_code == 404
    assert client.get("/topics/nope/").status_code == 404


def test_topic_pages_include_sub_topics(client, newsroom):
    body = client.get("/topics/ai/").content.decode()
    assert newsroom["public"].title in body  # filed under Robots, a child of AI
    assert 'href="/topics/robots/"' in body
    child = client.get("/topics/robots/").content.decode()
    assert 'aria-label="Parent topics"' in child and 'href="/topics/ai/"' in child


def test_api_topics_and_providers_list_only_what_has_public_stories(client, newsroom):
    make_article("Hidden", published=False, topics=[make_topic("Secret topic")], provider=make_provider("hush.example"))
    topics = {topic["slug"] for topic in client.get("/api/topics/").json()}
    assert topics == {"ai", "robots"}
    providers = {p["domain"] for p in client.get("/api/providers/").json()["results"]}
    assert providers == {"example.com"}
    assert client.get("/api/providers/hush.example/").status_code == 404
    assert client.get("/api/topics/secret-topic/").status_code == 404


def test_sitemaps_list_public_pages_only(client, newsroom):
    make_article("Hidden", published=False, topics=[make_topic("Secret topic")], provider=make_provider("hush.example"))
    index = client.get("/sitemap.xml").content.decode()
    assert "sitemap-articles.xml" in index
    topics = client.get("/sitemap-topics.xml").content.decode()
    assert "/topics/robots/" in topics and "secret-topic" not in topics
    providers = client.get("/sitemap-providers.xml").content.decode()
    assert "/providers/example.com/" in providers and "hush.example" not in providers


def test_search_finds_public_stories_only(client, newsroom):
    # Links, not highlighted titles: PostgreSQL marks the stemmed word, the substring search elsewhere the match.
    body = client.get("/search/?q=robot").content.decode()
    assert f'href="/articles/{newsroom["public"].slug}/"' in body
    for name in ("hidden", "scheduled"):
        assert newsroom[name].slug not in body
    assert "secret" not in body.lower()
    assert client.get("/search/?q=unpublished").content.decode().count('class="card"') == 0
