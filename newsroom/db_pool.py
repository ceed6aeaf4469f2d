"""How psycopg's connection pool behaves while PostgreSQL is away, and how fast it notices it is back.

psycopg_pool retries a failed connection after 1 s, then doubles the wait (2, 4, 8 … s) up to its
`reconnect_timeout`: after a 20 s outage the first request could wait 8 s more once the database was back.
The same back-off spaces the pool's checks of stale connections handed out after a restart. Django builds
the pool itself, so the policy cannot be passed in; it lives in two class attributes of
`psycopg_pool.base.AttemptWithBackoff`, set here once per process (settings.py calls this). A constant
interval bounds the recovery after any outage by about one interval.

While the database is unreachable, every request would wait the pool's full `timeout` for a connection
that cannot come, holding its worker: with sync workers the queue behind them (a load balancer's
/healthz among them) waits seconds. So after a request of this process failed to reach the database, the
others wait only UNREACHABLE_WAIT seconds (they still get a connection the pool holds or has just
reopened); the first connection handed out again restores the configured timeout.
"""

from django.db.backends.signals import connection_created
from django.dispatch import receiver
from psycopg_pool.base import AttemptWithBackoff

UNREACHABLE_WAIT = 0.05


def retry_connections_every(seconds: float) -> None:
    AttemptWithBackoff.INITIAL_DELAY = seconds
    AttemptWithBackoff.DELAY_BACKOFF = 1.0


def database_unreachable(connection) -> None:
    """Called when a request could not reach the database: the next ones of this process fail fast."""
    pool = getattr(connection, "pool", None)
    if pool is not None:
        pool.timeout = min(pool.timeout, UNREACHABLE_WAIT)


def database_reachable(connection) -> None:
    pool = getattr(connection, "pool", None)
    if pool is not None:
        pool.timeout = connection.settings_dict["OPTIONS"]["pool"].get("timeout", 30.0)


@receiver(connection_created)
def _connected(sender, connection, **kwargs):
    database_reachable(connection)
