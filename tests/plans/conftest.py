"""An archive of 100,000 articles written by SQL in seconds, for the query-plan tests (PostgreSQL only).

Proportions follow the generated corpus: 200 outlets with logos, 30 topics (two or three per article), four
articles in five in a story of their own and the rest joining an earlier one, a lead image for most, 0 to 3
related links, 90% public (a few scheduled), a tenth waiting for review, a few reviewed and changed upstream
since. Titles and excerpts draw on a small vocabulary in which "robots" is common (about one title in ten)
and "zeppelin" rare (ten articles), so that search is measured at both ends.

The rows are committed (a page request must see them, and EXPLAIN must plan against their statistics), then
`VACUUM ANALYZE`d as autovacuum would after a real import; the tables are emptied when the module ends, as
every other test expects them.
"""

import time

import pytest
from django.db import connection

ARTICLES = 100_000
PROVIDERS = 200
TOPICS = 30
COMMON_WORD = "robots"
RARE_WORD = "zeppelin"
RARE_EVERY = ARTICLES // 10  # ten articles mention the rare word

# The tables the archive fills; TRUNCATE ... CASCADE also empties what points at them.
TABLES = (
    "providers_provider", "articles_topic", "articles_story", "articles_article", "articles_article_topics",
    "articles_image", "articles_relatedlink", "articles_upstreamchange", "articles_untagged",
)  # fmt: skip

WORDS = (
    "chips", "market", "startup", "model", "privacy", "cloud", "vision", "speech", "health", "energy",
    "climate", "school", "court", "election", "bank", "drone", "satellite", "battery", "factory", "farm",
    "city", "music", "film", "game", "museum", "ocean", "forest", "rocket", "vaccine", "hospital",
    "police", "border", "harbour", "railway", "bridge", "library", "garden", "theatre", "stadium", "airport",
)  # fmt: skip

