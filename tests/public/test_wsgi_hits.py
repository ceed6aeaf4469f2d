"""Repeated hits answered in front of Django's handler (newsroom/wsgi_hits.py): the page and headers of the hit they
repeat, a bump seen at once, and Django for everything else. Requests go through the real WSGI application."""

import logging
import re
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.core.cache import caches
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import RequestFactory, override_settings
from django.utils import timezone

from articles.models import Article
from articles.services import unpublish_articles
from newsroom.wsgi_hits import CachedPageHits, door_entries, open_door
from tests.public.conftest import make_article
from tests.public.test_page_hits import nonce, without_nonce


class Answer:
    def __init__(self, status: str, headers: list, body: bytes, through_django: bool):
        self.status = int(status[:3])
        self.header_list = headers
        self.headers = {name.lower(): value for name, value in headers}
        self.body = body
        self.through_django = through_django


@pytest.fixture
def app():
    """The site's WSGI application as newsroom/wsgi.py builds it, under the test's settings."""
    return CachedPageHits(WSGIHandler())


class EnvironFactory(RequestFactory):
    """RequestFactory's environ as a WSGI server hands it over (its WSGIRequest writes the decoded path back in)."""

    def request(self, **request):
        return self._base_environ(**request)


def call(app, path: str = "/", *, method: str = "get", headers: dict | None = None, **environ) -> Answer:
    environ = getattr(EnvironFactory(), method)(path, headers=headers, **environ)
    started = []

    def mark(**kwargs):
        started.append(True)

    captured = {}

    def start_response(status, response_headers, exc_info=None):
        captured.update(status=status, headers=response_headers)

    # As Django's test client does: the test's transaction holds the connection, which a request must not close.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    request_started.connect(mark)
    try:
        result = app(environ, start_response)
        body = b"".join(result)
        getattr(result, "close", lambda: None)()
    finally:
        request_started.disconnect(mark)
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return Answer(captured["status"], captured["headers"], body, bool(started))


@pytest.fixture
def database_cache(db):
    """Production's default shared cache (the database's): its version is what every answer reads."""
    backend = {"BACKEND": "newsroom.cache_backends.AtomicDatabaseCache", "LOCATION": "newsroom_test_public"}
    with override_settings(CACHES={**settings.CACHES, "public": {**backend, "TIMEOUT": None}}):
        call_command("createcachetable", verbosity=0)
        yield caches["public"]


@pytest.fixture
def story(newsroom, database_cache):
    return make_article("Robots take the night shift", slug="story-robots", topics=[newsroom["robots"]], related=1)


def warm(app, path: str = "/") -> Answer:
    """A miss (rendered and stored), then a hit inside Django, which leaves the route; returns that hit."""
    assert call(app, path).through_django
    hit = call(app, path)
    assert hit.status == 200 and hit.through_django
    return hit


@pytest.mark.parametrize("path", ["/", "/topics/robots/", "/articles/story-robots/", "/feeds/rss/", "/sitemap.xml"])
def test_a_repeated_hit_is_the_same_page_with_the_same_headers(app, story, path):
    hit = warm(app, path)
    early = call(app, path)
    assert early.status == 200 and not early.through_django
    assert without_nonce(early.body, early.headers) == without_nonce(hit.body, hit.headers)
    assert set(early.headers) == set(hit.headers)
    for name in set(hit.headers) - {"content-security-policy"}:
        assert early.headers[name] == hit.headers[name], name
    assert early.headers["content-length"] == str(len(early.body))
    assert len([name for name, _ in early.header_list if name.lower() == "content-length"]) == 1
    policy = early.headers["content-security-policy"]
    assert policy.replace(nonce(early.headers), "") == hit.headers["content-security-policy"].replace(
        nonce(hit.headers), ""
    )
    if b"nonce=" in hit.body:  # the page's scripts carry the policy's nonce, a new one for each answer
        assert nonce(early.headers) != nonce(hit.headers)
        assert set(re.findall(rb'nonce="([^"]+)"', early.body)) == {nonce(early.headers).encode()}
        assert nonce(call(app, path).headers) != nonce(early.headers)


