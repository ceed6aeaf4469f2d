"""A B-tree on each URL's path, so that the admin's search for a pasted path costs the same at any archive size.

The trigram index of 0013 answers a substring match from every trigram of the fragment, and the trigrams of a
path ("/ne", "htm", "-th") are in most URLs: at 1,000,000 stories a pasted path read 6,400 index pages, 155-230 ms
(bench/scale's "admin search, part of a URL"). A path is matched as the start of a URL's path instead, a range
scan of this index: 0.4 ms at 1,000,000 for the same 114 rows (108 MB there, beside the trigram index's 211 MB and
the table's 1.8 GB). The expression is `articles.admin.search.UrlPath`'s, character for character.

Nothing to do on SQLite, whose admin search is a plain substring match.
"""

from django.db import migrations

from articles.migrations._postgresql import postgresql_only

FORWARD = (
    "CREATE INDEX IF NOT EXISTS article_web_url_path"
    " ON articles_article ((regexp_replace(web_url, '^[^/]*//[^/]*', '')) text_pattern_ops);"
)
BACKWARD = "DROP INDEX IF EXISTS article_web_url_path;"


class Migration(migrations.Migration):
    dependencies = [("articles", "0013_url_fragment_trigram_index")]
    operations = [postgresql_only(FORWARD, BACKWARD)]
