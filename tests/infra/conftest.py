"""Real services for the multi-process tests: a private Redis, a private PostgreSQL cluster, gunicorn."""

import shutil

import pytest

from harness.services import RedisServer


@pytest.fixture(scope="module")
def redis_server():
    """A Redis of the test's own, which it may stop, freeze and restart (the session's Redis stays up)."""
    if not shutil.which("redis-server"):
        pytest.fail("redis-server is missing: `make test` installs it (scripts/install-system-packages)")
    with RedisServer() as server:
        yield server


@pytest.fixture
def redis_up(redis_server):
    """The private Redis, running and empty, whatever the previous test left."""
    if redis_server.process is None:
        redis_server.start()
    redis_server.resume()
    return redis_server


def redis_caches(url: str, *, retry_interval: float = 0, socket_timeout: float = 0.2) -> dict:
    options = {"socket_connect_timeout": 0.2, "socket_timeout": socket_timeout, "retry_interval": retry_interval}
    backend = "newsroom.cache_backends.ResilientRedisCache"
    return {
        "default": {"BACKEND": backend, "LOCATION": url, "OPTIONS": options},
        "public": {"BACKEND": backend, "LOCATION": url, "KEY_PREFIX": "p", "OPTIONS": options},
    }
