"""The site as production runs it, for tests that need the real thing: gunicorn on 127.0.0.1 against the test
database, its stderr (the logs) written to a file the test reads."""

import http.client
import os
import subprocess
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from django.conf import settings
from django.db import connection

from harness.services import Gunicorn
from tests.conftest import REPO


def subprocess_database_url() -> str:
    """A DATABASE_URL for the database pytest-django set up (subprocesses see only what the tests commit)."""
    if connection.vendor != "postgresql":
        pytest.skip("needs the PostgreSQL test database that `make test` provides")
    db = settings.DATABASES["default"]
    user = quote(db["USER"] or "", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{quote(db['NAME'], safe='')}"


def site_env(**overrides: str) -> dict[str, str]:
    """Production settings from the environment, on plain HTTP, with no rate limit (tests send many requests)."""
    env = {
        "PATH": os.environ["PATH"],
        "DATABASE_URL": subprocess_database_url(),
        "DJANGO_SECRET_KEY": "test-only-not-secret",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_HSTS_SECONDS": "0",
        "RATE_LIMIT_API": "off",
        "RATE_LIMIT_SEARCH": "off",
        "RATE_LIMIT_LOGIN": "off",
        "PYTHONUNBUFFERED": "1",
    }
    for name in ("STATIC_ROOT", "REDIS_URL"):  # the suite's Redis (make test) is the site's shared cache too
        if name in os.environ:
            env[name] = os.environ[name]
    return env | overrides


class Site:
    def __init__(self, base_url: str, process: subprocess.Popen, log: Path):
        self.base_url, self.process, self.log = base_url, process, log

    def fetch(self, method: str, target: str, *, body: bytes | None = None, headers: dict | None = None) -> int:
        """Send `target` (a path and query, sent as given) and return the status."""
        parsed = urlsplit(self.base_url)
        connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=60)
        try:
            connection.request(method, target, body=body, headers={"Host": "127.0.0.1", **(headers or {})})
            return connection.getresponse().status
        finally:
            connection.close()

    def log_lines(self) -> list[str]:
        return self.log.read_text(encoding="utf-8", errors="replace").splitlines()


@contextmanager
def gunicorn_site(env: dict[str, str], log: Path, *, workers: int = 1):
    """gunicorn serving newsroom.wsgi on a free port of 127.0.0.1, its logs in `log`; stopped with its group on exit."""
    # Without Redis, production's shared cache is the database's: its tables come with `migrate`, which the test
    # database (built by pytest-django under the suite's own cache settings) did not run for them.
    subprocess.run(
        [str(REPO / ".venv" / "bin" / "python"), "manage.py", "createcachetable"], cwd=REPO, env=env, check=True
    )
    with Gunicorn(env, workers=workers, log=log) as server:
        yield Site(server.base, server.process, log)
