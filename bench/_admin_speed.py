"""Implementation of bench/admin_speed (run that wrapper, not this file: it picks the venv and PostgreSQL).

1. Reuses (or generates) bench/.data/items-N with ../shared/tools/gen_corpus.py (N = 100,000 by default).
2. Imports it into a fresh PostgreSQL database (`manage.py import_articles DIR --trust-published`), then
   ANALYZEs, as autovacuum would soon after a real import.
3. In this process, with Django's test client logged in as a member of the Editors group, times each
   admin request R times after a warm-up and prints the median (and p90) server time and the number of
   SQL queries it takes. Timing covers the whole Django request (middleware, view, queries, template);
   no network. Other processes on the machine share its CPUs: figures vary with their load.
4. Also one cold request per URL: after the warm-up, with the cache emptied, so that what the cache keeps
   for minutes (the category/type filter values, a full-table scan) is paid once more, as the first editor
   after a restart or expiry pays it (with CACHE_URL/REDIS_URL set, that cache is emptied: point it at a
   scratch one). Every request must answer 200, or the run stops.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
from _common import (
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

COLD_REQUESTS = 5  # the cold figure is their median
TARGET_MS = 100  # median server time per request, at any size up to 1,000,000 articles (issue 13)


def log(message: str) -> None:
    print(f"admin_speed: {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- corpus
# --------------------------------------------------------------------------- database
def article_count(url: str) -> int | None:
    try:
        with psycopg.connect(url) as conn:
            return conn.execute("SELECT count(*) FROM articles_article").fetchone()[0]
    except psycopg.Error:
        return None


def manage(args: list[str], env: dict) -> float:
    started = time.perf_counter()
    subprocess.run([str(PYTHON), "manage.py", *args], cwd=REPO, env=env, check=True)
    return time.perf_counter() - started


def load(directory: Path, env: dict, jobs: int, url: str, count: int) -> None:
    """Import the generated batch in `directory`, then top it up by copies to `count` articles and analyse."""
    log("migrating")
    manage(["migrate", "--noinput", "-v0"], env)
    log(f"importing {directory.relative_to(REPO)} (--trust-published, --jobs {jobs}); this takes a few minutes")
    seconds = manage(["import_articles", str(directory), "--trust-published", "--jobs", str(jobs), "-v0"], env)
    log(f"imported in {seconds:.0f}s")
    with psycopg.connect(url, autocommit=True) as conn:
        top_up(conn, count)
        conn.execute("VACUUM ANALYZE")


# Article columns copied as they are by top_up (identity, slug and bookkeeping are derived).
_COPIED = (
    "excerpt, category, type, original_url, amp_url, cdn_amp_url, heat, provider_id, secured, extra, "
    "source_published, published, quality, editor_locked, publish_at, reviewed_by_id, reviewed_at, source_path, "
    "content_hash, first_imported_at, last_imported_at, story_id"
)


def top_up(conn, count: int) -> None:
    """The generator repeats some stories (same webUrl), so N files give fewer than N articles, and a million
    stories are more than one wants to generate and import: copy the imported articles (a marked URL and slug,
    same topics, images and related links, same story) until there are exactly `count`. Each round of copies
    is moved back in time by the archive's span, so that a larger archive is an older one, as it would be."""
    have = conn.execute("SELECT count(*) FROM articles_article").fetchone()[0]
    if have >= count:
        return
    originals, last_original = conn.execute("SELECT count(*), max(id) FROM articles_article").fetchone()
    span = conn.execute("SELECT max(published_at) - min(published_at) + interval '1 day' FROM articles_article")
    span = span.fetchone()[0]
    log(f"{have} distinct articles imported: copying {count - have} to reach {count}")
    generation = 0
    while have < count:
        generation += 1
        missing = min(count - have, originals)
        conn.execute(
            "CREATE TEMP TABLE copies AS SELECT id AS source_id,"
            " nextval(pg_get_serial_sequence('articles_article', 'id')) AS id"
            " FROM articles_article WHERE id <= %s ORDER BY published_at DESC, id DESC LIMIT %s",
            [last_original, missing],
        )
        values = {"generation": generation, "shift": span * generation}
        for statement in _TOP_UP:
            conn.execute(statement, values if "%(" in statement else None)
        have += missing
        log(f"  {have} articles")


