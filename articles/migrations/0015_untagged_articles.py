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
    """
    CREATE TRIGGER articles_untagged_articles_added AFTER INSERT ON articles_article
    REFERENCING NEW TABLE AS new_articles FOR EACH STATEMENT EXECUTE FUNCTION articles_untagged_articles_added()
    """,
    """
    CREATE TRIGGER articles_untagged_articles_removed AFTER DELETE ON articles_article
    REFERENCING OLD TABLE AS old_articles FOR EACH STATEMENT EXECUTE FUNCTION articles_untagged_articles_removed()
    """,
    """
    CREATE TRIGGER articles_untagged_links_added AFTER INSERT ON articles_article_topics
    REFERENCING NEW TABLE AS new_links FOR EACH STATEMENT EXECUTE FUNCTION articles_untagged_links_added()
    """,
    """
    CREATE TRIGGER articles_untagged_links_removed AFTER DELETE ON articles_article_topics
    REFERENCING OLD TABLE AS old_links FOR EACH STATEMENT EXECUTE FUNCTION articles_untagged_links_removed()
    """,
    # A link moved to another article (nothing does this today) leaves one and tags the other.
    """
    CREATE TRIGGER articles_untagged_links_moved_from AFTER UPDATE ON articles_article_topics
    REFERENCING OLD TABLE AS old_links FOR EACH STATEMENT EXECUTE FUNCTION articles_untagged_links_removed()
    """,
    """
    CREATE TRIGGER articles_untagged_links_moved_to AFTER UPDATE ON articles_article_topics
    REFERENCING NEW TABLE AS new_links FOR EACH STATEMENT EXECUTE FUNCTION articles_untagged_links_added()
    """,
]
POSTGRESQL_BACKWARD = [
    "DROP TRIGGER IF EXISTS articles_untagged_articles_added ON articles_article",
    "DROP TRIGGER IF EXISTS articles_untagged_articles_removed ON articles_article",
    "DROP TRIGGER IF EXISTS articles_untagged_links_added ON articles_article_topics",
    "DROP TRIGGER IF EXISTS articles_untagged_links_removed ON articles_article_topics",
    "DROP TRIGGER IF EXISTS articles_untagged_links_moved_from ON articles_article_topics",
    "DROP TRIGGER IF EXISTS articles_untagged_links_moved_to ON articles_article_topics",
    "DROP FUNCTION IF EXISTS articles_untagged_articles_added()",
    "DROP FUNCTION IF EXISTS articles_untagged_articles_removed()",
    "DROP FUNCTION IF EXISTS articles_untagged_links_added()",
    "DROP FUNCTION IF EXISTS articles_untagged_links_removed()",
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


def run(postgresql: list[str], sqlite: list[str]):
    def apply(apps, schema_editor):
        for statement in postgresql if schema_editor.connection.vendor == "postgresql" else sqlite:
            schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [("articles", "0014_url_path_index")]
    operations = [
        migrations.CreateModel(
            name="UntaggedArticle",
            fields=[("article_id", models.BigIntegerField(primary_key=True, serialize=False))],
            options={"db_table": "articles_untagged"},
        ),
        migrations.RunPython(
            run([*POSTGRESQL, FILL], [*SQLITE, FILL]), run(POSTGRESQL_BACKWARD, SQLITE_BACKWARD), elidable=False
        ),
    ]
