"""How PostgreSQL plans an import's lookups (articles/ingest/planning.py): by index, on statistics kept current.

The plans are the ones the import really ran: PostgreSQL's auto_explain reports each statement's plan to this
test's connection as a notice while the import writes.
"""

from contextlib import contextmanager

import pytest
from django.db import connection

from articles.ingest.batch import CHUNK_SIZE, import_batch
from articles.ingest.planning import Statistics
from tests.factories import item_data, write_items
from tests.plans.conftest import build_archive

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif("connection.vendor != 'postgresql'", reason="PostgreSQL's planner and statistics"),
]


@contextmanager
def plans_run(*, analyze: bool = False):
    """The text of the plan of every statement run inside the block, as PostgreSQL ran it."""
    plans: list[str] = []
    connection.ensure_connection()
    raw = connection.connection

    def collect(diagnostic) -> None:
        if "plan:" in (diagnostic.message_primary or ""):
            plans.append(diagnostic.message_primary)

    with connection.cursor() as cursor:
        cursor.execute("LOAD 'auto_explain'")
        cursor.execute("SET auto_explain.log_min_duration = 0")
        cursor.execute("SET auto_explain.log_level = 'notice'")
        cursor.execute(f"SET auto_explain.log_analyze = {'on' if analyze else 'off'}")
        raw.add_notice_handler(collect)
        try:
            yield plans
        finally:
            raw.remove_notice_handler(collect)
            cursor.execute("RESET auto_explain.log_min_duration")


def items_citing_four_links(directory, count: int, first: int = 1_000_000) -> list[str]:
    """New items, each with four related links nobody cited before (as most of a real chunk's are)."""
    items = {}
    for n in range(first, first + count):
        related = [
            {"title": f"Coverage {n}.{r}", "webUrl": f"https://elsewhere{r}.example.net/{n}", "quality": 10}
            for r in range(4)
        ]
        items[f"{n}.md"] = item_data(n, related=related)
    return [str(path) for path in write_items(directory, items)]


def test_a_chunk_never_pays_for_jit_compilation_or_parallel_workers(tmp_path):
    with connection.cursor() as cursor:
        build_archive(cursor, n=5_000)
        # As if every statement were dear enough for both (a big table's estimates are): neither pays for lookups
        # by key, and either cost more than the lookup itself (JIT 70-190 ms a statement, a worker's start ~90 ms).
        for setting in ("jit_above_cost", "parallel_setup_cost", "parallel_tuple_cost", "min_parallel_table_scan_size"):
            cursor.execute(f"SET {setting} = 0")
    files = items_citing_four_links(tmp_path, CHUNK_SIZE)

    with plans_run(analyze=True) as plans:
        summary = import_batch(files)

    assert summary.counts["created"] == CHUNK_SIZE
    lookups = [plan for plan in plans if 'OVER (PARTITION BY "articles_relatedlink"."url_hash")' in plan]
    assert len(lookups) == 1, "clustering's lookup of related URLs (hub counts and the links)"
    # The settings' own statement is planned before they apply (a dear one only at these costs).
    statements = [plan for plan in plans if "Query Text: SELECT set_config(" not in plan]
    assert len(statements) > 20
    assert not [plan for plan in statements if "JIT:" in plan or "Gather" in plan]


def test_a_chunk_reads_the_related_links_of_its_urls_by_index(tmp_path):
    # Between ~20,000 and ~100,000 links PostgreSQL priced a chunk's ~2,000 index probes above reading the whole
    # table (random_page_cost 4, a disk's seek, where the pages an import reads are in memory): 31 ms against 4 ms
    # at 72,000 links.
    with connection.cursor() as cursor:
        build_archive(cursor, n=5_000)
        # 70,000 links as wide as the corpus's (a title, an excerpt, URLs): the table's pages decide the plan.
        cursor.execute(
            """
            INSERT INTO articles_relatedlink (article_id, position, web_url, url_hash, title, excerpt, published_at,
                                              original_url, amp_url, cdn_amp_url, category, type, quality, heat,
                                              provider_id, extra)
            SELECT 1 + i % 5000, 10 + i / 5000, 'https://wide' || i || '.example.org/news/2021/05/some-story-' || i,
                   encode(sha256(convert_to('wide ' || i, 'UTF8')), 'hex'), repeat('Headline words ', 5),
                   repeat('An excerpt of the story as the outlet wrote it. ', 5), now(),
                   'https://wide' || i || '.example.org/original', '', '', 'news', 'article', 50, NULL, NULL, '{}'
            FROM generate_series(1, 70000) i
            """
        )
        cursor.execute("ANALYZE articles_relatedlink")
        cursor.execute("ANALYZE articles_article")
    files = items_citing_four_links(tmp_path, CHUNK_SIZE)

    with plans_run() as plans:
        import_batch(files)

    (lookup,) = [plan for plan in plans if 'OVER (PARTITION BY "articles_relatedlink"."url_hash")' in plan]
    assert "related_link_url_hash" in lookup
    assert "Seq Scan on articles_relatedlink" not in lookup


def sampled_values(table: str, column: str) -> set[str]:
    """The values PostgreSQL's statistics of `table.column` hold (histogram bounds and most common values)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT histogram_bounds::text::text[], most_common_vals::text::text[] FROM pg_stats"
            " WHERE tablename = %s AND attname = %s",
            [table, column],
        )
        rows = cursor.fetchall()
    return {value for row in rows for values in row for value in values or ()}


def stored_values(table: str, column: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT DISTINCT "{column}"::text FROM "{table}"')  # noqa: S608 - this test's constants
        return {value for (value,) in cursor.fetchall()}


@pytest.mark.django_db(transaction=True)  # as the command runs: each chunk commits, statistics between chunks
def test_a_first_import_leaves_the_columns_it_looks_up_analyzed(tmp_path):
    # A fresh table has no statistics until autovacuum's analyze; the import does not wait for it. (The estimate
    # of the table's rows outlives a test: set it to this test's empty table. Other tests' statistics outlive
    # theirs too: the ones read here must describe this import's rows.)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE articles_article")
    import_batch(items_citing_four_links(tmp_path, CHUNK_SIZE + 10))

    for table, column in [
        ("articles_relatedlink", "url_hash"),
        ("articles_relatedlink", "article_id"),
        ("articles_article", "content_hash"),
        ("articles_image", "article_id"),
    ]:
        sampled = sampled_values(table, column)
        assert sampled, (table, column)
        assert sampled <= stored_values(table, column), (table, column)


@pytest.mark.django_db(transaction=True)
def test_statistics_are_renewed_each_time_the_import_doubles_the_articles():
    statistics = Statistics(floor=100, known=0)
    assert [statistics.grew(50), statistics.grew(50)] == [False, True]  # the first 100 rows: the floor
    assert [statistics.grew(60), statistics.grew(40)] == [False, True]  # 100 more double the 100 known
    assert [statistics.grew(150), statistics.grew(49), statistics.grew(1)] == [False, False, True]  # 200 more
    assert statistics.grew(0) is False
