"""Hits of the public page cache answered before the middleware stack (newsroom/page_hits.py): the same page, the
same headers and the same rules as the full stack, for anonymous readers only."""

import http.client
import logging
import re

import pytest
from django.contrib.auth.models import User
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from newsroom.page_hits import PublicPageHitMiddleware
from tests.public.conftest import make_article
from tests.servers import gunicorn_site, site_env

PAGES = ["/", "/topics/robots/", "/articles/story-robots/", "/feeds/rss/", "/api/articles/", "/sitemap-articles.xml"]
# A CSRF cookie sends an anonymous reader through the full stack, which then answers from the cache too.
FULL_STACK = {"HTTP_COOKIE": "csrftoken=abcdefghijklmnopqrstuvwxyz012345"}


def nonce(headers) -> str:
    """The nonce of a response's CSP header (a Django response, or a dict of headers named in lower case)."""
    policy = headers["content-security-policy"] if isinstance(headers, dict) else headers["Content-Security-Policy"]
    found = re.search(r"'nonce-([^']+)'", policy)  # none when the page has no script
    return found.group(1) if found else "no nonce"


def without_nonce(body: bytes, headers) -> bytes:
    """The body with this response's nonce taken out, after checking that the body holds no other nonce."""
    value = nonce(headers)
    assert set(re.findall(rb'nonce="([^"]+)"', body)) <= {value.encode()}
    return body.replace(value.encode(), b"NONCE")


def took_shortcut(response) -> bool:
    # Only AuthenticationMiddleware, which a hit skips, gives the request a user.
    return not hasattr(response.wsgi_request, "user")


@pytest.fixture
def story(newsroom):
    return make_article("Robots take the night shift", slug="story-robots", topics=[newsroom["robots"]], related=1)


@pytest.mark.parametrize("path", PAGES)
def test_a_hit_is_the_full_stacks_page_with_its_headers(client, newsroom, story, path):
    first = client.get(path)  # a miss: rendered and stored by the full stack
    assert first.status_code == 200 and not took_shortcut(first)
    hit = client.get(path)
    full = Client().get(path, **FULL_STACK)
    assert took_shortcut(hit) and not took_shortcut(full)
    assert hit.status_code == full.status_code == 200
    assert without_nonce(hit.content, hit) == without_nonce(full.content, full) == without_nonce(first.content, first)
    if b"nonce=" in hit.content:
        assert nonce(hit) != nonce(full)  # fresh for every response
    names = {name.lower() for name in hit.headers} | {name.lower() for name in full.headers}
    for name in names - {"content-security-policy"}:
        assert hit.headers.get(name) == full.headers.get(name), name
    assert hit["Content-Security-Policy"].replace(nonce(hit), "") == full["Content-Security-Policy"].replace(
        nonce(full), ""
    )
    assert {"X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy", "Content-Length", "ETag"} <= set(
        hit.headers
    )


def test_a_hit_answers_a_matching_etag_with_304(client, newsroom):
    etag = client.get("/")["ETag"]
    hit = client.get("/", HTTP_IF_NONE_MATCH=etag)
    assert took_shortcut(hit) and hit.status_code == 304 and hit.content == b""


def test_a_hit_keeps_the_pages_key_rules(client, newsroom):
    client.get("/?utm_source=mail")  # stored under the canonical key, as the view reads no utm_source
    hit = client.get("/")
    assert took_shortcut(hit) and hit.status_code == 200
    # An older page is another entry: a miss, answered by the full stack with the right page.
    older = client.get("/?before=bad-cursor")
    assert not took_shortcut(older) and older.status_code == 400


def test_an_unpublished_story_leaves_the_hits_at_once(client, newsroom, story):
    assert story.slug.encode() in client.get("/").content
    hit = client.get("/")
    assert took_shortcut(hit) and story.slug.encode() in hit.content
    story.published = False
    story.save()  # the admin's form: the public version moves on
    after = client.get("/")
    assert not took_shortcut(after) and story.slug.encode() not in after.content
    again = client.get("/")
    assert took_shortcut(again) and story.slug.encode() not in again.content
    assert client.get(f"/articles/{story.slug}/").status_code == 404


