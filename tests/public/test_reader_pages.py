"""What a new reader meets on every page: the brand and favicon, the topic navigation, filters in a reader's
terms, clear empty states, and the story page's structured data."""

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from articles.cache import bump_public_version
from articles.models import Image
from articles.selectors import TopicEntry, TopicIndex, topic_index
from tests.public.conftest import HOSTILE, make_article, make_provider, make_topic


def test_favicon_and_touch_icon_are_served_at_the_root(client, db):
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon["Content-Type"] in ("image/x-icon", "image/vnd.microsoft.icon")
    assert b"".join(icon.streaming_content)[:4] == b"\x00\x00\x01\x00"  # an ICO file
    touch = client.get("/apple-touch-icon.png")
    assert touch.status_code == 200 and touch["Content-Type"] == "image/png"


def test_every_page_links_the_icons_and_shows_the_brand_mark(client, newsroom):
    for path in ("/", f"/articles/{newsroom['public'].slug}/", "/search/?q=x", "/no-such-page/"):
        html = client.get(path).content.decode()
        head = html.split("</head>")[0]
        assert '<link rel="icon" href="/favicon.ico" sizes="32x32">' in head, path
        assert re.search(r'<link rel="icon" href="/static/favicon\.[0-9a-f]{12}\.svg" type="image/svg\+xml">', head)
        assert re.search(r'<a class="brand" href="/"><img class="brand-mark" src="/static/favicon\.[0-9a-f]{12}\.svg" '
                         r'alt="" width="32" height="32">Newsroom</a>', html), path  # fmt: skip
    svg = client.get(re.search(r"/static/favicon\.[0-9a-f]{12}\.svg", html).group())
    assert svg.status_code == 200 and svg["Content-Type"] == "image/svg+xml"


def topic_links(html: str) -> list[str]:
    nav = re.search(r'<nav class="topic-nav" aria-label="Topics">(.*?)</nav>', html, re.S)
    return re.findall(r'<a href="/topics/([^/]+)/"', nav.group(1)) if nav else []


def test_topic_navigation_offers_the_topics_that_have_public_stories(client, db):
    ai = make_topic("AI")
    robots, chips = make_topic("Robots", parent=ai), make_topic("Chips", parent=ai)
    make_topic("Empty", parent=ai)
    hidden = make_topic("Hidden", parent=ai)
    story = make_article("On robots", topics=[robots])
    make_article("On chips", topics=[chips])
    make_article("Draft", topics=[hidden], published=False)
    # One root holds every story: the site is about it, so its sub-topics are the navigation.
    for path in ("/", "/top/", "/search/", f"/articles/{story.slug}/", "/topics/ai/", "/providers/example.com/"):
        assert topic_links(client.get(path).content.decode()) == ["chips", "robots"], path
    assert 'href="/topics/chips/" aria-current="page">Chips</a>' in client.get("/topics/chips/").content.decode()


def test_topic_navigation_walks_down_from_a_single_root_only():
    def index(*rows):
        return TopicIndex([TopicEntry(*row) for row in rows])

    two_roots = index((1, "AI", "ai", None, "", "", False), (2, "Cars", "cars", None, "", "", True),
                      (3, "Robots", "robots", 1, "", "", True), (4, "Empty", "empty", None, "", "", False))  # fmt: skip
    assert [topic.slug for topic in two_roots.navigation] == ["ai", "cars"]
    chain = index((1, "AI", "ai", None, "", "", False), (2, "ML", "ml", 1, "", "", False),
                  (3, "Deep", "deep", 2, "", "", True), (4, "Vision", "vision", 2, "", "", True))  # fmt: skip
    assert [topic.slug for topic in chain.navigation] == ["deep", "vision"]
    leaf = index((1, "AI", "ai", None, "", "", True), (2, "ML", "ml", 1, "", "", False))
    assert [topic.slug for topic in leaf.navigation] == ["ai"]
    assert index((1, "AI", "ai", None, "", "", False)).navigation == []