def test_an_unpublished_story_leaves_at_once(app, story, django_user_model):
    warm(app)
    assert b"story-robots" in call(app).body
    unpublish_articles(articles=Article.objects.filter(pk=story.pk), by=django_user_model.objects.create_user("ed"))
    after = call(app)
    assert after.through_django and b"story-robots" not in after.body
    assert call(app).through_django  # the route went with its version; the hit inside Django leaves a new one
    again = call(app)
    assert not again.through_django and b"story-robots" not in again.body


def test_a_matching_etag_gets_a_304_with_the_headers_django_gives_it(app, story):
    hit = warm(app)
    etag = {"If-None-Match": hit.headers["etag"]}
    inside = call(app, headers=etag, HTTP_COOKIE="csrftoken=abcdefghijklmnopqrstuvwxyz012345")
    early = call(app, headers=etag)
    assert inside.through_django and not early.through_django
    assert early.status == inside.status == 304 and early.body == inside.body == b""
    assert set(early.headers) == set(inside.headers)
    other = call(app, headers={"If-None-Match": 'W/"something-else"'})
    assert other.status == 200 and not other.through_django and b"story-robots" in other.body


def test_head_gets_the_headers_of_get(app, story):
    hit = warm(app)
    head = call(app, method="head")
    assert head.status == 200 and not head.through_django
    assert set(head.headers) == set(hit.headers) and head.headers["content-length"] == hit.headers["content-length"]


@pytest.mark.parametrize(
    "headers",
    [
        {"Cookie": "sessionid=abc"},
        {"Cookie": "csrftoken=abcdefghijklmnopqrstuvwxyz012345"},
        {"Authorization": "Basic ZWQ6cHc="},
    ],
)
def test_requests_with_a_session_a_form_or_credentials_go_to_django(app, story, headers):
    warm(app)
    assert call(app, headers=headers).through_django


def test_other_urls_and_methods_go_to_django(app, story):
    warm(app)
    assert call(app, method="post").through_django
    # The same page under another spelling has no route of its own yet: Django answers, then leaves one.
    assert call(app, "/?utm_source=mail").through_django
    assert call(app, "/topics/robots").status == 301  # the trailing-slash redirect
    bad_host = call(app, HTTP_HOST="evil.example")
    assert bad_host.status == 400 and bad_host.through_django
    assert call(app, "/healthz").through_django


def test_a_request_handed_to_django_reaches_it_as_the_server_sent_it(app, story):
    # WSGI carries the path's bytes as latin-1 text: Django's handler must get them undecoded, whatever was tried
    # before it (a decoded "٢" cannot be encoded back to latin-1: a 500).
    assert call(app, "/topics/%D9%A2/").status == 404
    warm(app, "/topics/robots/?q=%D9%A2")
    assert not call(app, "/topics/robots/?q=%D9%A2").through_django


class Recording(dict):
    """An environ that notes the name of each entry read from it or from its copies."""

    def __init__(self, entries: dict, read: set):
        super().__init__(entries)
        self.read = read

    def __getitem__(self, name):
        self.read.add(name)
        return super().__getitem__(name)

    def get(self, name, default=None):
        self.read.add(name)
        return super().get(name, default)

    def __contains__(self, name):
        self.read.add(name)
        return super().__contains__(name)

    def copy(self):
        return Recording(self, self.read)


# Read by Django's request but outside a door's verdict: the method and credentials are checked before the door is
# looked up; the body's type, length and stream play no part in a GET's route.
BEFORE_OR_BESIDE_A_DOOR = {"REQUEST_METHOD", "HTTP_AUTHORIZATION", "CONTENT_TYPE", "CONTENT_LENGTH", "wsgi.input"}
PROXIED = {"SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https")}


