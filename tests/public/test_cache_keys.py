"""The public cache cannot be flooded: pages are keyed by the parameters they read, in one spelling each, and a
path stores a bounded number of query-string variants. Served-from-cache is observed as "costs no query", which
holds whichever cache backend the settings select."""

import re

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from articles import cache, selectors
from articles.views import LIST_PARAMETERS
from tests.public.conftest import make_article, make_topic


def body(response) -> str:
    return re.sub(r'nonce="[^"]+"', "", response.content.decode())


def test_junk_parameters_share_the_canonical_entry(client, newsroom, django_assert_num_queries):
    canonical = client.get("/")
    junk = ["?utm_source=mail", "?utm_source=feed&utm_medium=rss&fbclid=abc", "?x=1", "?ref=home&ref=again"]
    junk += [f"?utm_campaign={n}" for n in range(20)]
    for query in junk:
        with django_assert_num_queries(0):
            response = client.get(f"/{query}")
        assert response.status_code == 200 and body(response) == body(canonical), query


def test_every_junk_url_has_one_key(rf: RequestFactory):
    keys = set()
    for n in range(50):
        request = rf.get("/", {"utm_source": str(n), "gclid": "x" * n, "page": "1"})
        cache.canonical_query(request, LIST_PARAMETERS)
        keys.add(cache._page_key(request, version=1))
    assert len(keys) == 1


def older_link(html: str) -> str:
    return re.search(r'<a rel="next" href="([^"]+)">Older stories', html).group(1).replace("&amp;", "&")


def test_junk_never_reaches_the_stored_page(client, db, monkeypatch):
    monkeypatch.setattr(selectors, "PAGE_SIZE", 1)
    for n in range(3):
        make_article(f"Story {n}")
    second = older_link(client.get("/").content.decode())
    first = client.get(f"/{second}&utm_source=%3Cjunk%3E&evil=1").content.decode()
    # Pagination links are built from the canonical query.
    assert '<a href="?">← Latest stories</a>' in first and re.search(r'href="\?before=[0-9]+_[0-9]+">Older', first)
    assert "utm_source" not in first and "evil" not in first and "junk" not in first


def test_real_parameters_get_their_own_page(client, db, monkeypatch, django_assert_num_queries):
    monkeypatch.setattr(selectors, "PAGE_SIZE", 1)
    ai = make_topic("AI")
    newest = make_article("Newest story", topics=[ai])
    older = make_article("Older story")
    first = client.get("/").content.decode()
    path = "/" + older_link(first)
    second = client.get(path).content.decode()
    assert newest.title in first and older.title not in first
    assert older.title in second and newest.title not in second
    assert older.title not in client.get("/?topic=ai").content.decode()
    with django_assert_num_queries(0):  # each is cached under its own key
        assert newest.title in client.get("/").content.decode()
        assert older.title in client.get(f"{path}&utm_source=x").content.decode()


@pytest.mark.parametrize(
    ("spelling", "canonical"),
    [
        ("/?before=3_1&before=9999999999999999_1", "/?before=9999999999999999_1"),  # the last counts, as views read it
        ("/?before=9999999999999999_001", "/?before=9999999999999999_1"),
        ("/?before=", "/"),
        ("/?page=2", "/"),  # the river has no page numbers
        ("/?quality_min=10&topic=ai", "/?topic=ai&quality_min=10"),
        ("/search/?q=%20robots%20%20fold%20", "/search/?q=robots+fold"),
        ("/search/?page=1&q=robots", "/search/?q=robots"),
        ("/search/?q=", "/search/"),
        ("/api/articles/?utm_source=x&format=json", "/api/articles/"),
        ("/api/articles/?page_size=1&topic=ai&page=01", "/api/articles/?topic=ai&page_size=1"),
        ("/topics/ai/?topic=robots&utm=1", "/topics/ai/?topic=robots"),
        ("/providers/example.com/?x=1", "/providers/example.com/"),
        ("/feeds/rss/?utm_source=x", "/feeds/rss/"),
        ("/sitemap-articles.xml?p=1&x=2", "/sitemap-articles.xml"),
    ],
)
def test_spellings_of_one_page_share_its_entry(
    client, newsroom, monkeypatch, django_assert_num_queries, spelling, canonical
):
    monkeypatch.setattr(selectors, "PAGE_SIZE", 1)
    expected = client.get(canonical)
    assert expected.status_code == 200
    with django_assert_num_queries(0):
        response = client.get(spelling)
    assert body(response) == body(expected)


def test_a_path_stores_a_bounded_number_of_variants(client, newsroom, monkeypatch, django_assert_num_queries):
    monkeypatch.setattr(cache, "MAX_VARIANTS", 3)
    queries = [f"robots{n}" for n in range(6)]
    for q in queries:
        assert client.get("/search/", {"q": q}).status_code == 200
    for q in queries[:3]:  # stored, and stored ones may be stored again
        with django_assert_num_queries(0):
            client.get("/search/", {"q": q})
    for q in queries[3:]:  # rendered for their reader, never stored
        with CaptureQueriesContext(connection) as queries_run:
            response = client.get("/search/", {"q": q})
        assert response.status_code == 200 and q in response.content.decode() and queries_run.captured_queries
    client.get("/")
    with django_assert_num_queries(0):  # other paths have budgets of their own
        client.get("/?before=&utm_source=x")


def test_a_new_version_starts_a_new_budget(client, newsroom, monkeypatch, django_assert_num_queries):
    monkeypatch.setattr(cache, "MAX_VARIANTS", 1)
    client.get("/search/", {"q": "robots"})
    client.get("/search/", {"q": "chips"})
    with CaptureQueriesContext(connection) as queries_run:
        client.get("/search/", {"q": "chips"})  # over budget: it was not stored
    assert queries_run.captured_queries
    cache.bump_public_version()
    client.get("/search/", {"q": "chips"})
    with django_assert_num_queries(0):
        client.get("/search/", {"q": "chips"})
