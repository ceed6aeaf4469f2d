"""Cache backends for several processes: Redis that fails soft, and a database cache whose `incr` is atomic.

`ResilientRedisCache` turns an unreachable or failing Redis into an empty cache that forgets writes: reads
return their default, writes are dropped, `incr` raises `ValueError` as for a missing key (callers already
handle that). The site keeps serving from the database; `degraded` tells callers (`articles.cache`) that
the last call failed. After a failure the backend does not touch the network for `retry_interval` seconds,
so a dead Redis costs each request nothing rather than a timeout per call; the first call after that tries
again.

Django's Redis backend builds a new `redis.Redis` client for every call, and that constructor registers some 170
response callbacks: about 0.1 ms a call on this machine, a third of a cache hit answered by newsroom/wsgi_hits.py.
`ResilientRedisCache` keeps one client per connection pool instead (a client takes a connection from its pool for
each command, so threads can share it).

`AtomicDatabaseCache` is the shared cache when no Redis is configured in production (settings.py): Django's
`DatabaseCache.incr` is a read and a write, so two workers bumping the public version at once could both
write the same number; a row lock makes the increments queue.

Both have `read_int(key)`, the one read that every cache hit answered in front of Django's handler makes (the
public version, newsroom/wsgi_hits.py): the same value `get` returns, decoded by the same serializer, for a
fraction of its cost (bench/README.md, "Where a hit's time goes now").
"""

import base64
import logging
import os
import pickle
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.db import DatabaseCache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.core.management import call_command
from django.db import connections, router, transaction
from django.utils import timezone
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)
# Refused or lost connections, timeouts, a server still loading its data or refusing writes.
_UNREACHABLE = (RedisError, OSError)


class ReusedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients.setdefault(id(pool), self._client(connection_pool=pool))
        return client


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params):
        options = dict(params.get("OPTIONS", {}))
        self.retry_interval = float(options.pop("retry_interval", 1.0))
        super().__init__(server, {**params, "OPTIONS": options})
        self._class = ReusedClientRedisCacheClient
        self._down = False
        self._retry_at = 0.0
        self._int_reads = {}  # key -> the packed GET command for it
        self._int_connection = None

    @property
    def degraded(self) -> bool:
        """True when the last call to Redis failed (or was skipped because an earlier one had)."""
        return self._down

    def ping(self) -> bool:
        """Ask Redis now, even while waiting after a failure: is it answering?"""
        try:
            self._cache.get_client(None).ping()
        except _UNREACHABLE as error:
            self._failed(error)
            return False
        self._succeeded()
        return True

    def read_int(self, key: str) -> int | None:
        """What `get(key)` returns for a key holding an integer, which this backend stores as plain digits (Django's
        serializer pickles anything but an int; `incr` works on them), or None when missing or unreachable. One GET,
        pre-packed, on a connection of this cache's own to the server it writes to: 12 µs of CPU against 50 µs
        through Django's API and redis-py's client and pool (bench/README.md)."""
        return self._call(self._read_int, None, key)

    def _read_int(self, key: str) -> int | None:
        connection = self._int_connection
        if connection is None or connection.pid != os.getpid():  # first use, or inherited through a fork
            pool = self._cache._get_connection_pool(write=True)
            connection = self._int_connection = pool.connection_class(**pool.connection_kwargs)
            self._int_reads.clear()
        command = self._int_reads.get(key)
        if command is None:
            command = self._int_reads[key] = connection.pack_command("GET", self.make_and_validate_key(key))
        try:
            reply = self._get(connection, command)
        except RedisConnectionError:
            # Closed since the last read (a Redis restart, an idle timeout), which the pool would have noticed
            # before handing the connection out: one new connection. A timeout is not retried (a hung Redis
            # must stay cheap), nor is a second failure.
            reply = self._get(connection, command)
        return None if reply is None else self._cache._serializer.loads(reply)

    @staticmethod
    def _get(connection, command: list[bytes]) -> bytes | None:
        try:
            connection.send_packed_command(command, check_health=False)
            return connection.read_response()
        except BaseException:
            connection.disconnect()  # a reply may be left unread: the next command opens a new socket
            raise

    def _call(self, operation, default, *args, **kwargs):
        if self._down and time.monotonic() < self._retry_at:
            return default
        try:
            result = operation(*args, **kwargs)
        except _UNREACHABLE as error:
            self._failed(error)
            return default
        self._succeeded()
        return result

    def _failed(self, error: Exception) -> None:
        if not self._down:
            logger.warning("cache unavailable (%s: %s): serving without it", type(error).__name__, error)
        self._down = True
        self._retry_at = time.monotonic() + self.retry_interval

    def _succeeded(self) -> None:
        if self._down:
            logger.warning("cache available again")
            self._down = False

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(super().add, False, key, value, timeout, version)

    def get(self, key, default=None, version=None):
        return self._call(super().get, default, key, default, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(super().set, None, key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(super().touch, False, key, timeout, version)

    def delete(self, key, version=None):
        return self._call(super().delete, False, key, version)

    def get_many(self, keys, version=None):
        return self._call(super().get_many, {}, keys, version)

    def has_key(self, key, version=None):
        return self._call(super().has_key, False, key, version)

    def incr(self, key, delta=1, version=None):
        missing = object()
        result = self._call(super().incr, missing, key, delta, version)
        if result is missing:
            raise ValueError(f"Key '{key}' not available: the cache is unreachable.")
        return result

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(super().set_many, list(data), data, timeout, version)

    def delete_many(self, keys, version=None):
        return self._call(super().delete_many, None, keys, version)

    def clear(self):
        return self._call(super().clear, False)


class AtomicDatabaseCache(DatabaseCache):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._int_keys = {}

    def read_int(self, key: str) -> int | None:
        """What `get(key)` returns (None when missing or expired), for an integer: on PostgreSQL one SELECT on
        psycopg's own cursor, 36 µs of client CPU against 100 through `get` (its key checks, the statement built
        each time, Django's cursor wrapper; bench/README.md). PostgreSQL's side (about 30 µs) is the same: the
        statement is not prepared, as Django prepares none, for connection poolers' sake. An expired row is
        left for `get` to delete. Errors are Django's, as from `get`."""
        db = router.db_for_read(self.cache_model_class)
        connection = connections[db]
        if connection.vendor != "postgresql":
            return self.get(key)
        cache_key = self._int_keys.get(key)
        if cache_key is None:
            cache_key = self._int_keys[key] = self.make_and_validate_key(key)
        table = connection.ops.quote_name(self._table)
        connection.ensure_connection()
        with connection.wrap_database_errors, connection.connection.cursor() as cursor:
            cursor.execute(f"SELECT value, expires FROM {table} WHERE cache_key = %s", [cache_key])  # noqa: S608
            row = cursor.fetchone()
        if row is None or row[1] < timezone.now():
            return None
        return pickle.loads(base64.b64decode(row[0].encode()))  # noqa: S301 - written by this cache, as get() reads it

    def incr(self, key, delta=1, version=None):
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        with transaction.atomic(using=db):
            if connection.features.has_select_for_update:
                # Lock the entry's row (if any) so that concurrent increments read one after the other.
                table = connection.ops.quote_name(self._table)
                with connection.cursor() as cursor:
                    cursor.execute(
                        f"SELECT cache_key FROM {table} WHERE cache_key = %s FOR UPDATE",  # noqa: S608 - quoted name
                        [self.make_and_validate_key(key, version=version)],
                    )
            return super().incr(key, delta, version)


def create_cache_tables(*, using: str = "default", **kwargs) -> None:
    """After `migrate`: the tables of the database caches (when settings select them), so nothing else is to run."""
    call_command("createcachetable", database=using, verbosity=0)