def test_topic_navigation_follows_publishing(client, db):
    robots = make_topic("Robots")
    story = make_article("Draft", topics=[robots], published=False)
    assert topic_links(client.get("/").content.decode()) == []
    story.published = True
    story.save()  # the admin's save bumps the public cache version
    assert topic_links(client.get("/").content.decode()) == ["robots"]


@pytest.fixture
def outlets(db):
    ai = make_topic("AI")
    now = timezone.now()
    stories = {
        "fresh": make_article("Fresh", topics=[ai], published_at=now - timedelta(hours=2)),
        "days": make_article(
            "Three days old", provider=make_provider("b.example", "Beta Times"), published_at=now - timedelta(days=3)
        ),
        "weeks": make_article(
            "Three weeks old", provider=make_provider("a.example", "alpha Daily"), published_at=now - timedelta(days=21)
        ),
        "old": make_article("Last year", published_at=datetime(2025, 6, 30, 23, 59, tzinfo=UTC)),
    }
    make_article("Hidden outlet draft", provider=make_provider("hidden.example", "Hidden Outlet"), published=False)
    return stories


def titles(html: str) -> set[str]:
    return set(re.findall(r'<h2 class="card-title"><a href="[^"]+">([^<]+)</a>', html))


def test_the_sidebar_speaks_the_readers_language(client, outlets):
    html = client.get("/").content.decode()
    sidebar = html.split('<aside class="sidebar">')[1].split("</aside>")[0]
    for internal in ("quality", "Type", "Provider", "domain", 'name="type"', "example.com</"):
        assert internal not in sidebar
    # Outlets with public stories only, by name whatever the case; their domain is the (bookmarkable) value.
    options = re.findall(r'<option value="([^"]*)">([^<]+)</option>', sidebar.split('id="f-outlet"')[1])
    assert options == [("", "Any outlet"), ("a.example", "alpha Daily"), ("b.example", "Beta Times"),
                       ("example.com", "Example News")]  # fmt: skip
    assert '<label for="f-outlet">Outlet</label>' in sidebar
    periods = re.findall(r'<input type="radio" name="period" value="([^"]*)"[^>]*> ([^<]+)</label>', sidebar)
    assert periods == [("", "Any time"), ("day", "Past 24 hours"), ("week", "Past week"), ("month", "Past month"),
                       ("custom", "Custom dates")]  # fmt: skip
    assert 'name="period" value="" checked' in sidebar


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("period=day", {"Fresh"}),
        ("period=week", {"Fresh", "Three days old"}),
        ("period=month", {"Fresh", "Three days old", "Three weeks old"}),
        ("provider=b.example", {"Three days old"}),
        ("provider=www.B.example&period=day", set()),
        ("published_after=2025-06-30&published_before=2025-06-30", {"Last year"}),  # the whole day, inclusive
        ("period=custom&published_before=2025-06-29", set()),
    ],
)
def test_reader_filters(client, outlets, query, expected):
    assert titles(client.get(f"/?{query}").content.decode()) == expected


def test_chosen_filters_stay_chosen(client, outlets):
    html = client.get("/?provider=b.example&published_after=2025-01-01").content.decode()
    assert '<option value="b.example" selected>Beta Times</option>' in html
    assert 'name="period" value="custom" checked' in html  # dates without a preset are a custom range
    assert 'name="published_after" value="2025-01-01"' in html
    gone = client.get("/?provider=gone.example&topic=nope").content.decode()
    assert '<option value="gone.example" selected>gone.example</option>' in gone
    assert '<option value="nope" selected>nope</option>' in gone
    hostile = client.get("/", {"provider": "csp-nonce<b>", "topic": "<i>"}).content.decode()
    assert "<b>" not in hostile and "<i>" not in hostile
    assert '<option value="csp-nonce&lt;b&gt;" selected>csp-nonce&lt;b&gt;</option>' in hostile
    # A NUL (the page cache's nonce placeholder is made of them) never reaches a page: refused with a 400.
    assert client.get("/", {"provider": "\x00csp-nonce\x00"}).status_code == 400


