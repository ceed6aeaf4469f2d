"""Implementation of bench/scale (run that wrapper, not this file: it picks the venv and PostgreSQL).

1. Imports the shared generator's batch of the smallest size (bench/.data/items-N, `--trust-published`) once into
   a private PostgreSQL database, then **grows it by SQL copies** to each size (stories, not files): every copy of
   a story is a story of its own, with its articles under new identities, URLs and slugs, moved back in time (copy
   k by k weeks, so the archive spreads over more years as it grows and the newest stories stay the imported ones),
   published or not as the original, with its topics, images and related links. Then VACUUM ANALYZE, as
   autovacuum would. Each grown database is kept as a `pg_dump -Fc` in bench/.data, keyed by size, migrations and
   generator version, and restored by later runs instead of being rebuilt.
2. With one database per size (bench_scale_SIZE) and, in this process, one open connection to each, with the public
   cache off (PUBLIC_CACHE=0: pages and the topic index) and Django's test client, times every public page (and the
   admin pages, logged in as a member of the Editors group): the median of R requests after W warm-up ones, the sizes
   taking turns request by request, so that the load of a shared machine weighs on every size alike; every response
   is checked for its status. The database time of one instrumented request is shown beside it.
3. Prints one table: rows = pages, columns = ms at each size, and the growth from the smallest to the largest.
"""

import argparse
import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote, urlsplit

import psycopg
from _common import (
    DATA_ROOT,
    PYTHON,
    REPO,
    database_url,
    drop_database,
    editor_client,
    ensure_corpus,
    fresh_database,
    query_times,
    server_url,
)

from tests import shared

DATABASE = "bench_scale"
TARGET_GROWTH = 1.5  # largest size against the smallest, from issue 13


def log(message: str) -> None:
    print(f"scale: {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- tools
def pg_bin(name: str) -> str:
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), key=lambda p: int(p.parts[4]))
    if candidates:
        return str(candidates[-1])
    found = shutil.which(name)
    if not found:
        sys.exit(f"scale: {name} not found")
    return found


def manage(args: list[str], env: dict) -> float:
    started = time.perf_counter()
    subprocess.run([str(PYTHON), "manage.py", *args], cwd=REPO, env=env, check=True)
    return time.perf_counter() - started


def data_key() -> str:
    """Dumps are reused only while the migrations and the generator are unchanged."""
    digest = hashlib.sha256()
    for path in sorted(REPO.glob("*/migrations/0*.py")):
        digest.update(path.name.encode() + path.read_bytes())
    generator = shared.generator()
    digest.update(generator.read_bytes() if generator else b"")
    digest.update(GROWTH_VERSION.encode())
    return digest.hexdigest()[:12]


def dump_path(size: int) -> Path:
    return DATA_ROOT / f"scale-{size}-{data_key()}.dump"


def story_count(url: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT count(*) FROM articles_story").fetchone()[0]


def cpu_calibration() -> float:
    """Milliseconds of a fixed pure-Python loop (best of 3): the machine's speed right now."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        total = 0
        for i in range(1_000_000):
            total += i % 7
        best = min(best, time.perf_counter() - started)
    return best * 1000


# --------------------------------------------------------------------------- growing
GROWTH_VERSION = "1"  # change with the SQL below: old dumps are then ignored


def columns(conn, table: str, derived: set[str]) -> str:
    """The table's stored columns but the derived ones (generated columns such as search_vector excluded)."""
    rows = conn.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = %s AND is_generated = 'NEVER'"
        " ORDER BY ordinal_position",
        [table],
    ).fetchall()
    return ", ".join(name for (name,) in rows if name not in derived)


