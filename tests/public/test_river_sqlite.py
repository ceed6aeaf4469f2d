"""The embedded default (SQLite, `make run`) builds the same reader's pages as PostgreSQL: the river's anti-join,
keyset pages, coverage (CardDetails and LinkDetails are SQL of each dialect), top stories and the stories API; the
sitemaps and the article list's numbered pages.

The suite runs on PostgreSQL; this runs those tests again in a pytest of their own on SQLite (and local memory for
the cache, so that it never empties the suite's Redis)."""

import os
import subprocess
import sys

from tests.conftest import REPO

MODULES = [
    "tests/public/test_river.py",
    "tests/public/test_top.py",
    "tests/public/test_api_stories.py",
    "tests/public/test_card_details.py",
    "tests/admin/test_filter_values.py",  # the admin filter values: a recursive query on PostgreSQL, DISTINCT here
    "tests/admin/test_capped_counts.py",  # the provider and topic lists' capped counts: one statement, both dialects
    "tests/admin/test_untagged.py",  # the triggers that list articles without a topic, one set per dialect
    # The sitemap's id ranges, and page numbers past the first (ids first, then the rows).
    "tests/public/test_feeds.py",
    "tests/public/test_api.py::test_article_list_is_newest_first_and_paginated_without_count",
    # The database cache's read of the public version, which each hit in front of Django's handler makes.
    "tests/infra/test_version_reads.py::test_the_database_cache_reads_what_get_returns",
]


def test_the_story_pages_on_sqlite(tmp_path):
    env = {name: value for name, value in os.environ.items() if name not in {"REDIS_URL", "CACHE_URL"}}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    env["NEWSROOM_TEST_DATABASE"] = "sqlite"  # test_river.py checks that it got what was asked for
    run = subprocess.run(
        [sys.executable, "-m", "pytest", *MODULES, "-q", "-p", "no:cacheprovider"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert " passed" in run.stdout and "skipped" not in run.stdout, run.stdout[-500:]
