"""The embedded default (SQLite, `make run`) takes the ORM's bulk path instead of COPY: import and update there too."""

import os
import sqlite3
import subprocess
import sys

from tests.conftest import REPO
from tests.factories import item_data, item_text, write_items


def _manage(database: str, *args) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "DJANGO_DEBUG": "1"}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )


def test_import_then_update_on_sqlite(tmp_path):
    database = str(tmp_path / "db.sqlite3")
    assert _manage(database, "migrate", "-v0").returncode == 0
    paths = write_items(tmp_path / "batch", {"one.md": item_data(1, published=True), "two.md": item_data(2)})
    first = _manage(database, "import_articles", str(tmp_path / "batch"), "--jobs", "1", "--trust-published")
    assert first.returncode == 0, first.stderr
    assert "2 created" in first.stdout

    with sqlite3.connect(database) as db:
        db.execute(
            "UPDATE articles_article SET quality = 99, editor_locked = '[\"quality\"]' WHERE web_url LIKE '%-2.html'"
        )
    paths[0].write_text(item_text(item_data(1, title="Corrected title", quality=3, published=False)))
    paths[1].write_text(item_text(item_data(2, title="Also corrected", quality=4)))
    second = _manage(database, "import_articles", str(tmp_path / "batch"), "--jobs", "1")
    assert second.returncode == 0, second.stderr
    assert "0 created, 2 updated" in second.stdout

    with sqlite3.connect(database) as db:
        rows = db.execute("SELECT title, quality, published FROM articles_article ORDER BY web_url").fetchall()
        links = db.execute("SELECT COUNT(*) FROM articles_relatedlink").fetchone()[0]
    # The unlocked quality follows the file, the editor's 99 stays, and without --trust-published the file's
    # `published: false` does not withdraw the approval of the first run.
    assert rows == [("Corrected title", 3, 1), ("Also corrected", 99, 0)]
    assert links == 2
