"""read_int(): the one read each cache hit answered in front of Django's handler makes (the public version), cheaper
than get() but the same value (newsroom/cache_backends.py): on Redis, through a restart; on the database cache, on
PostgreSQL and on SQLite (tests/public/test_river_sqlite.py runs that test again there)."""

import time
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import caches
from django.core.management import call_command
from django.db import DatabaseError, connection

from newsroom.cache_backends import ResilientRedisCache


def redis_cache(url: str) -> ResilientRedisCache:
    options = {"socket_connect_timeout": 0.2, "socket_timeout": 0.2, "retry_interval": 0}
    return ResilientRedisCache(url, {"KEY_PREFIX": "p", "OPTIONS": options})


def test_redis_reads_what_get_returns(redis_up):
    cache = redis_cache(redis_up.url)
    assert cache.read_int("public:version") is None
    cache.set("public:version", time.time_ns(), timeout=None)  # as articles.cache sets a missing version
    assert cache.read_int("public:version") == cache.get("public:version") > 0
    cache.incr("public:version")
    assert cache.read_int("public:version") == cache.get("public:version")
    cache.add("other", 41)
    cache.incr("other")
    assert cache.read_int("other") == 42 and cache.read_int("public:version") != 42
    # The key is the backend's own (prefix and version), as set() wrote it: another prefix reads nothing.
    assert ResilientRedisCache(redis_up.url, {}).read_int("public:version") is None


def test_redis_reads_again_after_a_restart_and_fail_soft_while_it_is_down(redis_up):
    cache = redis_cache(redis_up.url)
    cache.set("public:version", 7, timeout=None)
    assert cache.read_int("public:version") == 7
    redis_up.stop()
    redis_up.start()  # empty, and the read's connection is closed
    cache.set("public:version", 8, timeout=None)
    assert cache.read_int("public:version") == 8 and not cache.degraded
    redis_up.stop()
    assert cache.read_int("public:version") is None and cache.degraded
    redis_up.start()
    cache.set("public:version", 9, timeout=None)
    assert cache.read_int("public:version") == 9 and not cache.degraded


@pytest.fixture
def database_cache(db, settings):
    backend = {"BACKEND": "newsroom.cache_backends.AtomicDatabaseCache", "LOCATION": "newsroom_test_ints"}
    settings.CACHES = {**settings.CACHES, "ints": {**backend, "KEY_PREFIX": "p", "TIMEOUT": None}}
    call_command("createcachetable", verbosity=0)
    return caches["ints"]


def test_the_database_cache_reads_what_get_returns(database_cache):
    cache = database_cache
    assert cache.read_int("public:version") is None
    cache.set("public:version", time.time_ns())
    assert cache.read_int("public:version") == cache.get("public:version") > 0
    cache.incr("public:version")
    assert cache.read_int("public:version") == cache.get("public:version")
    cache.set("soon", 5, timeout=60)
    assert cache.read_int("soon") == 5
    with time_machine.travel(timedelta(seconds=61)):
        assert cache.read_int("soon") is None and cache.get("soon") is None


@pytest.mark.django_db(transaction=True)
def test_a_lost_database_connection_raises_djangos_error(database_cache):
    # newsroom/wsgi_hits.py hands the request to Django on a DatabaseError: the 503 page, or a new connection.
    database_cache.set("public:version", 1)
    assert database_cache.read_int("public:version") == 1
    connection.connection.close()  # what a PostgreSQL restart leaves in the worker
    try:
        with pytest.raises(DatabaseError):
            database_cache.read_int("public:version")
    finally:
        connection.close()
    assert database_cache.read_int("public:version") == 1
