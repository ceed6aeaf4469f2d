"""A trigram index on web_url, so that the admin's search for part of a URL reads an index, not the article table.

Editors paste part of a story's address (a path, a slug) into the change list's search; that is a substring match
(`LIKE '%...%'`), which no B-tree serves: PostgreSQL read all 100,000 articles for it (84 ms), 1,000,000 at a
million. pg_trgm's GIN index answers it from the fragment's trigrams (1 to 15 ms at 100,000, depending on how common
they are; 5.7 MB there beside the table's 51 MB, about a tenth of the table with real URLs). Imports write it
through GIN's pending list (fastupdate), so an insert does not rewrite posting lists one by one.

pg_trgm ships with PostgreSQL (contrib) and is a trusted extension (PostgreSQL 13+): a database owner may create it.
Nothing to do on SQLite, whose admin search is a plain substring match anyway.
"""

from django.db import migrations

from articles.migrations._postgresql import postgresql_only

FORWARD = """
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX IF NOT EXISTS article_web_url_trigram ON articles_article USING gin (web_url gin_trgm_ops);
"""
# The extension stays: other objects may use it by then.
BACKWARD = "DROP INDEX IF EXISTS article_web_url_trigram;"


class Migration(migrations.Migration):
    dependencies = [("articles", "0012_type_filter_statistics")]
    operations = [postgresql_only(FORWARD, BACKWARD)]
