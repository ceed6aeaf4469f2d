"""The embedded default (SQLite, `make run`) writes topic links through the ORM instead of COPY: same provenance."""

import sqlite3

from tests.factories import item_data, item_text, write_items
from tests.ingest.test_sqlite_import import _manage
from tests.topics.conftest import write_taxonomy

LINKS = """SELECT a.title, t.name, l.source, l.term FROM articles_article_topics l
           JOIN articles_article a ON a.id = l.article_id JOIN articles_topic t ON t.id = l.topic_id"""


def test_automatic_topics_and_assign_topics_on_sqlite(tmp_path):
    database = str(tmp_path / "db.sqlite3")
    assert _manage(database, "migrate", "-v0").returncode == 0
    assert _manage(database, "import_taxonomy", str(write_taxonomy(tmp_path / "taxonomy"))).returncode == 0
    items = {
        "robots.md": item_data(1, title="Deep learning helps robots", excerpt="", topics=["AI in Robotics"]),
        "azure.md": item_data(2, title="Azure adds assistants", excerpt="", topics=["AI"]),
    }
    paths = write_items(tmp_path / "batch", items)
    first = _manage(database, "import_articles", str(tmp_path / "batch"), "--jobs", "1")
    assert first.returncode == 0, first.stderr

    with sqlite3.connect(database) as db:
        assert set(db.execute(LINKS)) == {
            ("Deep learning helps robots", "AI in Robotics", "file", ""),
            ("Deep learning helps robots", "Machine Learning", "auto", "deep learning"),
            ("Deep learning helps robots", "AI", "auto", "deep learning"),
            ("Azure adds assistants", "AI", "file", ""),
            ("Azure adds assistants", "Microsoft AI", "auto", "azure"),
        }
        # An editor takes Machine Learning off the first story (what the admin form does, in SQL).
        db.execute("UPDATE articles_article SET editor_locked = '[\"topics\"]' WHERE title LIKE 'Deep%'")
        db.execute("DELETE FROM articles_article_topics WHERE term = 'deep learning' AND topic_id = "
                   "(SELECT id FROM articles_topic WHERE name = 'Machine Learning')")  # fmt: skip

    paths[0].write_text(item_text({**items["robots.md"], "excerpt": "More deep learning."}))
    second = _manage(database, "import_articles", str(tmp_path / "batch"), "--jobs", "1")
    assert second.returncode == 0 and "1 updated" in second.stdout, second.stderr
    assign = _manage(database, "assign_topics")
    assert assign.returncode == 0, assign.stderr
    assert "0 changed" in assign.stdout and "1 left alone" in assign.stdout

    with sqlite3.connect(database) as db:
        robots = {row[1:] for row in db.execute(LINKS) if row[0].startswith("Deep")}
    assert robots == {("AI in Robotics", "file", ""), ("AI", "auto", "deep learning")}
