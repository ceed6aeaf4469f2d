"""Implementation of bench/dashboard_speed (run that wrapper, not this file: it picks the venv and PostgreSQL).

1. Imports N generated items like bench/admin_speed (reused with --reuse-db), then tops the archive up to exactly
   N stories: copies of the newest articles, each a story of its own.
2. Gives it an editorial past, as a desk that has worked for a while would have: the newest 10% of articles wait
   for review (1,000 of them reviewed before and changed upstream since, with their change records), editors
   approved a fifth of the rest at times spread over the last 30 days, 50 are scheduled within the next 24 hours,
   and 300 import runs (some failed) fall in the last 7 days. Times are moved so that the newest article is an
   hour old, keeping the generator's spread (four years), then ANALYZE.
3. In this process, logged in as a member of the Editors group, times the dashboard (`/admin/`) cold (cache
   emptied before each request: every figure computed) and warm (the figures cached for their minute), each
   figure alone, and review mode's pages, R requests each after a warm-up; every request must answer 200 (or the
   302 into review mode). Then the same with every article moved into the last 30 days (`all recent`): the worst
   case for the 30-day charts, which read that window.
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time

import psycopg
from _admin_speed import article_count, load, manage
from _common import REPO, database_url, drop_database, editor_client, ensure_corpus, fresh_database, server_url

TARGET_MS = 300  # the dashboard at 100,000 stories, from the issue


def log(message: str) -> None:
    print(f"dashboard_speed: {message}", file=sys.stderr, flush=True)


def story_count(url: str) -> int | None:
    try:
        with psycopg.connect(url) as conn:
            return conn.execute("SELECT count(*) FROM articles_story").fetchone()[0]
    except psycopg.Error:
        return None


# Article columns copied as they are (identity, slug, title and story are derived).
_COLUMNS = (
    "excerpt, category, type, published_at, original_url, amp_url, cdn_amp_url, heat, provider_id, secured, extra, "
    "source_published, published, quality, editor_locked, publish_at, reviewed_by_id, reviewed_at, source_path, "
    "content_hash, first_imported_at, last_imported_at"
)
_TOP_UP = [
    # Constant SQL (the column list above), no input: nothing to inject.
    f"""INSERT INTO articles_article (id, web_url, web_url_hash, slug, title, story_id, {_COLUMNS})
    SELECT c.id, a.web_url || '#story-' || c.id, encode(sha256(convert_to(a.web_url || '#story-' || c.id, 'UTF8')),
           'hex'), left(a.slug, 100) || '-s' || c.id, a.title || ' (' || c.id || ')', c.story_id, {_COLUMNS}
    FROM copies c JOIN articles_article a ON a.id = c.source_id""",  # noqa: S608
    """INSERT INTO articles_article_topics (article_id, topic_id, source, term)
    SELECT c.id, t.topic_id, t.source, t.term
    FROM copies c JOIN articles_article_topics t ON t.article_id = c.source_id""",
    """UPDATE articles_story s SET lead_id = c.id FROM copies c WHERE s.id = c.story_id""",
    "DROP TABLE copies",
]


def top_up_stories(conn, count: int) -> None:
    """Copies of the newest articles, each in a story of its own, until there are exactly `count` stories."""
    while (have := conn.execute("SELECT count(*) FROM articles_story").fetchone()[0]) < count:
        missing = count - have
        log(f"{have} stories: adding {missing} articles as stories of their own")
        conn.execute(
            "CREATE TEMP TABLE copies AS SELECT id AS source_id,"
            " nextval(pg_get_serial_sequence('articles_article', 'id')) AS id,"
            " nextval(pg_get_serial_sequence('articles_story', 'id')) AS story_id"
            " FROM articles_article ORDER BY published_at DESC, id DESC LIMIT %s",
            [missing],
        )
        conn.execute(
            "INSERT INTO articles_story (id, lead_pinned, curated, size, first_published_at, last_published_at,"
            " created_at, updated_at) SELECT c.story_id, false, false, 1, a.published_at, a.published_at, now(), now()"
            " FROM copies c JOIN articles_article a ON a.id = c.source_id"
        )
        for statement in _TOP_UP:
            conn.execute(statement)


EDITORIAL_PAST = [
    # The newest article an hour old, the spread kept.
    "UPDATE articles_article SET published_at = published_at + (now() - interval '1 hour'"
    " - (SELECT max(published_at) FROM articles_article))",
    "UPDATE articles_story s SET first_published_at = a.first, last_published_at = a.last FROM (SELECT story_id,"
    " min(published_at) AS first, max(published_at) AS last FROM articles_article GROUP BY story_id) a"
    " WHERE a.story_id = s.id",
    # Imported when they came out (at the latest an hour ago); reviewed an hour later, but for the newest 10%.
    "UPDATE articles_article SET first_imported_at = least(published_at, now() - interval '1 hour'),"
    " last_imported_at = least(published_at, now() - interval '1 hour'), reviewed_at = NULL, approved_at = NULL,"
    " publish_at = NULL",
    "CREATE TEMP TABLE ranked AS SELECT id, row_number() OVER (ORDER BY published_at DESC, id DESC) AS n,"
    " count(*) OVER () AS total FROM articles_article",
    "UPDATE articles_article a SET reviewed_at = a.last_imported_at + interval '1 hour',"
    " reviewed_by_id = (SELECT id FROM auth_user WHERE username = 'bench-editor')"
    " FROM ranked r WHERE r.id = a.id AND r.n > r.total / 10",
    # 1,000 of the waiting ones were reviewed before a re-import changed them: their records say what changed.
    "UPDATE articles_article a SET reviewed_at = a.last_imported_at - interval '1 day'"
    " FROM ranked r WHERE r.id = a.id AND r.n <= 1000",
    "INSERT INTO articles_upstreamchange (article_id, imported_at, changes) SELECT a.id, a.last_imported_at,"
    " jsonb_build_object('title', jsonb_build_array('An earlier title', a.title), 'heat', jsonb_build_array(1, a.heat))"
    " FROM articles_article a JOIN ranked r ON r.id = a.id WHERE r.n <= 1000",
    # Editors approved a fifth of the published ones at times spread over the last 30 days.
    "UPDATE articles_article SET approved_at = now() - (id % 43200) * interval '1 minute'"
    " WHERE published AND id % 5 = 0",
    # 50 scheduled within the next 24 hours.
    "UPDATE articles_article a SET published = true, publish_at = now() + (r.n % 24) * interval '1 hour'"
    " + interval '5 minutes' FROM ranked r WHERE r.id = a.id AND r.n BETWEEN 1001 AND 1050",
    "DROP TABLE ranked",
    # 300 import runs in the last 7 days, every tenth failed.
    "DELETE FROM articles_importrun",
    "INSERT INTO articles_importrun (started_at, finished_at, started_by, paths, options, status, counts, errors)"
    " SELECT now() - n * interval '33 minutes', now() - n * interval '33 minutes' + interval '2 minutes', 'bench',"
    " '[]', '{\"dry_run\": false}', CASE WHEN n % 10 = 0 THEN 'failed' ELSE 'finished' END,"
    " jsonb_build_object('files', 500, 'created', 400, 'updated', 90, 'failed', n % 3), '[]'"
    " FROM generate_series(1, 300) AS n",
]
ALL_RECENT = [
    # Every article into the last 30 days, in the same order: the charts' window then holds the whole archive.
    "UPDATE articles_article SET published_at = now() - interval '1 hour' - (m.newest - published_at)"
    " * (29 * 86400 / greatest(extract(epoch FROM m.newest - m.oldest), 1))"
    " FROM (SELECT max(published_at) AS newest, min(published_at) AS oldest FROM articles_article) m",
]


def prepare(url: str, statements: list[str]) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)
        conn.execute("VACUUM ANALYZE")


def measure(env: dict, requests: int, warmup: int) -> list[tuple[str, list[float]]]:
    """[(label, timings in ms)] for the dashboard cold and warm, each figure cold, and review mode's pages."""
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "newsroom.settings"
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    from django.core.cache import cache
    from django.utils import timezone

    from articles.desk import figures, queue

    client = editor_client()

    def get(url: str, expected: int = 200) -> float:
        started = time.perf_counter()
        response = client.get(url)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != expected:
            sys.exit(f"dashboard_speed: {url} answered {response.status_code}")
        return elapsed

    def figure(compute):
        def run() -> float:
            started = time.perf_counter()
            compute()
            return (time.perf_counter() - started) * 1000

        return run

    def repeat(run, cold: bool) -> list[float]:
        for _ in range(warmup):
            run()
        times = []
        for _ in range(requests):
            if cold:
                cache.clear()
            times.append(run())
        return times

    place = queue.next_place()
    story = f"/admin/articles/story/{place.story_id}/review/"
    needs_review = "/admin/articles/article/?review=needed"
    now = timezone.now()
    cases = [
        ("dashboard, cold", lambda: get("/admin/"), True),
        ("dashboard, warm", lambda: get("/admin/"), False),
        ("  review queue", figure(figures.review_queue), True),
        ("  scheduled", figure(lambda: figures.scheduled(now=now)), True),
        ("  imports", figure(lambda: figures.imports(now=now)), True),
        ("  approvals/day", figure(lambda: figures.approvals_per_day(now=now)), True),
        ("  per topic", figure(lambda: figures.stories_per_topic(now=now)), True),
        ("  per outlet", figure(lambda: figures.stories_per_outlet(now=now)), True),
        ("review: start (302)", lambda: get("/admin/articles/story/review/", 302), False),
        ("review: a story", lambda: get(story), False),
        ("list: needs review", lambda: get(needs_review), False),
    ]
    results = [(label, repeat(run, cold)) for label, run, cold in cases]
    from django.db import connections

    connections.close_all()
    return results