_TOP_UP = [
    # Constant SQL (column lists above), no input: nothing to inject.
    f"""INSERT INTO articles_article (id, web_url, web_url_hash, slug, title, published_at, {_COPIED})
    SELECT c.id, a.web_url || '#copy' || %(generation)s,
           encode(sha256(convert_to(a.web_url || '#copy' || %(generation)s, 'UTF8')), 'hex'),
           left(a.slug, 100) || '-copy' || %(generation)s, a.title || ' (copy)', a.published_at - %(shift)s,
           {_COPIED}
    FROM copies c JOIN articles_article a ON a.id = c.source_id""",  # noqa: S608
    """INSERT INTO articles_article_topics (article_id, topic_id, source, term)
    SELECT c.id, t.topic_id, t.source, t.term
    FROM copies c JOIN articles_article_topics t ON t.article_id = c.source_id""",
    """INSERT INTO articles_image (url, position, width, height, title, is_cached, file, extra, url_hash, status,
                                failure_reason, attempts, content_sha256, format, renditions, article_id)
    SELECT i.url, i.position, i.width, i.height, i.title, i.is_cached, i.file, i.extra, i.url_hash, i.status,
           i.failure_reason, i.attempts, i.content_sha256, i.format, i.renditions, c.id
    FROM copies c JOIN articles_image i ON i.article_id = c.source_id""",
    """INSERT INTO articles_relatedlink (article_id, position, web_url, url_hash, title, excerpt, published_at,
                                      original_url, amp_url, cdn_amp_url, category, type, quality, heat, provider_id,
                                      extra)
    SELECT c.id, r.position, r.web_url, r.url_hash, r.title, r.excerpt, r.published_at, r.original_url, r.amp_url,
           r.cdn_amp_url, r.category, r.type, r.quality, r.heat, r.provider_id, r.extra
    FROM copies c JOIN articles_relatedlink r ON r.article_id = c.source_id""",
    """UPDATE articles_story s SET size = s.size + n.added FROM (
        SELECT a.story_id, count(*) AS added FROM copies c JOIN articles_article a ON a.id = c.source_id
        GROUP BY a.story_id
    ) n WHERE s.id = n.story_id""",
    "DROP TABLE copies",
]


