"""RSS, Atom, sitemap.xml and robots.txt: well-formed, absolute URLs, public stories only."""

import pytest

from tests.public.conftest import make_article, parse_xml

ATOM = "{http://www.w3.org/2005/Atom}"
MEDIA = "{http://search.yahoo.com/mrss/}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def test_rss_is_rss_2_with_media_content(client, newsroom):
    response = client.get("/feeds/rss/")
    assert response["Content-Type"].startswith("application/rss+xml")
    root = parse_xml(response.content)
    assert root.tag == "rss" and root.get("version") == "2.0"
    items = root.findall("./channel/item")
    assert [item.findtext("title") for item in items] == [newsroom["public"].title, newsroom["other"].title]
    first = items[0]
    assert first.findtext("link") == f"http://testserver/articles/{newsroom['public'].slug}/"
    assert first.findtext("guid") == first.findtext("link")
    assert first.findtext("pubDate")
    assert [c.text for c in first.findall("category")] == ["Robots"]
    media = first.find(f"{MEDIA}content")
    assert media.get("url").startswith("https://img.example.com/") and media.get("medium") == "image"
    assert (media.get("width"), media.get("height")) == ("800", "450")


def test_atom_feed_has_entries_with_media_and_self_link(client, newsroom):
    response = client.get("/feeds/atom/")
    assert response["Content-Type"].startswith("application/atom+xml")
    root = parse_xml(response.content)
    assert root.tag == f"{ATOM}feed"
    assert root.find(f"{ATOM}link[@rel='self']").get("href") == "http://testserver/feeds/atom/"
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == 2
    assert entries[0].find(f"{ATOM}author/{ATOM}name").text == "Example News"
    assert entries[0].find(f"{MEDIA}content") is not None


@pytest.mark.parametrize("kind", ["rss", "atom"])
def test_topic_feeds_include_sub_topics(client, newsroom, kind):
    root = parse_xml(client.get(f"/feeds/topics/ai/{kind}/").content)
    titles = {element.text for element in root.iter() if element.tag in ("title", f"{ATOM}title")}
    assert {newsroom["public"].title, newsroom["other"].title} <= titles
    only_robots = parse_xml(client.get(f"/feeds/topics/robots/{kind}/").content)
    titles = {element.text for element in only_robots.iter() if element.tag in ("title", f"{ATOM}title")}
    assert newsroom["public"].title in titles and newsroom["other"].title not in titles


def test_feed_without_images_has_no_media(client, db):
    make_article("Plain", image=False)
    assert MEDIA.strip("{}") not in client.get("/feeds/rss/").content.decode().split("<item>")[1]


def test_sitemap_index_and_sections_are_valid(client, newsroom):
    index = parse_xml(client.get("/sitemap.xml").content)
    locations = [loc.text for loc in index.iter(f"{SITEMAP}loc")]
    assert "http://testserver/sitemap-articles.xml" in locations
    articles = parse_xml(client.get("/sitemap-articles.xml").content)
    urls = {url.findtext(f"{SITEMAP}loc"): url.findtext(f"{SITEMAP}lastmod") for url in articles}
    assert set(urls) == {f"http://testserver/articles/{newsroom[n].slug}/" for n in ("public", "other")}
    assert all(urls.values())
    pages = [loc.text for loc in parse_xml(client.get("/sitemap-pages.xml").content).iter(f"{SITEMAP}loc")]
    assert pages == ["http://testserver/", "http://testserver/top/"]


def test_robots_txt_points_at_the_sitemap(client, db):
    response = client.get("/robots.txt")
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    lines = response.content.decode().splitlines()
    assert "User-agent: *" in lines and "Disallow: /admin/" in lines
    assert "Sitemap: http://testserver/sitemap.xml" in lines


def test_article_sitemap_pages_are_id_ranges(client, db, monkeypatch):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from articles.sitemaps import ArticleSitemap

    monkeypatch.setattr(ArticleSitemap, "limit", 2)
    articles = [make_article(f"Story {n}", published=n != 2) for n in range(5)]
    index = [loc.text for loc in parse_xml(client.get("/sitemap.xml").content).iter(f"{SITEMAP}loc")]
    sections = [loc for loc in index if "sitemap-articles" in loc]
    span = articles[-1].pk - articles[0].pk + 1
    assert len(sections) == -(-span // 2)
    listed = []
    for number in range(1, len(sections) + 1):
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/sitemap-articles.xml", {"p": number})
        assert response.status_code == 200
        # The page's own rows only: no count of the table, no offset read past the earlier pages.
        assert not any("COUNT(" in q["sql"].upper() or "OFFSET" in q["sql"].upper() for q in queries.captured_queries)
        listed += [url.findtext(f"{SITEMAP}loc") for url in parse_xml(response.content)]
    assert listed == [f"http://testserver/articles/{a.slug}/" for a in articles if a.published]
    assert client.get("/sitemap-articles.xml", {"p": len(sections) + 1}).status_code == 404
