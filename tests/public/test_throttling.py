"""Per-client rate limits: search, the API (cached responses included) and admin login attempts answer 429 with
Retry-After past their limit; the client is REMOTE_ADDR unless trusted proxies are configured."""

import os
import subprocess
import sys

import pytest
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.test import RequestFactory

from newsroom import throttling
from newsroom.clients import client_address, client_bucket
from tests.conftest import REPO


class Clock:
    def __init__(self):
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(throttling.ClientRateThrottle, "timer", clock)
    return clock


@pytest.fixture
def limits(settings):
    """Set rates for this test (the suite runs without any) on a clean shared cache."""
    caches["default"].clear()

    def set_limits(**rates):
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}

    yield set_limits
    caches["default"].clear()


def test_search_answers_429_with_retry_after_past_its_limit(client, newsroom, limits, clock):
    limits(search="3/minute")
    for _ in range(3):
        assert client.get("/search/", {"q": "robots"}).status_code == 200
    clock.now += 20
    refused = client.get("/search/", {"q": "chips"})
    assert refused.status_code == 429
    assert refused["Retry-After"] == "40"  # the oldest of the three leaves the window in 40 s
    html = refused.content.decode()
    assert '<h1 id="page-title">Too many requests</h1>' in html and "try again in 40 seconds" in html
    assert '<header class="site-header">' in html and "no-store" in refused["Cache-Control"]
    assert client.get("/").status_code == 200  # the rest of the site is not limited
    clock.now += 40
    assert client.get("/search/", {"q": "robots"}).status_code == 200


def test_the_api_counts_cached_responses_too(client, newsroom, limits, clock, django_assert_num_queries):
    limits(api="2/minute")
    assert client.get("/api/articles/").status_code == 200
    with django_assert_num_queries(0):
        assert client.get("/api/articles/").status_code == 200  # from the page cache: still counted
    refused = client.get("/api/articles/")
    assert refused.status_code == 429
    assert refused.json() == {"detail": "Too many requests from your address. Please try again in 60 seconds."}
    assert refused["Retry-After"] == "60"
    assert client.get("/api/topics/").status_code == 429  # one allowance for the whole API
    assert client.get("/api/schema/").status_code == 429


def test_each_client_has_its_own_allowance(client, newsroom, limits, clock):
    limits(api="1/minute")
    assert client.get("/api/articles/").status_code == 200
    assert client.get("/api/articles/").status_code == 429
    assert client.get("/api/articles/", REMOTE_ADDR="198.51.100.7").status_code == 200


def test_x_forwarded_for_is_the_clients_own_word_without_a_trusted_proxy(client, newsroom, limits, clock):
    limits(api="1/minute")
    assert client.get("/api/articles/", HTTP_X_FORWARDED_FOR="203.0.113.1").status_code == 200
    assert client.get("/api/articles/", HTTP_X_FORWARDED_FOR="203.0.113.2").status_code == 429


def test_behind_a_trusted_proxy_the_forwarded_address_counts(client, newsroom, limits, clock, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    limits(api="1/minute")
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    assert client.get("/api/articles/", HTTP_X_FORWARDED_FOR="203.0.113.1", **proxy).status_code == 200
    assert client.get("/api/articles/", HTTP_X_FORWARDED_FOR="203.0.113.2", **proxy).status_code == 200
    # What the client wrote itself (left of the proxy's entry) changes nothing.
    spoofed = client.get("/api/articles/", HTTP_X_FORWARDED_FOR="192.0.2.9, 203.0.113.1", **proxy)
    assert spoofed.status_code == 429


def test_login_attempts_are_limited_but_not_the_login_page(client, db, limits, clock):
    limits(login="2/minute")
    for _ in range(2):
        assert client.post("/admin/login/", {"username": "nobody", "password": "wrong"}).status_code == 200
    refused = client.post("/admin/login/", {"username": "someone-else", "password": "wrong"})
    assert refused.status_code == 429 and refused["Retry-After"] == "60"
    assert client.get("/admin/login/").status_code == 200


class UnreachableCache(LocMemCache):
    """A cache server that is down (what a Redis client raises when nothing listens)."""

    def get(self, *args, **kwargs):
        raise ConnectionError("Connection refused")

    set = add = incr = get


def test_an_unreachable_cache_lets_requests_through(client, newsroom, limits, settings):
    limits(search="1/minute")
    settings.CACHES = {**settings.CACHES, "default": {"BACKEND": f"{__name__}.UnreachableCache"}}
    for _ in range(3):
        assert client.get("/search/", {"q": "robots"}).status_code == 200


def test_rates_come_from_the_environment_and_are_checked():
    def check(**env):
        base = {"PATH": os.environ["PATH"], "DJANGO_SECRET_KEY": "x" * 50, "DATABASE_URL": "sqlite:///:memory:"}
        code = "from django.conf import settings; print(settings.REST_FRAMEWORK['DEFAULT_THROTTLE_RATES'])"
        return subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=REPO, env=base | env,
                              capture_output=True, text=True, timeout=60)  # fmt: skip

    defaults = check()
    assert "'api': '120/minute', 'search': '30/minute', 'login': '20/minute'" in defaults.stdout, defaults.stderr
    assert "'search': '5/second'" in check(RATE_LIMIT_SEARCH="5/second").stdout
    assert "'api': None" in check(RATE_LIMIT_API="off").stdout
    bad = check(RATE_LIMIT_API="lots")
    assert bad.returncode != 0 and "RATE_LIMIT_API must look like 30/minute" in bad.stderr


@pytest.mark.parametrize(
    ("remote", "forwarded", "proxies", "address", "bucket"),
    [
        ("192.0.2.1", "", 0, "192.0.2.1", "192.0.2.1"),
        ("192.0.2.1", "203.0.113.5", 0, "192.0.2.1", "192.0.2.1"),
        ("10.0.0.1", "203.0.113.5", 1, "203.0.113.5", "203.0.113.5"),
        ("10.0.0.1", "198.51.100.1, 203.0.113.5", 1, "203.0.113.5", "203.0.113.5"),
        ("10.0.0.1", "203.0.113.5, 10.0.0.2", 2, "203.0.113.5", "203.0.113.5"),
        ("10.0.0.1", "203.0.113.5", 2, "10.0.0.1", "10.0.0.1"),  # fewer hops than proxies: only the socket
        ("10.0.0.1", "not-an-address", 1, "10.0.0.1", "10.0.0.1"),
        ("2001:db8:1:2:3:4:5:6", "", 0, "2001:db8:1:2:3:4:5:6", "2001:db8:1:2::"),
        ("::ffff:192.0.2.7", "", 0, "::ffff:192.0.2.7", "192.0.2.7"),
    ],
)
def test_client_address(settings, remote, forwarded, proxies, address, bucket):
    settings.TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_address(request.META) == address
    assert client_bucket(request) == bucket
