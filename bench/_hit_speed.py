"""CPU of one repeated cache hit, this tree against another, taking turns (bench/hit_speed; see bench/README.md).

A hit answered in front of Django's handler (newsroom/wsgi_hits.py) costs a fraction of a millisecond, so a run on
the shared machine compares two trees in one run, alternating, rather than against a figure of another day:

1. in-process: a fresh Python process per tree and round builds newsroom.wsgi.application, warms the URL (a miss,
   a hit inside Django that leaves the route) and calls the application N times; CPU per hit from process_time(),
   PostgreSQL's from /proc (its backend's ticks: coarse, over thousands of hits);
2. under gunicorn (2 sync workers, wrk with 8 connections, as bench/page_speed): CPU of the workers and of
   PostgreSQL per request.

Both with Redis as the shared cache and with the database cache. The database is page_speed's 10,000 items (its dump
in bench/.data, made by bench/page_speed when missing). The other tree (`--against DIR`, e.g. made by
`git worktree add` or `git archive main | tar -x -C DIR`) runs on this tree's venv and database; its static files
are collected into it when missing. Request log lines go to bench/.data/hit_speed-servers.log.
"""

import argparse
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from _common import DATA_ROOT, PYTHON, REPO, server_url
from _page_speed import BASE_ENV, GUNICORN, children, ensure_wrk, free_port, load, load_database, postmaster_pid

LOG = DATA_ROOT / "hit_speed-servers.log"


def log(message: str) -> None:
    print(f"hit_speed: {message}", file=sys.stderr, flush=True)


def in_process(tree: Path, env: dict, path: str, hits: int) -> tuple[float, float]:
    command = [str(PYTHON), str(REPO / "bench" / "_hit_loop.py"), path, str(hits)]
    with LOG.open("ab") as stderr:
        out = subprocess.run(
            command, cwd=tree, env={**env, "PYTHONPATH": str(tree)}, stdout=subprocess.PIPE, stderr=stderr
        )
    if out.returncode:
        sys.exit(f"hit_speed: the loop failed in {tree} (see {LOG})")
    cpu, postgres = out.stdout.split()
    return float(cpu), float(postgres)


def under_gunicorn(tree: Path, env: dict, path: str, duration: int, wrk: str, postmaster: int | None) -> float:
    port = free_port()
    args = [str(GUNICORN), "newsroom.wsgi:application", "--workers", "2", "--bind", f"127.0.0.1:{port}",
            "--log-level", "warning", "--chdir", str(tree)]  # fmt: skip
    with LOG.open("ab") as stderr:
        server = subprocess.Popen(args, cwd=tree, env=env, stderr=stderr, start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}{path}"
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    response.read()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    sys.exit(f"hit_speed: gunicorn did not serve {tree} (see {LOG})")
                time.sleep(0.2)

        def pids() -> list[int]:
            return children(server.pid) + (children(postmaster) if postmaster else [])

        _, _, errors, cpu = load(wrk, url, duration, 8, pids)
        if errors:
            sys.exit(f"hit_speed: {errors} answers other than 2xx/3xx from {tree}")
        return cpu
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)


def median_of(values: list) -> float | None:
    values = sorted(value for value in values if value is not None)
    return values[len(values) // 2] if values else None


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench/hit_speed", description=__doc__.split("\n\n")[0])
    parser.add_argument("--against", type=Path, help="another tree of the project, measured in turn with this one")
    parser.add_argument("--rounds", type=int, default=3, help="turns of each tree (default 3)")
    parser.add_argument("--hits", type=int, default=5000, help="hits per in-process loop (default 5,000)")
    parser.add_argument("--duration", type=int, default=8, help="seconds of wrk per gunicorn run (default 8)")
    parser.add_argument("--path", default="/", help="the page (default /)")
    parser.add_argument("--no-gunicorn", action="store_true", help="in-process loops only")
    options = parser.parse_args()
    trees = [("this", REPO)] + ([("against", options.against.resolve())] if options.against else [])
    redis_url = os.environ.pop("REDIS_URL", None)
    if not redis_url:
        sys.exit("hit_speed: no REDIS_URL (run bench/hit_speed, which starts a private Redis)")
    env = {**os.environ, **BASE_ENV}
    env["DATABASE_URL"] = load_database(server_url("hit_speed"), 10_000, False, env)
    for _, tree in trees:
        if not (tree / "staticfiles").is_dir():
            subprocess.run(
                [str(PYTHON), "manage.py", "collectstatic", "--noinput", "-v0"], cwd=tree, env=env, check=True
            )
    postmaster = postmaster_pid(env["DATABASE_URL"])
    wrk = None if options.no_gunicorn else ensure_wrk()
    caches = {"redis": {**env, "CACHE_URL": redis_url}, "database": env}
    rows = []
    for round_ in range(1, options.rounds + 1):
        for cache, cache_env in caches.items():
            for name, tree in trees:
                cpu, postgres = in_process(tree, cache_env, options.path, options.hits)
                served = None
                if wrk:
                    served = under_gunicorn(tree, cache_env, options.path, options.duration, wrk, postmaster)
                rows.append((round_, cache, name, cpu, postgres, served, os.getloadavg()[0]))
                gunicorn = f"{served:6.3f} ms" if served is not None else "     -"
                log(f"round {round_} {cache:8} {name:7} in-process {cpu:6.1f} µs + PostgreSQL {postgres:5.1f} µs, "
                    f"gunicorn {gunicorn} CPU/request, load {rows[-1][-1]:.2f}")  # fmt: skip
    print(f"\nCPU per hit of {options.path}, median of {options.rounds} rounds (load average {os.getloadavg()[0]:.2f})")
    print(f"{'cache':9} {'tree':8} {'in-process µs':>14} {'PostgreSQL µs':>14} {'gunicorn ms':>12}")
    for cache in caches:
        for name, tree in trees:
            mine = [row for row in rows if row[1] == cache and row[2] == name]
            median = [median_of([row[column] for row in mine]) for column in (3, 4, 5)]
            served = f"{median[2]:12.3f}" if median[2] is not None else f"{'-':>12}"
            print(f"{cache:9} {name:8} {median[0]:14.1f} {median[1]:14.1f} {served}  {tree}")


if __name__ == "__main__":
    main()
