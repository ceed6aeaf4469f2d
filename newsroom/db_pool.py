"""How often psycopg's connection pool tries to reconnect while PostgreSQL is away.

psycopg_pool retries a failed connection after 1 s, then doubles the wait (2, 4, 8 … s) up to its
`reconnect_timeout`: after a 20 s outage the first request could wait 8 s more once the database was back.
The same back-off spaces the pool's checks of stale connections handed out after a restart. Django builds
the pool itself, so the policy cannot be passed in; it lives in two class attributes of
`psycopg_pool.base.AttemptWithBackoff`, set here once per process (settings.py calls this). A constant
interval bounds the recovery after any outage by about one interval (tests/infra/test_database_down.py).
"""

from psycopg_pool.base import AttemptWithBackoff


def retry_connections_every(seconds: float) -> None:
    AttemptWithBackoff.INITIAL_DELAY = seconds
    AttemptWithBackoff.DELAY_BACKOFF = 1.0
