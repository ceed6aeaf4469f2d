"""How PostgreSQL plans an import's statements: settings for a chunk's transaction, statistics kept in step.

Every statement of a chunk finds rows by key (identities, related URLs, title keys, ids), a few thousand keys at a
time, in tables the import itself grows. Two things made PostgreSQL read tables whole instead:

- statistics that lag behind: a fresh table has none until autovacuum's analyze (which then waits for 10% more
  rows), and without them `url_hash = ANY(2,500 hashes)` looked like 15% of the related links. The import
  analyzes the related links' hashes whenever it has doubled the articles since it last did (`Statistics`): a
  dozen times over a first import of a million items, each under 100 ms;
- the default random_page_cost (4, for spinning disks), at which 2,500 index probes looked dearer than reading
  80,000 rows (31 ms against 10 ms measured). Servers keep these tables in memory or on SSD: 1.1.

Together they cut the related links' two lookups per chunk from ~35 ms to a few (at 20,000 items: ~150 us of
PostgreSQL's CPU a file, growing with the table). JIT compilation is off for the chunk too: it never pays for key
lookups and cost 70-190 ms a statement when a plan's estimate crossed `jit_above_cost`.
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
    "SELECT set_config('random_page_cost', '1.1', true), set_config('jit', 'off', true),"
    " set_config('max_parallel_workers_per_gather', '0', true)"
)


def plan_chunk_for_keys() -> None:
    """Planner settings for the current transaction (a chunk's) only."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(CHUNK_SETTINGS)


class Statistics:
    """Analyzes the columns a chunk looks up each time the import has doubled the articles the database held when
    it last did."""

    def __init__(self, *, floor: int = 500):
        self.floor = floor  # rows below which statistics do not matter (a chunk)
        self.known: int | None = None  # articles at the last analyze
        self.added = 0

    def grew(self, articles: int) -> bool:
        """Count `articles` new rows; analyze when they double the table. Returns whether it did."""
        if connection.vendor != "postgresql" or not articles:
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