def grow(conn, size: int) -> None:
    """Copies of the imported stories (those with an id up to the imported maximum) until there are `size`."""
    base = conn.execute("SELECT coalesce(max(value::bigint), 0) FROM bench_scale_meta WHERE key = 'base'").fetchone()
    base_max = base[0]
    story_cols = columns(conn, "articles_story", {"id", "lead_id", "first_published_at", "last_published_at"})
    article_cols = columns(conn, "articles_article", {"id", "story_id", "web_url", "web_url_hash", "slug",
                                                      "published_at", "publish_at"})  # fmt: skip
    image_cols = columns(conn, "articles_image", {"id", "article_id"})
    link_cols = columns(conn, "articles_relatedlink", {"id", "article_id"})
    while (have := conn.execute("SELECT count(*) FROM articles_story").fetchone()[0]) < size:
        copy = conn.execute("SELECT coalesce(max(value::int), 0) + 1 FROM bench_scale_meta WHERE key = 'copy'")
        k = copy.fetchone()[0]
        missing = size - have
        started = time.perf_counter()
        # Constant SQL built from the catalogue's column names; the only inputs are integers passed as parameters.
        conn.execute(
            "CREATE TEMP TABLE story_copies AS SELECT id AS source_id,"
            " nextval(pg_get_serial_sequence('articles_story', 'id')) AS id"
            " FROM articles_story WHERE id <= %s ORDER BY id DESC LIMIT %s",
            [base_max, missing],
        )
        conn.execute(
            "CREATE TEMP TABLE article_copies AS SELECT a.id AS source_id,"
            " nextval(pg_get_serial_sequence('articles_article', 'id')) AS id, c.id AS story_id"
            " FROM story_copies c JOIN articles_article a ON a.story_id = c.source_id"
        )
        shift = "(%s * interval '7 days' + %s * interval '1 second')"
        conn.execute(
            f"INSERT INTO articles_story (id, first_published_at, last_published_at, {story_cols})"  # noqa: S608
            f" SELECT c.id, s.first_published_at - {shift}, s.last_published_at - {shift}, {story_cols}"
            " FROM story_copies c JOIN articles_story s ON s.id = c.source_id",
            [k, k, k, k],
        )
        marked = "a.web_url || '#copy-' || %s"
        conn.execute(
            f"INSERT INTO articles_article (id, story_id, web_url, web_url_hash, slug, published_at, publish_at,"  # noqa: S608
            f" {article_cols}) SELECT c.id, c.story_id, {marked},"
            f" encode(sha256(convert_to({marked}, 'UTF8')), 'hex'), left(a.slug, 110) || '-c' || %s,"
            f" a.published_at - {shift}, a.publish_at - {shift}, {article_cols}"
            " FROM article_copies c JOIN articles_article a ON a.id = c.source_id",
            [k, k, k, k, k, k, k],
        )
        conn.execute(
            "UPDATE articles_story s SET lead_id = c.id FROM story_copies sc"
            " JOIN articles_story o ON o.id = sc.source_id JOIN article_copies c ON c.source_id = o.lead_id"
            " WHERE s.id = sc.id"
        )
        conn.execute(
            "INSERT INTO articles_article_topics (article_id, topic_id, source, term)"
            " SELECT c.id, t.topic_id, t.source, t.term FROM article_copies c"
            " JOIN articles_article_topics t ON t.article_id = c.source_id"
        )
        conn.execute(
            f"INSERT INTO articles_image (article_id, {image_cols}) SELECT c.id, {image_cols}"  # noqa: S608
            " FROM article_copies c JOIN articles_image i ON i.article_id = c.source_id"
        )
        conn.execute(
            f"INSERT INTO articles_relatedlink (article_id, {link_cols}) SELECT c.id, {link_cols}"  # noqa: S608
            " FROM article_copies c JOIN articles_relatedlink r ON r.article_id = c.source_id"
        )
        stories = conn.execute("SELECT count(*) FROM story_copies").fetchone()[0]
        added = conn.execute("SELECT count(*) FROM article_copies").fetchone()[0]
        conn.execute("DROP TABLE story_copies, article_copies")
        conn.execute("INSERT INTO bench_scale_meta (key, value) VALUES ('copy', %s)", [str(k)])
        log(f"copy {k}: +{stories} stories ({added} articles) in {time.perf_counter() - started:.0f}s")


def database_name(size: int) -> str:
    return f"bench_scale_{size}"


def import_base(admin_url: str, size: int, items: int, env: dict, jobs: int) -> str:
    url = fresh_database(admin_url, database_name(size))
    directory = ensure_corpus(items, log)
    env = {**env, "DATABASE_URL": url}
    manage(["migrate", "--noinput", "-v0"], env)
    log(f"importing {directory.relative_to(REPO)} (--trust-published, --jobs {jobs}); once, then kept as dumps")
    seconds = manage(["import_articles", str(directory), "--trust-published", "--jobs", str(jobs), "-v0"], env)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE bench_scale_meta (key text, value text)")
        conn.execute("INSERT INTO bench_scale_meta SELECT 'base', max(id)::text FROM articles_story")
    log(f"imported in {seconds:.0f}s: {story_count(url)} stories")
    return url