# Constant SQL (no input): {n}, {providers}, {topics}, {words} and the two words are this module's constants.
BUILD = [
    """
    INSERT INTO providers_provider (id, domain, name, other_names, merged_domains, extra, created_at)
    SELECT p, 'outlet' || p || '.example', 'Outlet ' || p, '[]', '[]', '{{}}', now()
    FROM generate_series(1, {providers}) p
    """,
    """
    INSERT INTO articles_topic (id, name, slug, shortname, parent_id, description, keywords, extra)
    SELECT t, 'Topic ' || t, 'topic-' || t, '', CASE WHEN t > 5 THEN 1 + t % 5 END, '', '[]', '{{}}'
    FROM generate_series(1, {topics}) t
    """,
    # Story s holds articles whose id maps to it: 4 in 5 articles start a story, every fifth joins the one before.
    """
    INSERT INTO articles_story (id, lead_pinned, curated, size, created_at, updated_at)
    SELECT s, false, false, 0, now(), now() FROM generate_series(1, {n} * 4 / 5 + 1) s
    """,
    """
    INSERT INTO articles_article (
        id, web_url, web_url_hash, slug, title, excerpt, category, type, published_at, original_url, amp_url,
        cdn_amp_url, heat, provider_id, secured, extra, source_published, published, quality, editor_locked,
        publish_at, reviewed_at, approved_at, story_id, source_path, content_hash, first_imported_at,
        last_imported_at
    )
    SELECT
        i,
        'https://outlet' || (1 + i % {providers}) || '.example/news/' || i,
        -- The identity hash (articles.stories.identity): these URLs have nothing to strip.
        encode(sha256(convert_to('https://outlet' || (1 + i % {providers}) || '.example/news/' || i, 'UTF8')), 'hex'),
        'story-' || i,
        initcap(w[1 + i % 40]) || ' ' || w[1 + (i / 7) % 40] || ' '
            || CASE WHEN i % 10 = 3 THEN '{common}' ELSE w[1 + (i / 3) % 40] END
            || CASE WHEN i % {rare_every} = 5 THEN ' {rare}' ELSE '' END || ' ' || i,
        'About ' || w[1 + (i / 11) % 40] || ', ' || w[1 + (i / 13) % 40] || ' and ' || w[1 + (i / 17) % 40] || '.',
        CASE WHEN i % 9 = 0 THEN 'opinion' ELSE 'news' END,
        CASE WHEN i % 7 = 0 THEN 'video' ELSE 'article' END,
        now() - interval '1 hour' - ({n} - i) * interval '20 minutes',
        '', '', '',
        i % 1000,
        1 + i % {providers},
        'opaque-' || i, '{{}}', true,
        i % 10 <> 0,
        CASE WHEN i % 8 = 0 THEN NULL ELSE i % 130 END,
        '[]',
        CASE WHEN i % 2000 = 0 THEN now() + interval '3 hours' END,
        CASE WHEN i <= {n} * 9 / 10 THEN now() - ({n} - i) * interval '20 minutes' END,
        CASE WHEN i % 10 <> 0 THEN now() - ({n} - i) * interval '20 minutes' END,
        i * 4 / 5 + 1,
        'items/' || i || '.md',
        encode(sha256(convert_to('file ' || i, 'UTF8')), 'hex'),
        now() - ({n} - i) * interval '20 minutes',
        now() - ({n} - i) * interval '20 minutes' + CASE WHEN i % 500 = 0 THEN interval '1 day' ELSE '0' END
    FROM generate_series(1, {n}) i, (SELECT ARRAY[{words}] AS w) vocabulary
    """,
    """
    UPDATE articles_story s SET size = m.size, lead_id = m.lead, first_published_at = m.first,
        last_published_at = m.last
    FROM (
        SELECT story_id, count(*) AS size, min(id) AS lead, min(published_at) AS first, max(published_at) AS last
        FROM articles_article GROUP BY story_id
    ) m
    WHERE s.id = m.story_id
    """,
    "DELETE FROM articles_story WHERE size = 0",
    """
    INSERT INTO articles_article_topics (article_id, topic_id, source, term)
    SELECT i, t, CASE WHEN t = 1 + i % {topics} THEN 'file' ELSE 'auto' END, ''
    FROM generate_series(1, {n}) i,
        LATERAL (SELECT DISTINCT unnest(ARRAY[1 + i % {topics}, 1 + (i / 3) % {topics}, 1 + (i / 11) % {topics}])
                 LIMIT 2 + i % 2) chosen(t)
    """,
    """
    INSERT INTO articles_image (url, position, width, height, title, is_cached, file, extra, url_hash, status,
                                failure_reason, attempts, content_sha256, format, renditions, article_id)
    SELECT 'https://img.example/' || i || '.jpg', 0, 1200, 675, '', true, '', '{{}}',
           md5('image ' || i), 'pending', '', 0, '', '', '{{}}', i
    FROM generate_series(1, {n}) i WHERE i % 5 <> 0
    """,
    """
    INSERT INTO articles_image (url, position, width, height, title, is_cached, file, extra, url_hash, status,
                                failure_reason, attempts, content_sha256, format, renditions, provider_id)
    SELECT 'https://outlet' || p || '.example/logo.png', 0, 64, 64, '', true, '', '{{}}', md5('logo ' || p),
           'pending', '', 0, '', '', '{{}}', p
    FROM generate_series(1, {providers}) p
    """,
    """
    INSERT INTO articles_relatedlink (article_id, position, web_url, url_hash, title, excerpt, published_at,
                                      original_url, amp_url, cdn_amp_url, category, type, quality, heat,
                                      provider_id, extra)
    SELECT i, r, 'https://other' || (1 + (i + r) % {providers}) || '.example/' || i || '/' || r,
           encode(sha256(convert_to('link ' || i || ' ' || r, 'UTF8')), 'hex'),
           'Coverage ' || r || ' of story ' || i, '', now() - ({n} - i) * interval '20 minutes', '', '', '',
           'news', 'article', 50, NULL, 1 + (i + r) % {providers}, '{{}}'
    FROM generate_series(1, {n}) i, generate_series(0, i % 4 - 1) r
    """,
    """
    INSERT INTO articles_upstreamchange (article_id, imported_at, changes)
    SELECT id, last_imported_at, '{{"title": ["Before", "After"]}}'
    FROM articles_article WHERE last_imported_at > reviewed_at
    """,
]

SEQUENCES = ("providers_provider", "articles_topic", "articles_story", "articles_article")


def build_archive(cursor, n: int = ARTICLES) -> None:
    words = ", ".join(f"'{word}'" for word in WORDS)
    values = {"n": n, "providers": PROVIDERS, "topics": TOPICS, "words": words}
    values |= {"common": COMMON_WORD, "rare": RARE_WORD, "rare_every": RARE_EVERY}
    for statement in BUILD:
        cursor.execute(statement.format(**values))
    for table in SEQUENCES:  # rows were written with explicit ids: later inserts must not collide with them
        cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")  # noqa: S608 - constant table names


@pytest.fixture(scope="module")
def archive(django_db_setup, django_db_blocker):
    """Seconds it took to write and analyse the archive; the rows stay until the module ends."""
    if connection.vendor != "postgresql":
        pytest.skip("query plans are PostgreSQL's (EXPLAIN): run under scripts/with-postgres, as `make test` does")
    with django_db_blocker.unblock():
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
            build_archive(cursor)
            for table in TABLES:
                cursor.execute(f"VACUUM ANALYZE {table}")
        seconds = time.perf_counter() - started
        yield seconds
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
