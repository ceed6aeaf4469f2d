"""`/healthz`: can this process reach its database and its cache right now?

Load balancers poll it on every app server: 200 while the site can serve, 503 when it cannot. A dead cache
does not stop the site (pages are rendered from the database), so it answers 200 with `"cache": "degraded"`;
a dead database answers 503 within HEALTHZ_DATABASE_TIMEOUT seconds instead of the pool's request timeout.
"""

import psycopg
from django.conf import settings
from django.core.cache import caches
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from newsroom.db_pool import database_reachable, database_unreachable


def database_available() -> bool:
    pool = getattr(connection, "pool", None)
    try:
        if pool is None:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        else:
            # Straight from the pool, with a timeout of its own (shorter still once this process knows the
            # database is away): the pool's `timeout` is for readers' requests.
            pool.open()
            with pool.connection(timeout=min(settings.HEALTHZ_DATABASE_TIMEOUT, pool.timeout)) as conn:
                conn.execute("SELECT 1")
    except (DatabaseError, psycopg.Error):
        database_unreachable(connection)
        return False
    database_reachable(connection)
    return True


def cache_available() -> bool:
    """False when the shared cache does not answer (only the Redis backend can tell; others count as up)."""
    ping = getattr(caches["public"], "ping", None)
    return ping() if ping is not None else True


@never_cache
def healthz(request):
    database = database_available()
    cache = cache_available()
    body = {
        "status": "ok" if database and cache else ("degraded" if database else "error"),
        "database": "ok" if database else "unavailable",
        "cache": "ok" if cache else "degraded",
    }
    return JsonResponse(body, status=200 if database else 503)