@pytest.mark.parametrize(
    ("config", "headers", "environ", "exercised"),
    [
        ({}, {"Cookie": "theme=dark"}, {}, {"HTTP_COOKIE", "HTTP_HOST", "PATH_INFO", "QUERY_STRING"}),
        ({"USE_X_FORWARDED_HOST": True}, {"X-Forwarded-Host": "testserver"}, {}, {"HTTP_X_FORWARDED_HOST"}),
        ({"USE_X_FORWARDED_PORT": True}, {"X-Forwarded-Port": "80"}, {"HTTP_HOST": None}, {"HTTP_X_FORWARDED_PORT"}),
        ({}, {}, {"HTTP_HOST": None}, {"SERVER_NAME", "SERVER_PORT", "wsgi.url_scheme"}),
        (PROXIED, {"X-Forwarded-Proto": "https"}, {}, {"HTTP_X_FORWARDED_PROTO"}),
        ({}, {}, {"SCRIPT_URL": "/news/topics/robots/", "SCRIPT_NAME": "/news"}, {"SCRIPT_URL"}),
        ({}, {}, {"REDIRECT_URL": "/news/topics/robots/"}, {"REDIRECT_URL"}),
    ],
)
def test_a_door_is_told_apart_by_every_entry_djangos_request_reads_for_it(
    settings, config, headers, environ, exercised
):
    for name, value in config.items():
        setattr(settings, name, value)
    sent = EnvironFactory().get("/topics/robots/", {"page": "2"}, headers=headers)
    sent.update(environ)
    sent = {name: value for name, value in sent.items() if value is not None}
    read = set()
    assert open_door(Recording(sent, read)) is not None
    assert read >= exercised  # the case takes the branch it is here for
    assert read - BEFORE_OR_BESIDE_A_DOOR <= set(door_entries())


def test_a_request_through_the_proxy_over_https_is_not_answered_from_a_route_left_over_http(app, story, settings):
    settings.SECURE_PROXY_SSL_HEADER = PROXIED["SECURE_PROXY_SSL_HEADER"]
    warm(app)
    assert not call(app).through_django
    secure = [call(app, headers={"X-Forwarded-Proto": "https"}) for _ in range(3)]
    assert secure[0].through_django and secure[0].status == 200
    assert not secure[-1].through_django  # its own route, left by a hit inside Django


def test_a_changed_setting_sends_hits_back_to_django(app, story):
    warm(app)
    assert not call(app).through_django
    with override_settings(SECURE_SSL_REDIRECT=True):
        # A route holds the verdict of checks that read settings; an application built under new ones (Django's
        # middleware reads some settings once) must not inherit it.
        redirect = call(CachedPageHits(WSGIHandler()))
    assert redirect.status == 301 and redirect.headers["location"] == "https://testserver/"


def test_each_answer_is_logged_once(app, story, caplog):
    warm(app, "/topics/robots/")
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="newsroom.requests"):
        assert call(app, "/topics/robots/?utm_source=mail").through_django  # the same page: a hit inside Django
        early = call(app, "/topics/robots/?utm_source=mail")
    assert not early.through_django
    records = [record.fields for record in caplog.records if record.name == "newsroom.requests"]
    assert len(records) == 2
    assert records[-1]["path"] == "/topics/robots/" and records[-1]["status"] == 200
    assert records[-1]["query"] == "utm_source=mail" and records[-1]["client"] == "127.0.0.1"
    assert isinstance(records[-1]["duration_ms"], float)


def test_a_page_is_not_answered_past_a_scheduled_publication(app, story):
    due = (timezone.now() + timedelta(hours=1)).replace(microsecond=0)
    make_article("Scheduled for later", slug="scheduled-later", publish_at=due)
    with time_machine.travel(due - timedelta(seconds=30), tick=False):
        warm(app)
        assert not call(app).through_django
    with time_machine.travel(due + timedelta(seconds=1), tick=False):
        after = call(app)
    assert after.through_django


def test_pages_with_a_rate_limit_are_counted_inside_django(app, story, settings):
    caches["default"].clear()
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"search": "3/minute"}}
    answers = [call(app, "/search/?q=robots") for _ in range(4)]
    assert [answer.status for answer in answers] == [200, 200, 200, 429]
    assert all(answer.through_django for answer in answers)
