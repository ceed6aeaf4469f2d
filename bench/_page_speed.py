"""Implementation of bench/page_speed (run that wrapper, not this file: it picks the venv and PostgreSQL).

One run, against a `page_speed` database (created in DATABASE_URL's cluster) holding the synthetic
N-item batch (10,000 by default), each server with gunicorn's sync workers on 127.0.0.1 and loaded by wrk:
  1. the floor: a minimal view rendering the home template from a context built once in memory (no
     query per request): what Django itself costs for that page on this machine; measured before and
     after the site, and averaged, because other work on a shared machine comes and goes (a reference, no target);
  2. the ceiling: a static "hello" WSGI app on the same gunicorn, what any page served by these workers can reach;
  3. the peer: ../shared/peers/wagtail (Wagtail, the CMS a newsroom would otherwise install) with the same N items
     from the same batch, its /news/ index (20 pages a page) on the same number of workers;
  4. the site with the public page cache off (PUBLIC_PAGE_CACHE=0: values such as the topic index stay cached, as on
     a page miss in production): home, an "Older stories" page half-way down the river (at most 500 pages), top
     stories, article, topic, search, the article and story APIs; again without the memo of rendered river entries
     (RIVER_ENTRY_MEMO=0, `no-memo`), and with every public cache off as well (PUBLIC_CACHE=0, `no-cache`);
  5. the same with the cache on (production's default, the database cache, unless CACHE_URL is set), and once
     more with a private Redis as the shared cache when Debian's redis-server is installed (the wrapper starts it).
Besides requests/s and p99 it reports the server CPU per request (gunicorn workers plus PostgreSQL, from
/proc), which other load on the machine does not change. The database is loaded once with
`import_articles --trust-published` and kept as a pg_dump next to the corpus, so later runs restore it in
seconds (--reimport forces a fresh import). The peer gets its own venv (`peer.sh setup`: Wagtail 8, gunicorn,
psycopg, PyYAML; nothing of it enters our requirements) in bench/.data/peer-wagtail, made once, and its database is
loaded once the Wagtail way (~40 pages/s) and kept as a pg_dump too. Servers run the production middleware, request
logs included (written to bench/.data/page_speed-servers.log), without the per-client rate limits (wrk is a single
client).

Imported by gunicorn with PAGE_SPEED_FLOOR=1, this module is also the floor's WSGI application and URLconf.
"""

import argparse
import glob
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from _common import DATA_ROOT, PYTHON, REPO, ensure_corpus, fresh_database, server_url, shared

GUNICORN = REPO / ".venv" / "bin" / "gunicorn"
DATABASE = "page_speed"

# Issue 13's targets, in requests/s against the peer's news index measured in the same run.
TARGET_UNCACHED = 2.0
TARGET_CACHED = 50.0
PEER = DATA_ROOT / "peer-wagtail"
PEER_DATABASE = "page_speed_peer"

BASE_ENV = {
    "DJANGO_SECRET_KEY": "bench-only-not-secret",
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
    "DJANGO_SECURE_SSL_REDIRECT": "0",
    "DJANGO_HSTS_SECONDS": "0",
    "DJANGO_DEBUG": "0",
    "PYTHONUNBUFFERED": "1",
    # wrk is one client hammering search and the API: production's per-client limits would answer 429s.
    "RATE_LIMIT_API": "off",
    "RATE_LIMIT_SEARCH": "off",
}
# The servers' logs (a line per request, as in production), kept out of the terminal.
SERVER_LOG = DATA_ROOT / "page_speed-servers.log"


def log(message: str) -> None:
    print(f"page_speed: {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- tools and data
def ensure_wrk() -> str:
    wrk = shutil.which("wrk")
    if wrk:
        return wrk
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        sys.exit("page_speed: wrk is missing; install it (Debian: apt-get install -y wrk)")
    log("installing wrk from Debian")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False, env=env, stdout=subprocess.DEVNULL)
    if not shutil.which("wrk"):
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, env=env, stdout=subprocess.DEVNULL)
    return shutil.which("wrk")


def pg_bin(name: str) -> str:
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4]))
    if candidates:
        return candidates[-1]
    found = shutil.which(name)
    if not found:
        sys.exit(f"page_speed: {name} not found")
    return found