def test_a_filter_matching_nothing_says_so_and_offers_a_way_out(client, outlets):
    html = client.get("/?provider=b.example&period=day").content.decode()
    assert "No stories match these filters." in html and '<a href="?">clear the filters</a>' in html
    assert "No stories have been published yet." not in html


def test_search_without_matches_says_so_and_echoes_the_query_as_text(client, newsroom):
    response = client.get("/search/", {"q": HOSTILE})
    html = response.content.decode()
    assert response.status_code == 200
    empty = html.split('<div class="empty-state" role="status">')[1].split("</div>")[0]
    assert "No stories match “&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in empty
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "Try fewer or different words" in empty and '<a href="/">latest stories</a>' in empty


def test_search_without_a_query_invites_one(client, newsroom):
    html = client.get("/search/").content.decode()
    assert "Search the headlines and summaries of every published story." in html
    assert "empty-state" not in html


def json_ld(html: str) -> dict:
    return json.loads(re.search(r'<script type="application/ld\+json"[^>]*>(.*?)</script>', html, re.S).group(1))


def test_json_ld_has_date_modified_and_the_publishers_logo(client, newsroom):
    story = newsroom["public"]
    published = story.published_at
    data = json_ld(client.get(f"/articles/{story.slug}/").content.decode())
    assert data["@type"] == "NewsArticle"
    assert data["dateModified"] == published.isoformat()  # never changed since: the publication
    assert data["publisher"]["logo"] == {
        "@type": "ImageObject", "url": "https://img.example.com/logo.png", "width": 50, "height": 50,
    }  # fmt: skip

    imported, reviewed = published + timedelta(hours=1), published + timedelta(hours=3)
    type(story).objects.filter(pk=story.pk).update(last_imported_at=imported)
    type(story).objects.filter(pk=story.pk).update(reviewed_at=reviewed)  # an editor's change, later
    bump_public_version()  # as the import and the admin do after such writes
    html = client.get(f"/articles/{story.slug}/").content.decode()
    assert json_ld(html)["dateModified"] == reviewed.isoformat()
    assert f'<meta property="article:modified_time" content="{reviewed.isoformat()}">' in html


def test_json_ld_publisher_logo_is_left_out_when_unknown_or_unsafe(client, db):
    bare = make_article("No logo", provider=make_provider("bare.example", "Bare", logo=False), slug="no-logo")
    assert "logo" not in json_ld(client.get(f"/articles/{bare.slug}/").content.decode())["publisher"]
    unsafe = make_provider("unsafe.example", "Unsafe", logo=False)
    Image.objects.create(provider=unsafe, url="javascript:alert(1)")
    story = make_article("Unsafe logo", provider=unsafe, slug="unsafe-logo")
    assert "logo" not in json_ld(client.get(f"/articles/{story.slug}/").content.decode())["publisher"]


def test_the_index_knows_outlets_only_when_asked_and_is_kept_until_a_public_change(db, django_assert_num_queries):
    story = make_article("Public", topics=[make_topic("AI")])
    make_article("Draft", provider=make_provider("draft.example", "Draft Outlet"), published=False)
    index = topic_index(outlets=True)
    assert [outlet.domain for outlet in index.outlets] == ["example.com"]
    assert topic_index().outlets == []
    with django_assert_num_queries(0):
        assert [outlet.domain for outlet in topic_index(outlets=True).outlets] == ["example.com"]
    story.published = False
    story.save()  # a public change: the index is computed again
    with django_assert_num_queries(2):  # the index, and when the next scheduled story is due (cache lifetime)
        index = topic_index(outlets=True)
    assert index.outlets == [] and index.visible_ids == set()
