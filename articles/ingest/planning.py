"""How PostgreSQL plans an import's statements: settings for a chunk's transaction, statistics kept in step.

Every statement of a chunk finds rows by key (identities, related URLs, title keys, ids), a few thousand keys at a
time, in tables the import itself grows. A fresh table has no statistics until autovacuum's analyze (which then
waits for 10% more rows), and without them PostgreSQL guessed that `content_hash = ANY(500 hashes)` or an updated
article's images were a sizeable share of their tables and read those whole, ~25 ms a statement and growing with
the table. The import analyzes the columns it looks up whenever it has doubled the articles since it last did
(`Statistics`): 5 times in a first import of 20,000 items (~0.6 s of PostgreSQL's CPU in all), 11 in one of a
million.

A chunk's statements are also planned with `random_page_cost` 1.1 rather than 4 (a disk's seek): the pages an
import probes are in memory, and at the default PostgreSQL read the related links whole for a chunk's ~2,000 URLs
between ~20,000 and ~100,000 links (31 ms a lookup against 4 ms by index at 72,000 links; clustering's lookup
986 → 357 ms and the articles' by identity 295 → 170 ms of statement time in a first import of 20,000 items).

JIT compilation and parallel workers are off for a chunk's transaction: neither pays for lookups by key, and once
a table's estimates crossed their thresholds they cost more than the statements (JIT 70-190 ms a statement, a
parallel worker's start ~90 ms on a busy machine).
"""

from django.db import connection

from articles.models import Article, Image, RelatedLink

# The columns an import looks thousands of keys up by, in tables it grows, whose estimates need statistics (an
# identity or an id is unique: those need none). Analyzing a few columns samples what a whole-table ANALYZE does
# but computes less: 57 ms against 249 ms at 80,000 related links (the article table's tsvector is the dear one).
LOOKED_UP = {
    Article: ["content_hash", "story_id"],  # unchanged files; members of a story
    RelatedLink: ["url_hash", "article_id"],  # clustering's rules 1 and 2; an updated article's links
    Image: ["article_id", "related_link_id"],  # an updated article's images
}
# set_config(..., true) is SET LOCAL: until the transaction ends. One statement, one round trip.
CHUNK_SETTINGS = (
    "SELECT set_config('jit', 'off', true), set_config('max_parallel_workers_per_gather', '0', true),"
    " set_config('random_page_cost', '1.1', true)"
)


def plan_chunk_for_keys() -> None:
    """Planner settings for the current transaction (a chunk's) only."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(CHUNK_SETTINGS)


class Statistics:
    """Analyzes the columns a chunk looks up each time the import has doubled the articles the database held when
    it last did."""

    def __init__(self, *, floor: int = 500, known: int | None = None):
        self.floor = floor  # rows below which statistics do not matter (a chunk)
        self.known = known  # articles at the last analyze (None: the table's estimate, read when first needed)
        self.added = 0

    def grew(self, articles: int) -> bool:
        """Count `articles` new rows; analyze when they double the table. Returns whether it did.

        Not inside a transaction (a dry run, a caller's): ANALYZE's lock would be held to its end, and another
        import's ANALYZE wait for it."""
        if connection.vendor != "postgresql" or not articles or connection.in_atomic_block:
            return False
        if self.known is None:
            self.known = _estimated_rows(Article._meta.db_table)
        self.added += articles
        if self.added < max(self.floor, self.known):
            return False
        with connection.cursor() as cursor:
            for model, columns in LOOKED_UP.items():
                names = ", ".join(f'"{column}"' for column in columns)
                cursor.execute(f'ANALYZE "{model._meta.db_table}" ({names})')  # the models' own names, not input
        self.known += self.added
        self.added = 0
        return True


def _estimated_rows(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE oid = %s::regclass", [table])
        return cursor.fetchone()[0]
