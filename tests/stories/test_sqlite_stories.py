"""The embedded default (SQLite, `make run`): the same stories as on PostgreSQL, through the ORM's bulk path."""

import sqlite3

from tests.ingest.test_sqlite_import import _manage
from tests.stories.test_clustering import CORPUS_GROUPS, corpus_files


def _groups(database: str) -> set[frozenset[str]]:
    with sqlite3.connect(database) as db:
        rows = db.execute("SELECT story_id, web_url FROM articles_article").fetchall()
        stories = db.execute("SELECT id, size, lead_id FROM articles_story").fetchall()
    by_story: dict[int, set[str]] = {}
    for story_id, web_url in rows:
        by_story.setdefault(story_id, set()).add(web_url)
    assert {pk: size for pk, size, _ in stories} == {pk: len(urls) for pk, urls in by_story.items()}
    return {frozenset(urls) for urls in by_story.values() if len(urls) > 1}


def test_corpus_stories_and_cluster_stories_on_sqlite(corpus, tmp_path):
    database = str(tmp_path / "db.sqlite3")
    assert _manage(database, "migrate", "-v0").returncode == 0
    files = corpus_files(corpus)
    # Two batches, newest first, so that later chunks join stories the first one wrote.
    first = _manage(database, "import_articles", *files[20:], "--jobs", "1")
    second = _manage(database, "import_articles", *files[:20], "--jobs", "1")
    assert first.returncode == second.returncode == 0, first.stderr + second.stderr

    assert _groups(database) == CORPUS_GROUPS
    rebuilt = _manage(database, "cluster_stories")
    again = _manage(database, "cluster_stories")
    assert rebuilt.returncode == again.returncode == 0, rebuilt.stderr
    assert "in 36 stories (4 with more than one article)" in rebuilt.stdout
    assert "0 articles changed story" in again.stdout
    assert _groups(database) == CORPUS_GROUPS