def prepare(admin_url: str, size: int, previous: int | None, env: dict, jobs: int) -> str:
    """Database bench_scale_SIZE at `size` stories: restored from its dump, else a copy of the previous size's
    database (or the imported batch) grown by SQL copies and dumped."""
    name, dump = database_name(size), dump_path(size)
    if dump.is_file():
        url = fresh_database(admin_url, name)
        log(f"restoring {dump.relative_to(REPO)}")
        started = time.perf_counter()
        subprocess.run([pg_bin("pg_restore"), "--no-owner", "-j", "2", "-d", url, str(dump)], check=True)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")  # a dump holds no planner statistics and no visibility map
        log(f"restored and analysed in {time.perf_counter() - started:.0f}s")
    else:
        if previous is None:
            url = import_base(admin_url, size, size, env, jobs)
        else:
            drop_database(admin_url, name)
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{database_name(previous)}"')
            url = database_url(admin_url, name)
        with psycopg.connect(url, autocommit=True) as conn:
            started = time.perf_counter()
            log(f"growing to {size} stories by SQL copies of the imported ones (not an import)")
            grow(conn, size)
            conn.execute("VACUUM ANALYZE")
            log(f"grown and analysed in {time.perf_counter() - started:.0f}s")
        partial = dump.with_suffix(".partial")
        subprocess.run([pg_bin("pg_dump"), "-Fc", "-f", str(partial), url], check=True)
        partial.rename(dump)
        log(f"kept as {dump.relative_to(REPO)}")
    manage(["migrate", "--noinput", "-v0"], {**env, "DATABASE_URL": url})
    return url


