"""The cache backends several processes share: Redis failing soft, the database cache counting right."""

import os
import subprocess
import sys
import threading

import pytest
from django.core.cache import caches
from django.core.management import call_command
from django.db import connection

from newsroom.cache_backends import ResilientRedisCache
from tests.conftest import REPO


def resilient(url: str, **options) -> ResilientRedisCache:
    return ResilientRedisCache(url, {"OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2, **options}})


def test_a_dead_redis_reads_as_an_empty_cache_that_forgets_writes(redis_up):
    cache = resilient(redis_up.url, retry_interval=0)
    cache.set("k", "v")
    cache.set("n", 1)
    assert cache.get("k") == "v" and not cache.degraded
    redis_up.stop()
    assert cache.get("k", "fallback") == "fallback"
    assert cache.degraded
    cache.set("k", "lost")  # no exception
    assert cache.add("k", "x") is False and cache.has_key("k") is False and cache.get_many(["k"]) == {}
    with pytest.raises(ValueError):
        cache.incr("n")  # as for a missing key: callers fall back to set()
    assert cache.delete("k") is False
    redis_up.start()
    assert cache.get("k") is None and not cache.degraded  # a restarted Redis is empty, and used again


def test_after_a_failure_redis_is_left_alone_for_the_retry_interval(redis_up):
    cache = resilient(redis_up.url, retry_interval=3600)
    cache.set("k", "v")
    redis_up.pause()  # a network split: the connection hangs, Redis keeps its data
    try:
        assert cache.get("k") is None and cache.degraded
    finally:
        redis_up.resume()
    # Redis answers again, but within the interval nothing is asked of it: a dead Redis costs no timeouts.
    assert cache.get("k") is None and cache.degraded
    assert cache.ping() is True  # /healthz asks at once
    assert cache.get("k") == "v" and not cache.degraded


def test_one_redis_client_serves_every_call_and_thread(redis_up):
    cache = resilient(redis_up.url)
    client = cache._cache.get_client(write=True)
    assert cache._cache.get_client() is client  # built once: Django's backend made one per call (0.1 ms each)
    results = []

    def count(name: str):
        for n in range(200):
            cache.set(f"{name}:{n}", n)
        results.append(sum(cache.get(f"{name}:{n}") for n in range(200)))

    threads = [threading.Thread(target=count, args=(name,)) for name in "abcd"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [sum(range(200))] * 4 and not cache.degraded


@pytest.mark.django_db(transaction=True)
def test_database_cache_increments_are_not_lost_between_workers(settings):
    backend = "newsroom.cache_backends.AtomicDatabaseCache"
    settings.CACHES = {**settings.CACHES, "counter": {"BACKEND": backend, "LOCATION": "newsroom_test_counter"}}
    call_command("createcachetable", verbosity=0)
    caches["counter"].set("version", 0, timeout=None)
    threads, per_thread = 4, 25

    def bump():
        try:
            for _ in range(per_thread):
                caches["counter"].incr("version")  # each thread: its own backend instance and connection
        finally:
            connection.close()

    workers = [threading.Thread(target=bump) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert caches["counter"].get("version") == threads * per_thread


def _cache_backends(**env: str) -> subprocess.CompletedProcess:
    code = "from django.conf import settings; import django; django.setup(); " + (
        "print(settings.CACHES['default']['BACKEND'], settings.CACHES['public']['BACKEND'])"
    )
    base = {"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "newsroom.settings",
            "DATABASE_URL": "sqlite:////tmp/newsroom-check.sqlite3"}  # fmt: skip
    return subprocess.run([sys.executable, "-c", code], cwd=REPO, env={**base, **env}, capture_output=True, text=True)


def test_production_shares_its_cache_by_default():
    production = _cache_backends(DJANGO_SECRET_KEY="s" * 50)
    assert production.stdout.split() == ["newsroom.cache_backends.AtomicDatabaseCache"] * 2
    redis = _cache_backends(DJANGO_SECRET_KEY="s" * 50, REDIS_URL="redis://127.0.0.1:6379/0")
    assert redis.stdout.split() == ["newsroom.cache_backends.ResilientRedisCache"] * 2
    development = _cache_backends(DJANGO_DEBUG="1")
    assert development.stdout.split() == ["django.core.cache.backends.locmem.LocMemCache"] * 2
    wrong = _cache_backends(DJANGO_SECRET_KEY="s" * 50, CACHE_URL="memcached://127.0.0.1:11211")
    assert wrong.returncode != 0 and "CACHE_URL/REDIS_URL must be a redis://" in wrong.stderr


def test_the_suite_runs_its_cache_on_redis_in_make_test():
    # `make test` runs under scripts/with-redis: guard against silently testing local memory there.
    if os.environ.get("REDIS_URL"):
        assert isinstance(caches["public"], ResilientRedisCache)
        assert caches["public"].ping()