def psql(url: str, sql: str) -> str:
    out = subprocess.run([pg_bin("psql"), url, "-XAtqc", sql], check=True, capture_output=True, text=True)
    return out.stdout.strip()


def manage(args: list[str], env: dict, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(PYTHON), "manage.py", *args], cwd=REPO, env=env, check=True, **kwargs)


def schema_key() -> str:
    """Dumps are reused only while the migrations are unchanged."""
    digest = hashlib.sha256()
    for path in sorted(REPO.glob("*/migrations/0*.py")):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:12]


def load_database(admin_url: str, count: int, reimport: bool, env: dict) -> str:
    url = fresh_database(admin_url, DATABASE)
    env["DATABASE_URL"] = url
    dump = DATA_ROOT / f"page-speed-{count}-{schema_key()}.dump"
    if dump.is_file() and not reimport:
        log(f"restoring {dump.relative_to(REPO)}")
        started = time.perf_counter()
        subprocess.run([pg_bin("pg_restore"), "--no-owner", "-j", "2", "-d", url, str(dump)], check=True)
        log(f"restored in {time.perf_counter() - started:.0f}s")
    else:
        manage(["migrate", "-v0"], env)
        directory = ensure_corpus(count, log)
        log(f"importing {directory.relative_to(REPO)} (once; kept as {dump.name})")
        started = time.perf_counter()
        manage(["import_articles", str(directory), "--trust-published"], env, stdout=subprocess.DEVNULL)
        log(f"imported in {time.perf_counter() - started:.0f}s")
        partial = dump.with_suffix(".partial")
        subprocess.run([pg_bin("pg_dump"), "-Fc", "-f", str(partial), url], check=True)
        partial.rename(dump)
    manage(["migrate", "-v0"], env)
    psql(url, "VACUUM ANALYZE")
    return url


def peer_script() -> Path:
    root = shared.shared_dir()
    peer = root / "peers" / "wagtail" / "peer.sh" if root else None
    if peer is None or not peer.is_file():
        sys.exit(shared.missing_message("the peer (peers/wagtail/peer.sh)"))
    return peer


def peer_key(script: Path, corpus: Path) -> str:
    """Peer dumps are reused while the peer's code and the batch's file names are unchanged."""
    digest = hashlib.sha256()
    for path in sorted(script.parent.rglob("*.py")):
        digest.update(path.name.encode() + path.read_bytes())
    digest.update(str(sorted(p.name for p in corpus.rglob("*.md"))[:1]).encode())
    return digest.hexdigest()[:12]


def load_peer(admin_url: str, count: int, corpus: Path) -> dict:
    """The peer's venv (made once) and its database holding `count` items of `corpus`: the environment to serve it."""
    script = peer_script()
    log("setting up the peer in bench/.data/peer-wagtail (its venv is made once)")
    subprocess.run(["bash", str(script), "setup", str(PEER)], check=True, stdout=subprocess.DEVNULL)
    url = fresh_database(admin_url, PEER_DATABASE)
    env = {**os.environ, "DATABASE_URL": url, "PYTHONUNBUFFERED": "1"}
    dump = DATA_ROOT / f"peer-wagtail-{count}-{peer_key(script, corpus)}.dump"
    if dump.is_file():
        log(f"restoring {dump.relative_to(REPO)}")
        subprocess.run([pg_bin("pg_restore"), "--no-owner", "-j", "2", "-d", url, str(dump)], check=True)
    else:
        log(f"loading {count} pages into the peer, the Wagtail way (~40 pages/s: once; kept as {dump.name})")
        subprocess.run(["bash", str(script), "load", str(PEER), str(corpus), str(count)], check=True, env=env,
                       stdout=subprocess.DEVNULL)  # fmt: skip
        partial = dump.with_suffix(".partial")
        subprocess.run([pg_bin("pg_dump"), "-Fc", "-f", str(partial), url], check=True)
        partial.rename(dump)
    psql(url, "VACUUM ANALYZE")
    return env