# --------------------------------------------------------------------------- measuring
class Pages:
    """The URLs measured at every size, chosen once (at the first size) so that every size asks the same: the API's
    deep page is the deepest it serves, or the last one at the first size."""

    def __init__(self):
        self.fixed: dict[str, str] = {}

    def choose(self):
        from django.db import connection
        from django.db.models import Count

        from articles.api.pagination import PublicPagination
        from articles.models import Article, Topic
        from providers.models import Provider

        public = Article.objects.public()
        article = public.order_by("-published_at", "-id")[10]
        topic = Topic.objects.annotate(n=Count("articles")).order_by("-n", "id")[0]
        provider = Provider.objects.annotate(n=Count("articles")).order_by("-n", "id")[0]
        with connection.cursor() as cursor:
            # The most and a least frequent lexeme of the titles and excerpts that is a plain word.
            cursor.execute(
                "SELECT word, ndoc FROM ts_stat('SELECT search_vector FROM articles_article WHERE published')"
                " WHERE word ~ '^[a-z]{4,}$' ORDER BY ndoc DESC, word"
            )
            words = cursor.fetchall()
        common = words[0][0]
        rare = next(word for word, ndoc in words if ndoc <= 3)
        self.fixed = {
            "article": article.slug,
            "story": str(article.story_id),
            "topic": topic.slug,
            "provider": provider.domain,
            "common": common,
            "rare": rare,
            "api_page": str(min(PublicPagination.max_page, public.count() // PublicPagination.page_size)),
        }
        log(f"pages: {self.fixed} (common word in {words[0][1]} articles)")

    def cases(self, river_cursor: str, api_cursor: str) -> list[tuple[str, str, str]]:
        """(group, label, url) for every measured page."""
        f = self.fixed
        admin = "/admin/articles/article/"
        from articles.models import Article

        article = Article.objects.get(slug=f["article"])
        article_id = article.pk
        url_part = quote(urlsplit(article.web_url).path)  # a pasted path: the start of a URL's path (0014)
        return [
            ("public", "home", "/"),
            ("public", "home, 50th older page", f"/?before={river_cursor}"),
            ("public", "top stories", "/top/"),
            ("public", "topic", f"/topics/{f['topic']}/"),
            ("public", "provider", f"/providers/{f['provider']}/"),
            ("public", "article", f"/articles/{f['article']}/"),
            ("public", f"search, common ({f['common']})", f"/search/?q={f['common']}"),
            ("public", f"search, rare ({f['rare']})", f"/search/?q={f['rare']}"),
            ("public", "feed, RSS", "/feeds/rss/"),
            ("public", "feed, Atom", "/feeds/atom/"),
            ("public", "sitemap index", "/sitemap.xml"),
            ("public", "sitemap, last articles page", f"/sitemap-articles.xml?p={self.last_sitemap_page()}"),
            ("api", "api articles", "/api/articles/"),
            ("api", "api articles, deep page", f"/api/articles/?page={f['api_page']}"),
            ("api", "api articles, filtered", f"/api/articles/?topic={f['topic']}&quality_min=50&type=article"),
            ("api", "api article", f"/api/articles/{f['article']}/"),
            ("api", "api stories", "/api/stories/"),
            ("api", "api stories, 50th page", f"/api/stories/?before={api_cursor}"),
            ("api", "api story", f"/api/stories/{f['story']}/"),
            ("admin", "admin change list", admin),
            ("admin", "admin search", f"{admin}?q={f['common']}"),
            ("admin", "admin filter", f"{admin}?status=live&quality_band=75-99"),
            ("admin", "admin change form", f"{admin}{article_id}/change/"),
            ("admin", "admin dashboard", "/admin/"),
            ("admin", "admin search, part of a URL", f"{admin}?q={url_part}"),
            ("admin", "admin filter, no topic", f"{admin}?topic=none"),
            ("admin", "admin providers", "/admin/providers/provider/"),
            ("admin", "admin topics", "/admin/articles/topic/"),
        ]

    @staticmethod
    def last_sitemap_page() -> int:
        from articles.sitemaps import ArticleSitemap

        return ArticleSitemap().paginator.num_pages


def cursors() -> tuple[str, str]:
    """The `before=` of the home page's 50th page (the 49th "Older stories" link), and of the API's."""
    from articles.selectors import topic_index
    from articles.stories.river import everything, river_page

    topics = topic_index(outlets=True)
    page = None
    for _ in range(49):
        page = river_page(everything, topics=topics, before=page.next if page else None, outlet_leads=False)
    api = None
    for _ in range(49):
        api = river_page(everything, topics=topics, before=api.next if api else None, size=20, images=True)
    return page.next_value, api.next_value


class Site:
    """One size's database behind Django's default connection: its own connection (kept open, like the pool's),
    its own cache keys and its own logged-in editor, so that requests to the sizes can alternate."""

    def __init__(self, size: int):
        from django.db import connections

        self.size = size
        settings = {**connections["default"].settings_dict, "NAME": database_name(size), "CONN_MAX_AGE": None}
        self.connection = type(connections["default"])(settings, "default")
        self.cases: list[tuple[str, str, str]] = []

    def activate(self) -> None:
        from django.core.cache import caches
        from django.db import connections

        connections["default"] = self.connection
        for alias in ("default", "public"):
            caches[alias].key_prefix = f"scale-{self.size}"

    def setup(self, pages: Pages) -> None:
        from django.test import Client

        self.activate()
        self.reader, self.staff = Client(), editor_client()
        if not pages.fixed:
            pages.choose()
        self.cases = pages.cases(*cursors())

    def get(self, index: int) -> float:
        """Milliseconds for one request of case `index`, which must answer 200 (an error page is no measurement)."""
        group, _, url = self.cases[index]
        client = self.staff if group == "admin" else self.reader
        started = time.perf_counter()
        response = client.get(url)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            sys.exit(f"scale: {url} answered {response.status_code} at {self.size} stories")
        return elapsed


def measure(sites: list[Site], pages: Pages, requests: int, warmup: int) -> dict[int, list[dict]]:
    """Per size, per page: the median of `requests` requests, the sizes taking turns request by request so that
    a change in the machine's load touches every size alike; and the database time of one instrumented request."""
    for site in sites:
        site.setup(pages)
    runs: dict[int, list[dict]] = {site.size: [] for site in sites}
    for index, (_, label, _) in enumerate(sites[0].cases):
        times: dict[int, list[float]] = {site.size: [] for site in sites}
        db_ms: dict[int, float] = {}
        for site in sites:
            site.activate()
            for _ in range(warmup):
                site.get(index)
            with query_times(site.connection) as queries:
                site.get(index)
            db_ms[site.size] = sum(queries) * 1000
        for _ in range(requests):
            for site in sites:
                site.activate()
                times[site.size].append(site.get(index))
        for site in sites:
            median = statistics.median(times[site.size])
            row = {"label": label, "url": site.cases[index][2], "ms": median, "db_ms": db_ms[site.size]}
            runs[site.size].append(row)
        log(f"{label}: " + ", ".join(f"{runs[site.size][-1]['ms']:.1f}" for site in sites))
    return runs


def print_table(sizes: list[int], runs: dict[int, list[dict]], calibration: list[float]) -> None:
    first, last = sizes[0], sizes[-1]
    width = max(len(r["label"]) for r in runs[first]) + 1
    head = "".join(f"{f'{size:,}':>11}" for size in sizes)
    print()
    print("Server time per request (ms, median) by stories in the archive; database time of one request in ()")
    print(f"{'page':<{width}}{head}  {'growth':>7}  target <= {TARGET_GROWTH}x")
    print("-" * (width + 11 * len(sizes) + 26))
    for index, row in enumerate(runs[first]):
        cells = "".join(f"{runs[s][index]['ms']:>11.1f}" for s in sizes)
        growth = runs[last][index]["ms"] / runs[first][index]["ms"]
        verdict = "PASS" if growth <= TARGET_GROWTH else "FAIL"
        print(f"{row['label']:<{width}}{cells}  {growth:>6.2f}x  {verdict}")
        db = "".join(f"{f'({runs[s][index]["db_ms"]:.1f})':>11}" for s in sizes)
        print(f"{'  database':<{width}}{db}")
    print("-" * (width + 11 * len(sizes) + 26))
    print(f"CPU loop before and after (machine load): {calibration[0]:.0f} ms, {calibration[1]:.0f} ms")
    print()
    print("URLs (at the largest size):")
    for row in runs[last]:
        print(f"  {row['label']:<{width}}{row['url']}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench/scale", description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="stories at each step (ascending)")
    parser.add_argument("--requests", type=int, default=15, help="timed requests per page and size (default 15)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed requests per page and size first (default 2)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="import_articles --jobs")
    parser.add_argument("--keep-db", action="store_true", help="leave the databases bench_scale_SIZE in place")
    args = parser.parse_args()
    try:
        sizes = [int(size) for size in args.sizes.split(",")]
    except ValueError:
        parser.error("--sizes: whole numbers separated by commas")
    if sizes != sorted(set(sizes)) or sizes[0] < 100 or args.requests < 1 or args.warmup < 0:
        parser.error("--sizes must ascend from at least 100; --requests at least 1")

    admin_url = server_url("scale")
    static_root = tempfile.mkdtemp(prefix="scale-static-")
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_DEBUG", "DJANGO_SETTINGS_MODULE"}}
    env |= {
        "DATABASE_URL": database_url(admin_url, database_name(sizes[0])),
        "DATABASE_POOL": "0",  # one persistent connection per size instead (Site)
        "DJANGO_SECRET_KEY": "bench-only-not-secret",
        "DJANGO_ALLOWED_HOSTS": "testserver",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_HSTS_SECONDS": "0",
        "STATIC_ROOT": static_root,
        "PYTHONUNBUFFERED": "1",
        "DJANGO_REQUEST_LOG": "0",
        "PUBLIC_CACHE": "0",  # every request computes its page and the topic index
        "RATE_LIMIT_API": "off",  # one client asks for hundreds of pages a minute
        "RATE_LIMIT_SEARCH": "off",
        "RATE_LIMIT_LOGIN": "off",
    }
    pages, counts = Pages(), {}
    try:
        previous = None
        for size in sizes:
            url = prepare(admin_url, size, previous, env, args.jobs)
            counts[size] = story_count(url)
            previous = size
        manage(["collectstatic", "--noinput", "-v0"], env)
        os.environ.update(env)
        os.environ["DJANGO_SETTINGS_MODULE"] = "newsroom.settings"
        import django

        django.setup()
        calibration = [cpu_calibration()]
        log(f"measuring at {counts} stories (CPU loop {calibration[0]:.0f} ms, load {os.getloadavg()[0]:.2f})")
        sites = [Site(size) for size in sizes]
        runs = measure(sites, pages, args.requests, args.warmup)
        calibration.append(cpu_calibration())
    finally:
        shutil.rmtree(static_root, ignore_errors=True)
        from django.apps import apps

        if apps.ready:
            for site in locals().get("sites", []):
                site.connection.close()
        if not args.keep_db:
            for size in sizes:
                drop_database(admin_url, database_name(size))
    print()
    print(
        f"bench/scale: PostgreSQL, public page cache off, in-process (Django test client), {os.cpu_count()} CPU(s),"
        f" median of {args.requests} requests after {args.warmup} warm-up ones, the sizes taking turns"
    )
    print(
        f"Stories: {', '.join(f'{n:,}' for n in counts.values())}. Sizes above the imported batch are SQL copies"
        " of its stories (new identities, moved back in time), not imports."
    )
    print_table(sizes, runs, calibration)
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPU(s)")


if __name__ == "__main__":
    main()