# --------------------------------------------------------------------------- measuring
def measure(env: dict, requests: int, warmup: int) -> list[dict]:
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "newsroom.settings"
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    from django.contrib import admin
    from django.core.cache import cache
    from django.db import connection
    from django.db.models import Count

    from articles.models import Article, Topic
    from providers.models import Provider

    client = editor_client()

    busiest = Provider.objects.annotate(n=Count("articles")).order_by("-n").first()
    topic = Topic.objects.annotate(n=Count("articles")).order_by("-n")[5]
    story = Article.objects.annotate(n=Count("related_links")).order_by("-n", "id").first()
    year = Article.objects.order_by("-published_at").values_list("published_at", flat=True).first().year
    # Page 100, or the last page of a smaller database (a page beyond it answers with a redirect).
    per_page = admin.site.get_model_admin(Article).list_per_page
    deep_page = max(1, min(100, Article.objects.count() // per_page))
    base = "/admin/articles/article/"
    cases = [
        ("change list", base, True),
        ("filtered list", f"{base}?status=live&quality_band=75-99", True),
        ("search", f"{base}?q=robots", True),
        ("change form", f"{base}{story.pk}/change/", True),
        ("dashboard", "/admin/", True),  # cold: every figure computed; warm: from the cache
        ("  needs review", f"{base}?review=needed", False),
        ("  provider filter", f"{base}?provider={busiest.pk}", False),
        ("  topic filter", f"{base}?topic={topic.pk}", False),
        ("  year + draft", f"{base}?published_at__year={year}&status=draft", False),
        ("  date range", f"{base}?published_from={year}-01-01&published_to={year}-03-31", False),
        ("  search phrase", f"{base}?q=%22facial+recognition%22+-police", False),
        ("  search provider", f"{base}?q={busiest.domain}", False),
        ("  search URL", f"{base}?q={story.web_url}", False),
        (f"  page {deep_page}", f"{base}?p={deep_page}", False),
        ("  preview", f"{base}{story.pk}/preview/", False),
        ("  providers", "/admin/providers/provider/", False),
        ("  topics", "/admin/articles/topic/", False),
        ("  images", "/admin/articles/image/", False),
        ("  related links", "/admin/articles/relatedlink/", False),
    ]

    cpu: list[float] = []

    def get(url: str) -> float:
        """Milliseconds for one GET of `url`, which must answer 200 (an error page is no measurement). The CPU time
        this process spent on it (Python: the database server's work is not in it) is appended to `cpu`."""
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        elapsed = (time.perf_counter() - started) * 1000
        cpu.append((time.process_time() - started_cpu) * 1000)
        if response.status_code != 200:
            sys.exit(f"admin_speed: {url} answered {response.status_code}")
        return elapsed

    results = []
    for label, url, headline in cases:
        for _ in range(warmup):
            get(url)
        colds = []
        for _ in range(COLD_REQUESTS):
            cache.clear()  # only the cache is cold: code, templates and connections are warm
            colds.append(get(url))
        cold = statistics.median(colds)
        with query_times(connection) as queries:
            get(url)
        cpu.clear()
        times = sorted(get(url) for _ in range(requests))
        results.append(
            {
                "label": label,
                "url": url,
                "headline": headline,
                "cold": cold,
                "median": statistics.median(times),
                "cpu": statistics.median(cpu),
                "p90": times[int(len(times) * 0.9) - 1],
                "queries": len(queries),
                "db_ms": sum(queries) * 1000,
            }
        )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench/admin_speed", description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=100_000, help="articles to generate and import (default 100000)")
    parser.add_argument(
        "--items",
        type=int,
        help="generated items to import (default: --count up to 100000); copies make up the rest of --count",
    )
    parser.add_argument("--requests", type=int, default=25, help="timed requests per URL (default 25)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed requests per URL first (default 3)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="import_articles --jobs")
    parser.add_argument("--db-name", default="bench_admin", help="database created for the run")
    parser.add_argument("--keep-db", action="store_true", help="leave the database in place afterwards")
    parser.add_argument("--reuse-db", action="store_true", help="skip the import when the database already holds N")
    args = parser.parse_args()
    if args.count < 1 or args.requests < 1 or args.warmup < 0:
        parser.error("--count and --requests must be at least 1")

    admin_url = server_url("admin_speed")
    url = database_url(admin_url, args.db_name)
    static_root = tempfile.mkdtemp(prefix="admin-speed-static-")  # never race the repo's staticfiles/
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_DEBUG", "DJANGO_SETTINGS_MODULE"}}
    env |= {
        "DATABASE_URL": url,
        "DJANGO_SECRET_KEY": "bench-only-not-secret",
        "DJANGO_ALLOWED_HOSTS": "testserver",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_HSTS_SECONDS": "0",
        "STATIC_ROOT": static_root,
        "PYTHONUNBUFFERED": "1",
    }
    try:
        if args.reuse_db and article_count(url) == args.count:
            log(f"reusing database {args.db_name} ({args.count} articles)")
        else:
            directory = ensure_corpus(args.items or min(args.count, 100_000), log)
            fresh_database(admin_url, args.db_name)
            load(directory, env, args.jobs, url, args.count)
        manage(["collectstatic", "--noinput", "-v0"], env)
        n = article_count(url)
        log(f"measuring {args.requests} requests per URL after {args.warmup} warm-up requests")
        results = measure(env, args.requests, args.warmup)
    finally:
        shutil.rmtree(static_root, ignore_errors=True)
        if not args.keep_db and not args.reuse_db:
            from django.apps import apps

            if apps.ready:  # Django was set up for the measurements: release its connections first
                from django.db import connections

                connections.close_all()
            drop_database(admin_url, args.db_name)

    print()
    print(f"Admin speed: {n:,} articles, PostgreSQL, {os.cpu_count()} CPU(s), median of {args.requests} requests")
    columns = ("median", "p90", "cold", "CPU", "queries", "SQL", "DB")
    widths = (9, 9, 9, 8, 8, 9, 5)
    print(f"{'request':<20} " + " ".join(f"{c:>{w}}" for c, w in zip(columns, widths, strict=True)) + "   target")
    print("-" * 107)
    for r in results:
        passed = r["median"] < TARGET_MS and r["cold"] < TARGET_MS
        status = ("PASS" if passed else "FAIL") if r["headline"] else ""
        target = f"< {TARGET_MS} ms {status}" if status else ""
        print(
            f"{r['label']:<20} {r['median']:>7.1f}ms {r['p90']:>7.1f}ms {r['cold']:>7.1f}ms {r['cpu']:>6.1f}ms "
            f"{r['queries']:>8} "
            f"{r['db_ms']:>7.1f}ms {r['db_ms'] / r['median']:>5.0%}   {target}".rstrip()
        )
    print()
    print(f"cold = median of {COLD_REQUESTS} requests, each with the cache emptied (filter values, dashboard figures).")
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPU(s)")
    print("CPU = median CPU time of this process per timed request (Python; on a busy machine the median waits for a")
    print("core too, so CPU + SQL is what a request costs on an idle one).")
    print("SQL = time of that request's queries in one extra, instrumented run (a warm one); DB = SQL / median. URLs:")
    for r in results:
        print(f"  {r['label'].strip():<18} {r['url']}")


if __name__ == "__main__":
    main()
