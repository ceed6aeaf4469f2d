"""Full-text search on PostgreSQL: a stored, generated tsvector (title weighted above excerpt) and a GIN index.

SQLite has no tsvector; there the public search falls back to a plain substring search, so this
migration does nothing on other databases.
"""

from django.db import migrations

from articles.migrations._postgresql import postgresql_only

FORWARD = """
ALTER TABLE articles_article ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A')
    || setweight(to_tsvector('english'::regconfig, coalesce(excerpt, '')), 'B')
) STORED;
CREATE INDEX article_search_vector ON articles_article USING gin (search_vector);
"""
BACKWARD = """
DROP INDEX IF EXISTS article_search_vector;
ALTER TABLE articles_article DROP COLUMN IF EXISTS search_vector;
"""


class Migration(migrations.Migration):
    dependencies = [("articles", "0002_editorial_and_image_cache")]
    operations = [postgresql_only(FORWARD, BACKWARD)]