# --------------------------------------------------------------------------- serving and loading
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, app: str, env: dict, workers: int, *, command: list[str] | None = None, ready="/healthz"):
        """gunicorn serving `app`, or `command` + [port, workers] (the peer's own `peer.sh serve`)."""
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        args = [str(GUNICORN), app, "--workers", str(workers), "--bind", f"127.0.0.1:{self.port}",
                "--log-level", "warning", "--pythonpath", f"{REPO},{REPO / 'bench'}"]  # fmt: skip
        if command:
            args = [*command, str(self.port), str(workers)]
        DATA_ROOT.mkdir(parents=True, exist_ok=True)
        with SERVER_LOG.open("ab") as log:
            self.process = subprocess.Popen(args, cwd=REPO, env=env, stderr=log, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.base + ready, timeout=2):  # noqa: S310 - our own http server
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        sys.exit("page_speed: gunicorn did not start")

    def get(self, path: str) -> bytes:
        with urllib.request.urlopen(self.base + path, timeout=30) as response:  # noqa: S310 - our own http server
            return response.read()

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of the processes (clock ticks in /proc/PID/stat, fields 14 and 15)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def postmaster_pid(url: str) -> int | None:
    try:
        data_directory = psql(url, "SHOW data_directory")
        return int(Path(data_directory, "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, subprocess.CalledProcessError):
        return None


def parse_latency(text: str) -> float:
    value = float(re.match(r"([\d.]+)", text).group(1))
    unit = text[len(re.match(r"[\d.]+", text).group(0)) :]
    return value * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def load(wrk: str, url: str, duration: int, connections: int, pids) -> tuple[float, float, int, float]:
    """(requests/s, p99 ms, non-2xx responses, server CPU ms per request) from one wrk run after a warm-up.

    Server CPU (gunicorn workers plus PostgreSQL) per request does not depend on what else the machine
    runs: it tells what the figures would be on an idle machine, where requests/s is bound by it.
    """
    subprocess.run([wrk, "-t1", f"-c{connections}", "-d2s", url], check=True, capture_output=True)
    threads = min(2, connections)
    before = cpu_seconds(pids())
    out = subprocess.run(
        [wrk, f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", url],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    cpu = cpu_seconds(pids()) - before
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = parse_latency(re.search(r"^\s+99%\s+(\S+)", out, re.MULTILINE).group(1))
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return rate, p99, int(errors.group(1)) if errors else 0, cpu * 1000 / max(requests, 1)


# --------------------------------------------------------------------------- pages and query counts
def pick_pages(env: dict) -> dict[str, str]:
    """A busy story (with More coverage), the largest topic, a common search word, the API list."""
    code = (
        "from django.db.models import Count\n"
        "from articles.models import Article, Topic\n"
        "from articles.stories.cursor import Cursor\n"
        "from articles.stories.river import placements\n"
        "a = Article.objects.public().annotate(n=Count('related_links')).filter(n__gte=5)"
        ".order_by('-published_at').values_list('slug', flat=True).first()\n"
        "t = Topic.objects.annotate(n=Count('articles')).order_by('-n').values_list('slug', flat=True).first()\n"
        # The river 500 pages down (or half-way through a smaller archive): found once here with an OFFSET.
        "n = min(10_000, placements().count() // 2)\n"
        "o = placements().values_list('published_at', 'id')[n]\n"
        "print(a); print(t); print(Cursor(*o))\n"
    )
    out = manage(["shell", "-c", code], env, capture_output=True, text=True).stdout.split()
    return {
        "home": "/",
        "older": f"/?before={out[-1]}",
        "top": "/top/",
        "article": f"/articles/{out[-3]}/",
        "topic": f"/topics/{out[-2]}/",
        "search": "/search/?q=robots",
        "api": "/api/articles/",
        "stories": "/api/stories/",
    }


def query_counts(pages: dict[str, str], env: dict) -> dict[str, int]:
    code = (
        "import json, sys\n"
        "from django.db import connection\n"
        "from django.test import Client\n"
        "from django.test.utils import CaptureQueriesContext\n"
        "client, counts = Client(), {}\n"
        f"for name, path in {pages!r}.items():\n"
        "    client.get(path)\n"
        "    with CaptureQueriesContext(connection) as queries:\n"
        "        assert client.get(path).status_code == 200, path\n"
        "    counts[name] = len(queries)\n"
        "print(json.dumps(counts))\n"
    )
    env = {**env, "PUBLIC_PAGE_CACHE": "0", "DJANGO_ALLOWED_HOSTS": "testserver"}
    out = manage(["shell", "-c", code], env, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


# --------------------------------------------------------------------------- main
def main() -> None:
    parser = argparse.ArgumentParser(prog="bench/page_speed", description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=10_000, help="stories in the database (default 10,000)")
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per page (default 10)")
    parser.add_argument("--connections", type=int, default=8, help="concurrent wrk connections (default 8)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (default 2)")
    parser.add_argument("--reimport", action="store_true", help="import the corpus again instead of the dump")
    parser.add_argument("--use-database", action="store_true", help="measure DATABASE_URL as it is (no loading)")
    parser.add_argument("--no-peer", action="store_true", help="leave the peer out (no Wagtail set-up or load)")
    parser.add_argument("--pages", help="comma-separated pages of the site to measure (default: all)")
    options = parser.parse_args()
    options.load_before = os.getloadavg()[0]

    admin_url = server_url("page_speed")
    wrk = ensure_wrk()
    # The wrapper's private Redis serves the second cached run only; the first keeps production's default.
    redis_url = os.environ.pop("REDIS_URL", None) if os.environ.get("PAGE_SPEED_REDIS") else None
    env = {**os.environ, **BASE_ENV}
    if not options.use_database:
        env["DATABASE_URL"] = load_database(admin_url, options.count, options.reimport, env)
    peer_env = None if options.no_peer else load_peer(admin_url, options.count, ensure_corpus(options.count, log))
    stories = int(psql(env["DATABASE_URL"], "SELECT count(*) FROM articles_article WHERE published"))
    manage(["collectstatic", "--noinput", "-v0"], env)
    pages = pick_pages(env)
    if options.pages:
        pages = {name: pages[name] for name in options.pages.split(",")}
    counts = query_counts(pages, env)
    pages |= {"hello": "/", "news": "/news/"}

    postmaster = postmaster_pid(env["DATABASE_URL"])
    results: list[dict] = []

    def measure(label: str, server: Server, names: list[str]) -> None:
        def pids() -> list[int]:
            return children(server.process.pid) + (children(postmaster) if postmaster else [])

        for name in names:
            server.get(pages[name])
            rate, p99, errors, cpu = load(wrk, server.base + pages[name], options.duration, options.connections, pids)
            results.append({"run": label, "page": name, "rate": rate, "p99": p99, "errors": errors, "cpu": cpu})
            log(f"{label:9} {name:8} {rate:8.1f} req/s  p99 {p99:7.1f} ms  {cpu:5.2f} ms CPU/request")

    site_pages = [name for name in pages if name not in ("hello", "news")]
    uncached = {**env, "PUBLIC_PAGE_CACHE": "0"}
    floor_env = {**uncached, "PAGE_SPEED_FLOOR": "1"}
    with Server("_page_speed:floor_app", floor_env, options.workers) as floor:
        measure("floor", floor, ["home"])
    with Server("_page_speed:hello_app", env, options.workers) as hello:
        measure("ceiling", hello, ["hello"])
    if peer_env is not None:
        serve = ["bash", str(peer_script()), "serve", str(PEER)]
        with Server("", peer_env, options.workers, command=serve, ready=pages["news"]) as peer:
            measure("peer", peer, ["news"])
    with Server("newsroom.wsgi:application", uncached, options.workers) as site:
        measure("uncached", site, site_pages)
    # The same without the memo of rendered river entries, then with every public cache off, the topic index's too.
    no_memo = {**uncached, "RIVER_ENTRY_MEMO": "0"}
    with Server("newsroom.wsgi:application", no_memo, options.workers) as site:
        measure("no-memo", site, site_pages)
    with Server("newsroom.wsgi:application", {**no_memo, "PUBLIC_CACHE": "0"}, options.workers) as site:
        measure("no-cache", site, site_pages)
    with Server("newsroom.wsgi:application", {**env, "PUBLIC_PAGE_CACHE": "1"}, options.workers) as site:
        measure("cached", site, site_pages)
    if redis_url:
        with Server("newsroom.wsgi:application", {**env, "CACHE_URL": redis_url}, options.workers) as site:
            measure("redis", site, site_pages)
    with Server("_page_speed:floor_app", floor_env, options.workers) as floor:
        measure("floor", floor, ["home"])
    before, after = results[0], results.pop()
    results[0] = {**before, **{key: (before[key] + after[key]) / 2 for key in ("rate", "p99", "cpu")}}
    results[0]["spread"] = (before["rate"], after["rate"])
    report(results, pages, counts, stories, options)


def report(results: list[dict], pages: dict, counts: dict, stories: int, options) -> None:
    floor = results[0]
    print()
    print(f"bench/page_speed: {stories:,} public of {options.count:,} stories in PostgreSQL; gunicorn "
          f"{options.workers} sync workers on 127.0.0.1; wrk {options.connections} connections, "
          f"{options.duration}s per page; {os.cpu_count()} CPUs, load average {options.load_before:.1f} at the "
          f"start, {os.getloadavg()[0]:.1f} at the end (other work on the machine lowers requests/s, not CPU per "
          f"request)")  # fmt: skip
    header = ("run", "page", "req/s", "p99 ms", "x floor", "CPU ms", "x floor", "SQL")
    print("{:9} {:8} {:>8} {:>8} {:>8} {:>7} {:>8} {:>4}  path".format(*header))
    for r in results:
        queries = str(counts.get(r["page"], "")) if r["run"] in ("uncached", "cached", "redis") else ""
        note = f"  ({r['errors']} non-2xx)" if r["errors"] else ""
        if "spread" in r:
            note += "  (mean of {:.1f} before and {:.1f} after the site)".format(*r["spread"])
        print(f"{r['run']:9} {r['page']:8} {r['rate']:8.1f} {r['p99']:8.1f} {r['rate'] / floor['rate']:8.2f} "
              f"{r['cpu']:7.2f} {floor['cpu'] / r['cpu']:8.2f} {queries:>4}  {pages[r['page']]}{note}")  # fmt: skip
    print("(x floor: requests/s over the floor's; for CPU, the floor's CPU per request over this one's)")
    print()
    find = {(r["run"], r["page"]): r for r in results}
    peer = find.get(("peer", "news"))
    if peer is None:
        return
    runs = (("uncached", TARGET_UNCACHED), ("no-memo", TARGET_UNCACHED), ("no-cache", TARGET_UNCACHED),
            ("cached", TARGET_CACHED), ("redis", TARGET_CACHED))  # fmt: skip
    for run, target in runs:
        for name in ("home", "topic", "article"):
            if (mine := find.get((run, name))) is None:
                continue
            rate_ratio, cpu_ratio = mine["rate"] / peer["rate"], peer["cpu"] / mine["cpu"]
            verdict = f" (target >= {target:g}x: {'ok' if rate_ratio >= target else 'MISSED'})"
            verdict = verdict if name == "home" else ""
            print(f"{run} {name} / peer's news index: {rate_ratio:.2f}x in requests/s{verdict}; "
                  f"{cpu_ratio:.2f}x in server CPU per request")  # fmt: skip
    if ceiling := find.get(("ceiling", "hello")):
        print(f"ceiling (static hello on the same gunicorn) / peer's news index: {ceiling['rate'] / peer['rate']:.2f}x "
              f"in requests/s; {peer['cpu'] / ceiling['cpu']:.2f}x in server CPU per request")  # fmt: skip


def hello_app(environ, start_response):
    """The ceiling: the smallest WSGI answer, what gunicorn's sync workers cost per request on their own."""
    body = b"hello\n"
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


# --------------------------------------------------------------------------- the floor (inside gunicorn)
def _build_floor() -> None:
    """A WSGI app whose "/" renders the real home template from a context loaded once (no per-request SQL)."""
    global floor_app, urlpatterns
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.wsgi import get_wsgi_application
    from django.shortcuts import render
    from django.test import RequestFactory
    from django.urls import path

    import newsroom.urls
    from articles.selectors import topic_index
    from articles.stories.river import everything
    from articles.views import river
    from newsroom.health import healthz

    context = river(RequestFactory().get("/"), everything, topic_index(outlets=True))
    context["page"].object_list = list(context["page"].object_list)  # evaluated once, kept in memory
    context["section"] = "latest"

    def floor_home(request):
        return render(request, "articles/home.html", context)

    urlpatterns = [path("", floor_home), path("healthz", healthz), *newsroom.urls.urlpatterns]
    settings.ROOT_URLCONF = __name__
    floor_app = get_wsgi_application()


if __name__ == "__main__":
    main()
elif os.environ.get("PAGE_SPEED_FLOOR"):
    _build_floor()
