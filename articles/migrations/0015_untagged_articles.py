"""Articles without a topic, kept in a table of their own by triggers, for the admin's "no topic" filter.

"Which articles have no topic link" is an anti-join no index can shorten: PostgreSQL walked all 1,000,000
articles and probed the links of each, 5.7 s, when few lack a topic (as with automatic topics). Triggers keep
`articles_untagged` instead, whoever writes (the importer's COPY, the admin, the topic matcher, a topic deleted
with its links): an article enters it when it is created without links or loses its last one, and leaves it when
it gets a link or is deleted. PostgreSQL's triggers run once a statement over its changed rows (transition
tables), so an import chunk pays one INSERT and one DELETE, not one per row; SQLite has row triggers only.

Each trigger sees the other transactions' committed rows only, so two transactions that remove an article's last
two links at the same moment can leave it out of the table; the filter also checks the links, so the table
never lists an article that has one.
"""

from django.db import migrations, models

from articles.migrations._postgresql import by_vendor

POSTGRESQL = [
    """
    CREATE FUNCTION articles_untagged_articles_added() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO articles_untagged (article_id)
        SELECT n.id FROM new_articles n
        WHERE NOT EXISTS (SELECT 1 FROM articles_article_topics t WHERE t.article_id = n.id)
        ON CONFLICT DO NOTHING;
        RETURN NULL;
    END $$
    """,
    """
    CREATE FUNCTION articles_untagged_articles_removed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM articles_untagged u USING old_articles o WHERE u.article_id = o.id;
        RETURN NULL;
    END $$
    """,
    """
    CREATE FUNCTION articles_untagged_links_added() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM articles_untagged u USING new_links n WHERE u.article_id = n.article_id;
        RETURN NULL;
    END $$
    """,
    """
    CREATE FUNCTION articles_untagged_links_removed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO articles_untagged (article_id)
        SELECT DISTINCT o.article_id FROM old_links o
        WHERE EXISTS (SELECT 1 FROM articles_article a WHERE a.id = o.article_id)
          AND NOT EXISTS (SELECT 1 FROM articles_article_topics t WHERE t.article_id = o.article_id)
        ON CONFLICT DO NOTHING;
        RETURN NULL;
    END $$
    """,
]
# (trigger, event, table, transition table, function). A link moved to another article (nothing does this today)
# leaves one and tags the other.
TRIGGERS = [
    ("articles_added", "INSERT", "articles_article", "NEW TABLE AS new_articles", "articles_added"),
    ("articles_removed", "DELETE", "articles_article", "OLD TABLE AS old_articles", "articles_removed"),
    ("links_added", "INSERT", "articles_article_topics", "NEW TABLE AS new_links", "links_added"),
    ("links_removed", "DELETE", "articles_article_topics", "OLD TABLE AS old_links", "links_removed"),
    ("links_moved_from", "UPDATE", "articles_article_topics", "OLD TABLE AS old_links", "links_removed"),
    ("links_moved_to", "UPDATE", "articles_article_topics", "NEW TABLE AS new_links", "links_added"),
]
POSTGRESQL += [
    f"CREATE TRIGGER articles_untagged_{name} AFTER {event} ON {table} REFERENCING {transition}"
    f" FOR EACH STATEMENT EXECUTE FUNCTION articles_untagged_{function}()"
    for name, event, table, transition, function in TRIGGERS
]
POSTGRESQL_BACKWARD = [
    *(f"DROP TRIGGER IF EXISTS articles_untagged_{name} ON {table}" for name, _, table, _, _ in TRIGGERS),
    *(
        f"DROP FUNCTION IF EXISTS articles_untagged_{function}()"
        for function in ("articles_added", "articles_removed", "links_added", "links_removed")
    ),
]

_UNTAG = """
    INSERT OR IGNORE INTO articles_untagged (article_id)
    SELECT OLD.article_id
    WHERE EXISTS (SELECT 1 FROM articles_article WHERE id = OLD.article_id)
      AND NOT EXISTS (SELECT 1 FROM articles_article_topics WHERE article_id = OLD.article_id);
"""
_TAG = "DELETE FROM articles_untagged WHERE article_id = NEW.article_id;"
SQLITE = [
    """
    CREATE TRIGGER articles_untagged_articles_added AFTER INSERT ON articles_article BEGIN
        INSERT OR IGNORE INTO articles_untagged (article_id)
        SELECT NEW.id WHERE NOT EXISTS (SELECT 1 FROM articles_article_topics WHERE article_id = NEW.id);
    END
    """,
    """
    CREATE TRIGGER articles_untagged_articles_removed AFTER DELETE ON articles_article BEGIN
        DELETE FROM articles_untagged WHERE article_id = OLD.id;
    END
    """,
    f"CREATE TRIGGER articles_untagged_links_added AFTER INSERT ON articles_article_topics BEGIN {_TAG} END",
    f"CREATE TRIGGER articles_untagged_links_removed AFTER DELETE ON articles_article_topics BEGIN {_UNTAG} END",
    f"CREATE TRIGGER articles_untagged_links_moved AFTER UPDATE ON articles_article_topics BEGIN {_UNTAG} {_TAG} END",
]
SQLITE_BACKWARD = [
    f"DROP TRIGGER IF EXISTS articles_untagged_{name}"
    for name in ("articles_added", "articles_removed", "links_added", "links_removed", "links_moved")
]

# The articles that have no topic when the triggers start.
FILL = (
    "INSERT INTO articles_untagged (article_id) SELECT a.id FROM articles_article a"
    " WHERE NOT EXISTS (SELECT 1 FROM articles_article_topics t WHERE t.article_id = a.id)"
)


class Migration(migrations.Migration):
    dependencies = [("articles", "0014_url_path_index")]
    operations = [
        migrations.CreateModel(
            name="UntaggedArticle",
            fields=[("article_id", models.BigIntegerField(primary_key=True, serialize=False))],
            options={"db_table": "articles_untagged"},
        ),
        by_vendor(postgresql=([*POSTGRESQL, FILL], POSTGRESQL_BACKWARD), sqlite=([*SQLITE, FILL], SQLITE_BACKWARD)),
    ]