def test_logged_in_editors_never_get_the_shortcut(client, newsroom):
    editor = User.objects.create_user("edna", is_staff=True)
    client.get("/")
    assert took_shortcut(client.get("/"))
    client.force_login(editor)
    response = client.get("/")
    assert response.status_code == 200 and not took_shortcut(response)
    assert response.wsgi_request.user == editor


def test_other_methods_and_uncached_pages_take_the_full_stack(client, newsroom):
    client.get("/")
    assert not took_shortcut(client.post("/"))
    assert client.get("/admin/login/").status_code == 200
    assert not took_shortcut(client.get("/admin/login/"))
    assert not took_shortcut(client.get("/healthz"))


def test_a_hit_is_logged(client, newsroom, caplog):
    client.get("/topics/robots/")
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="newsroom.requests"):
        hit = client.get("/topics/robots/?utm_source=mail")
    assert took_shortcut(hit)
    [record] = [record for record in caplog.records if record.name == "newsroom.requests"]
    assert record.fields["path"] == "/topics/robots/" and record.fields["status"] == 200
    assert record.fields["query"] == "utm_source=mail"  # as the reader sent it


def test_hits_count_against_the_search_limit(client, newsroom, settings):
    caches["default"].clear()  # the counts of earlier tests
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"search": "2/minute"}}
    assert client.get("/search/?q=robots").status_code == 200
    hit = client.get("/search/?q=robots")
    assert took_shortcut(hit) and hit.status_code == 200
    refused = client.get("/search/?q=robots")
    assert refused.status_code == 429 and not took_shortcut(refused)


def test_the_https_redirect_comes_before_a_hit(client, newsroom, settings):
    client.get("/")
    settings.SECURE_SSL_REDIRECT = True
    response = Client().get("/")
    assert response.status_code == 301 and response["Location"] == "https://testserver/"


def test_a_middleware_it_does_not_know_stops_the_start(settings):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "tests.public.test_page_hits.Unknown"]
    with pytest.raises(ImproperlyConfigured, match="Unknown"):
        PublicPageHitMiddleware(lambda request: None)


@pytest.mark.django_db(transaction=True)
def test_gunicorn_serves_hits_like_the_full_stack(django_db_setup, tmp_path):
    make_article("Robots learn to fold laundry", slug="story-robots")

    def get(path: str, cookie: str = "", method: str = "GET", **headers) -> tuple[int, bytes, dict]:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            headers = {"Host": "127.0.0.1", **({"Cookie": cookie} if cookie else {}), **headers}
            connection.request(method, path, headers=headers)
            response = connection.getresponse()
            return response.status, response.read(), {name.lower(): value for name, value in response.getheaders()}
        finally:
            connection.close()

    with gunicorn_site(site_env(), tmp_path / "gunicorn.log") as site:
        port = int(site.base_url.rsplit(":", 1)[1])
        ready = len(site.log_lines())
        get("/")  # a miss
        hit = get("/")  # a hit inside Django, which leaves a route (newsroom.page_hits)
        early = get("/")  # answered in front of Django's handler (newsroom.wsgi_hits)
        full = get("/", "csrftoken=abcdefghijklmnopqrstuvwxyz012345")
        head = get("/", method="HEAD")
        not_modified = get("/", **{"If-None-Match": early[2]["etag"]})
        lines = site.log_lines()[ready:]
    assert hit[0] == early[0] == full[0] == head[0] == 200 and not_modified[0] == 304
    assert b"story-robots" in early[1]
    full_body, full_headers = full[1:]
    for _, body, headers in (hit, early):
        assert without_nonce(body, headers) == without_nonce(full_body, full_headers)
        assert set(headers) == set(full_headers)
        for name in set(headers) - {"content-security-policy", "date"}:
            assert headers[name] == full_headers[name], name
        assert int(headers["content-length"]) == len(body)
    assert nonce(early[2]) not in (nonce(hit[2]), nonce(full_headers))
    assert head[1] == b"" and head[2]["content-length"] == early[2]["content-length"]
    assert not_modified[1] == b"" and not_modified[2]["etag"] == early[2]["etag"]
    requests = [line for line in lines if "msg=request" in line and "path=/ " in line]
    assert len(requests) == 6, "\n".join(lines)
    assert [re.search(r"status=(\d+)", line).group(1) for line in requests] == ["200"] * 5 + ["304"]
