"""Hostile input stays text: titles, excerpts, names and URLs in HTML, meta tags, JSON-LD, feeds and the API."""

import json
from html.parser import HTMLParser

import pytest
from django.utils.html import escape

from articles.models import Image
from articles.templatetags.newsroom import safe_url
from tests.public.conftest import HOSTILE, make_article, make_provider, make_topic, parse_xml

BAD_URL = "javascript:alert(1)"


class Page(HTMLParser):
    """What a browser would see: elements, attributes and script bodies."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.elements, self.scripts, self.text, self._script = [], [], "", None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.elements.append((tag, attrs))
        if tag == "script":
            self._script = [attrs, ""]

    def handle_data(self, data):
        if self._script is not None:
            self._script[1] += data
        else:
            self.text += data

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            self.scripts.append(tuple(self._script))
            self._script = None

    def urls(self):
        return [value for _, attrs in self.elements for name, value in attrs.items() if name in ("href", "src")]

    def meta(self, key):
        return [attrs["content"] for tag, attrs in self.elements if tag == "meta" and key in attrs.values()]


@pytest.fixture
def hostile(db):
    provider = make_provider("evil.example", HOSTILE)
    story = make_article(
        HOSTILE,
        excerpt=HOSTILE,
        provider=provider,
        topics=[make_topic(HOSTILE, slug="hostile")],
        related=1,
        original_url=BAD_URL,
        amp_url="data:text/html,<script>alert(1)</script>",
        slug="hostile-story",
    )
    Image.objects.filter(article=story).update(title=HOSTILE, url=BAD_URL)
    link = story.related_links.get()
    link.title, link.web_url = HOSTILE, BAD_URL
    link.save()
    Image.objects.filter(provider=provider).update(url="JaVaScRiPt:alert(2)")
    return story


def assert_inert(html: str):
    page = Page(html)
    assert "<script>alert" not in html and "<img src=x" not in html
    for attrs, body in page.scripts:
        # Only our own scripts: the deferred bundle and the JSON-LD data block.
        assert attrs.get("type") == "application/ld+json" or attrs.get("src", "").startswith("/static/newsroom")
        assert "</" not in body
    assert not [attrs for _, attrs in page.elements if any(name.startswith("on") for name in attrs)]
    for url in page.urls():
        assert url.startswith(("https://", "http://", "/", "?", "#")) and not url.startswith("//"), url
    return page


@pytest.mark.parametrize(
    "path",
    ["/", "/top/", "/articles/hostile-story/", "/topics/hostile/", "/providers/evil.example/", "/search/?q=alert"],
)
def test_pages_render_hostile_text_as_text(client, hostile, path):
    response = client.get(path)
    assert response.status_code == 200
    page = assert_inert(response.content.decode())
    # Shown as text: the whole of it, or on the search page the highlighted snippet around the match.
    assert ("alert" if path.startswith("/search/") else HOSTILE) in page.text


def test_story_meta_tags_and_json_ld_round_trip_hostile_text(client, hostile):
    page = assert_inert(client.get("/articles/hostile-story/").content.decode())
    assert page.meta("og:title") == [HOSTILE]
    assert page.meta("twitter:title") == [HOSTILE]
    assert page.meta("og:image") == []  # the lead image's URL is javascript:, so no image at all
    (data,) = [json.loads(body) for attrs, body in page.scripts if attrs.get("type") == "application/ld+json"]
    assert data["@type"] == "NewsArticle"
    assert data["headline"] == HOSTILE[:110]
    assert data["publisher"]["name"] == HOSTILE
    assert data["isBasedOn"] == hostile.web_url  # original_url is javascript:, so the web URL stands in
    links = [attrs for tag, attrs in page.elements if tag == "a" and attrs.get("rel") == "noopener noreferrer"]
    assert [attrs["href"] for attrs in links] == [hostile.web_url]  # the web_url fallback; AMP was data:


def test_search_snippets_escape_before_highlighting(client, hostile):
    html = client.get("/search/?q=alert").content.decode()
    assert_inert(html)
    assert "<mark>" in html


@pytest.mark.parametrize("path", ["/feeds/rss/", "/feeds/atom/", "/feeds/topics/hostile/rss/"])
def test_feeds_are_valid_xml_with_escaped_html(client, hostile, path):
    response = client.get(path)
    root = parse_xml(response.content)
    titles = [element.text for element in root.iter() if element.tag.endswith("title")]
    descriptions = [e.text for e in root.iter() if e.tag.endswith("description") or e.tag.endswith("summary")]
    # RSS readers treat titles as HTML (escaped once more); Atom titles are text; descriptions are HTML in both.
    assert (escape(HOSTILE) if "rss" in path else HOSTILE) in titles
    assert escape(HOSTILE) in descriptions
    assert b"javascript:" not in response.content.lower()


def test_api_keeps_text_as_data_and_drops_unsafe_urls(client, hostile):
    story = client.get("/api/articles/hostile-story/").json()
    assert story["title"] == HOSTILE
    assert story["original_url"] == hostile.web_url
    assert story["amp_url"] is None
    assert story["image"] is None or story["image"]["url"] is None
    assert story["provider"]["logo"]["url"] is None
    assert story["related"][0]["original_url"] is None
    assert "javascript" not in json.dumps(story).lower()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://example.com/a?b=1", "https://example.com/a?b=1"),
        ("HTTP://Example.com/", "HTTP://Example.com/"),
        ("/media/images/a.jpg", "/media/images/a.jpg"),
        ("javascript:alert(1)", ""),
        (" javascript:alert(1)", ""),
        ("java\tscript:alert(1)", ""),
        ("JAVASCRIPT:alert(1)", ""),
        ("data:image/png;base64,AAAA", ""),
        ("vbscript:msgbox", ""),
        ("//evil.example/x.js", ""),
        ("/\\evil.example/x.js", ""),
        ("https:/evil.example", ""),
        ("https:///evil.example", ""),
        ("ftp://example.com/file", ""),
        ("https://example.com/\nnext", ""),
        ("relative/path", ""),
        ("", ""),
        (None, ""),
    ],
)
def test_safe_url_lets_only_http_and_site_paths_through(value, expected):
    assert safe_url(value) == expected
