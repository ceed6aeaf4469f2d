"""What the benchmarks share: the synthetic corpus under bench/.data and throw-away PostgreSQL databases."""

import fcntl
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from tests import shared  # noqa: E402 - the one lookup of the shared directory, after REPO is importable

PYTHON = REPO / ".venv" / "bin" / "python"
DATA_ROOT = REPO / "bench" / ".data"


def ensure_corpus(count: int, log: Callable[[str], None]) -> Path:
    """bench/.data/items-N with exactly N files from the shared generator (seed 1), made once for every benchmark.

    A lock file serialises concurrent runs; the files are generated into a private directory that is renamed
    into place when complete, so a directory of the final name is never half written.
    """
    directory = DATA_ROOT / f"items-{count}"
    DATA_ROOT.mkdir(parents=True, exist_ok=True)
    with open(DATA_ROOT / f".items-{count}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if directory.is_dir():
            found = sum(1 for _ in directory.rglob("*.md"))
            if found == count:
                log(f"reusing {directory.relative_to(REPO)} ({found} files)")
                return directory
            log(f"{directory.relative_to(REPO)} holds {found} files, not {count}: regenerating")
            shutil.rmtree(directory)
        generator = shared.generator()
        if generator is None:
            sys.exit(shared.missing_message("the corpus generator (tools/gen_corpus.py)"))
        log(f"generating {count} items into {directory.relative_to(REPO)}")
        partial = DATA_ROOT / f".items-{count}.partial-{os.getpid()}"
        shutil.rmtree(partial, ignore_errors=True)
        started = time.perf_counter()
        command = ["python3", str(generator), str(partial), "--count", str(count), "--seed", "1", "--quiet"]
        try:
            subprocess.run(command, check=True)
            partial.rename(directory)
        finally:
            shutil.rmtree(partial, ignore_errors=True)
        log(f"generated in {time.perf_counter() - started:.1f}s")
        return directory


def server_url(prog: str) -> str:
    """DATABASE_URL, which must point at PostgreSQL (the wrappers in bench/ see to that)."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://", "pgsql://")):
        sys.exit(f"{prog}: DATABASE_URL must be a postgres URL (use bench/{prog}, not this file)")
    return "postgresql://" + url.removeprefix("pgsql://") if url.startswith("pgsql://") else url


def database_url(server: str, name: str) -> str:
    return urlunsplit(urlsplit(server)._replace(path=f"/{name}"))


def fresh_database(server: str, name: str) -> str:
    """Drop and create database `name` on the server of `server`; return its URL."""
    drop_database(server, name)
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return database_url(server, name)


def drop_database(server: str, name: str) -> None:
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def editor_client():
    """A Django test client logged in as `bench-editor`, a member of the Editors group (created once)."""
    from django.contrib.auth.models import Group, User
    from django.test import Client

    editor, created = User.objects.get_or_create(username="bench-editor", defaults={"is_staff": True})
    if created:
        editor.groups.add(Group.objects.get(name="Editors"))
    client = Client()
    client.force_login(editor)
    return client


@contextmanager
def query_times(connection) -> Iterator[list[float]]:
    """The duration in seconds of each query `connection` runs inside the block, in a list filled as they run."""
    queries: list[float] = []

    def timed(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            queries.append(time.perf_counter() - started)

    with connection.execute_wrapper(timed):
        yield queries
