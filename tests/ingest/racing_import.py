"""Run `manage.py import_articles` and meet another import at a barrier: a deterministic race for
tests/ingest/test_concurrent_import.py.

    python -m tests.ingest.racing_import BARRIER_DIR NAME PEERS CHUNK [import_articles arguments ...]

Inside the CHUNK-th write attempt (counted from 1), after the chunk has read and locked what the database holds
and before it writes anything, the process writes BARRIER_DIR/NAME and waits until the PEERS other names are
there too. Two imports of overlapping files thus both find the overlap missing and both insert it: one of them
must lose the race. The hook lives here, in test code, so that production has no barrier to set.
"""

import os
import sys
import time
from pathlib import Path

BARRIER_TIMEOUT = 15  # seconds: the peer is another process of the same test, started at the same time


def main() -> None:
    barrier, name, peers, chunk = Path(sys.argv[1]), sys.argv[2], sys.argv[3].split(","), int(sys.argv[4])
    arguments = sys.argv[5:]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
    import django

    django.setup()
    from django.core.management import execute_from_command_line

    from articles.ingest import loader

    write, provider_ids = loader._write, loader._provider_ids
    state = {"chunks": 0, "waited": False}

    def counting_write(*args, **kwargs):
        state["chunks"] += 1  # every attempt counts: a retried chunk passes the barrier only once
        return write(*args, **kwargs)

    def write_after_the_barrier(*args, **kwargs):
        # The chunk's first write (the outlets it names), right after it decided what to create and update.
        if state["chunks"] == chunk and not state["waited"]:
            state["waited"] = True
            (barrier / name).touch()
            deadline = time.monotonic() + BARRIER_TIMEOUT
            while not all((barrier / peer).exists() for peer in peers):
                if time.monotonic() > deadline:
                    sys.exit(
                        f"racing_import: {name} waited {BARRIER_TIMEOUT} s for {peers} at the barrier;"
                        f" the database's sessions: {_sessions()}"
                    )
                time.sleep(0.01)
        return provider_ids(*args, **kwargs)

    loader._write, loader._provider_ids = counting_write, write_after_the_barrier
    execute_from_command_line(["manage.py", "import_articles", *arguments])


def _sessions() -> list:
    """What the other sessions wait for (a peer that never arrives is usually waiting for a lock this one holds)."""
    import psycopg
    from django.db import connection

    params = connection.get_connection_params()
    with psycopg.connect(
        **{k: v for k, v in params.items() if k in ("host", "port", "dbname", "user", "password")}
    ) as c:
        return c.execute(
            "SELECT pid, state, wait_event_type, wait_event, left(query, 200) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()


if __name__ == "__main__":
    main()