def report(title: str, results) -> None:
    print()
    print(title)
    print(f"{'request':<22} {'median':>9} {'p90':>9} {'max':>9}   target (median)")
    print("-" * 72)
    for label, times in results:
        ordered = sorted(times)
        median, p90 = statistics.median(ordered), ordered[max(int(len(ordered) * 0.9) - 1, 0)]
        target = f"< {TARGET_MS} ms {'PASS' if median < TARGET_MS else 'FAIL'}" if label.startswith("dashboard") else ""
        print(f"{label:<22} {median:>7.1f}ms {p90:>7.1f}ms {ordered[-1]:>7.1f}ms   {target}".rstrip())


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench/dashboard_speed", description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=100_000, help="stories (default 100000)")
    parser.add_argument("--requests", type=int, default=15, help="timed requests per case (default 15)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed requests per case first (default 2)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="import_articles --jobs")
    parser.add_argument("--db-name", default="bench_dashboard", help="database created for the run")
    parser.add_argument("--keep-db", action="store_true", help="leave the database in place afterwards")
    parser.add_argument("--reuse-db", action="store_true", help="skip the import when the database holds N stories")
    args = parser.parse_args()
    if args.count < 1 or args.requests < 1 or args.warmup < 0:
        parser.error("--count and --requests must be at least 1")

    admin_url = server_url("dashboard_speed")
    url = database_url(admin_url, args.db_name)
    static_root = tempfile.mkdtemp(prefix="dashboard-speed-static-")
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_DEBUG", "DJANGO_SETTINGS_MODULE"}}
    env |= {
        "DATABASE_URL": url,
        "DJANGO_SECRET_KEY": "bench-only-not-secret",
        "DJANGO_ALLOWED_HOSTS": "testserver",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_HSTS_SECONDS": "0",
        "STATIC_ROOT": static_root,
        "PYTHONUNBUFFERED": "1",
        "DJANGO_REQUEST_LOG": "0",  # a log line per timed request is noise here
    }
    try:
        if args.reuse_db and story_count(url) == args.count:
            log(f"reusing database {args.db_name} ({args.count} stories)")
        else:
            directory = ensure_corpus(args.count, log)
            fresh_database(admin_url, args.db_name)
            load(directory, env, args.jobs, url, args.count)
            with psycopg.connect(url, autocommit=True) as conn:
                top_up_stories(conn, args.count)
        manage(["collectstatic", "--noinput", "-v0"], env)
        # The bench editor exists before the past is written (it reviewed the articles).
        manage(["shell", "-c", _EDITOR], env)
        log("writing an editorial past (reviews, approvals, schedules, import runs) and analysing")
        prepare(url, EDITORIAL_PAST)
        stories, articles = story_count(url), article_count(url)
        log(f"measuring: {stories} stories, {articles} articles")
        spread = measure(env, args.requests, args.warmup)
        prepare(url, ALL_RECENT)
        recent = measure(env, args.requests, args.warmup)
    finally:
        shutil.rmtree(static_root, ignore_errors=True)
        if not args.keep_db and not args.reuse_db:
            drop_database(admin_url, args.db_name)

    print()
    print(
        f"Dashboard speed: {stories:,} stories ({articles:,} articles), PostgreSQL, {os.cpu_count()} CPU(s), "
        f"median of {args.requests} requests"
    )
    report("Archive spread over four years (about 2% of it in the charts' 30 days):", spread)
    report("Every article in the last 30 days (the charts read the whole archive):", recent)
    print()
    print("cold = the cache emptied before each request: every figure computed (as once a minute in production).")
    print("warm = figures read from the cache (they are kept for 60 s). Indented lines: one figure, computed alone.")
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPU(s)")


_EDITOR = (
    "from django.contrib.auth.models import Group, User; "
    "u, _ = User.objects.get_or_create(username='bench-editor', defaults={'is_staff': True}); "
    "u.groups.add(Group.objects.get(name='Editors'))"
)


if __name__ == "__main__":
    main()
