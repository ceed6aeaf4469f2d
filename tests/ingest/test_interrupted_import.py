"""An import killed mid-batch leaves whole items only, and a re-run completes it (loader: one transaction per chunk).

The kill is deterministic: tests/ingest/killed_import.py has the importer SIGKILL itself in the middle of a
chunk's transaction, after the chunk's articles are written and before their children.
"""

import io
import json
import os
import re
import signal
import subprocess
import sys
from collections import Counter
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

import pytest
import yaml
from django.core.management import call_command
from django.db import connection
from django.db.models import Count

from articles.ingest.batch import CHUNK_SIZE, find_item_files
from articles.ingest.parser import content_hash, parse_file
from articles.models import Article, ArticleTopic, Image, RelatedLink
from tests.factories import REPO, generate_corpus, tables_written

FILES = 4000
# The generator's layout (checked against the real parser below): cheap to read for thousands of files.
TOP_SCALAR = re.compile(r"^(webUrl|publishedDateTime): (.+)$", re.MULTILINE)
RELATED = re.compile(r"^  - title: ", re.MULTILINE)
IMAGE = re.compile(r"^  - url: ", re.MULTILINE)
RELATED_IMAGE = re.compile(r"^      - url: ", re.MULTILINE)
TOPICS = re.compile(r"^topics:\n((?:  - .*\n)+)", re.MULTILINE)


def file_facts(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    scalars = {key: yaml.safe_load(value) for key, value in TOP_SCALAR.findall(text)}
    published_at = scalars["publishedDateTime"]
    if isinstance(published_at, str):
        published_at = datetime.fromisoformat(published_at)
    return {
        "web_url": scalars["webUrl"],
        "rank": (published_at, str(path)),
        "related": len(RELATED.findall(text)),
        "images": len(IMAGE.findall(text)),
        "related_images": len(RELATED_IMAGE.findall(text)),
        "topics": sum(block.count("\n") for block in TOPICS.findall(text)),
        "hash": content_hash(path.read_bytes()),
    }


def subprocess_env() -> dict[str, str]:
    """The test database (not the one DATABASE_URL names) for a `manage.py` child process."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "") + (":" + quote(db["PASSWORD"]) if db["PASSWORD"] else "")
    url = f"postgres://{credentials}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{quote(db['NAME'])}"
    return os.environ | {"DATABASE_URL": url, "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY") or "test"}


def import_process(directory: Path, *options: str, kill_in_chunk: int | None = None) -> subprocess.Popen:
    """`manage.py import_articles DIR OPTIONS` in a child process; with `kill_in_chunk`, through killed_import."""
    if kill_in_chunk is None:
        command = ["manage.py", "import_articles"]
    else:
        command = ["-m", "tests.ingest.killed_import", str(kill_in_chunk)]
    return subprocess.Popen(
        [sys.executable, *command, str(directory), *options],
        cwd=REPO,
        env=subprocess_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def assert_whole_items(facts: dict[str, dict]) -> None:
    """Every stored article has exactly the children its file describes, and nothing else is stored."""
    articles = list(Article.objects.values("id", "source_path", "content_hash"))
    links = dict(RelatedLink.objects.values_list("article").annotate(n=Count("id")))
    images = dict(Image.objects.filter(article__isnull=False).values_list("article").annotate(n=Count("id")))
    link_images = dict(
        Image.objects.filter(related_link__isnull=False).values_list("related_link__article").annotate(n=Count("id"))
    )
    # The file's topics; automatic ones come on top, from the same chunk's transaction.
    file_topics = ArticleTopic.objects.filter(source=ArticleTopic.Source.FILE)
    topics = dict(file_topics.values_list("article").annotate(n=Count("id")))
    for row in articles:
        fact = facts[row["source_path"]]
        assert row["content_hash"] == fact["hash"], row
        assert links.get(row["id"], 0) == fact["related"], row
        assert images.get(row["id"], 0) == fact["images"], row
        assert link_images.get(row["id"], 0) == fact["related_images"], row
        assert topics.get(row["id"], 0) == fact["topics"], row
    expected_links = sum(facts[row["source_path"]]["related"] for row in articles)
    assert RelatedLink.objects.count() == expected_links
    assert Image.objects.filter(provider__isnull=True).count() == sum(
        facts[row["source_path"]]["images"] + facts[row["source_path"]]["related_images"] for row in articles
    )
    assert not Image.objects.filter(article=None, related_link=None, provider=None).exists()


@pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="the importer process needs a database it can share: PostgreSQL"
)
@pytest.mark.django_db(transaction=True)
def test_killed_import_leaves_whole_items_and_a_rerun_completes_it(tmp_path):
    directory = tmp_path / "batch"
    paths = generate_corpus(directory, count=FILES, seed=2024, related_rate=0.5)
    assert len(paths) == FILES
    facts = {str(path): file_facts(path) for path in paths}
    # The cheap reading of the files agrees with the importer's parser.
    for path in paths[:40]:
        record = parse_file(path).record
        fact = facts[str(path)]
        assert (record.web_url, len(record.related), len(record.images)) == (
            fact["web_url"], fact["related"], fact["images"]
        )  # fmt: skip
        assert sum(len(r.images) for r in record.related) == fact["related_images"]
        assert len(record.topics) == fact["topics"]
    winners: dict[str, tuple] = {}
    for fact in facts.values():
        winners[fact["web_url"]] = max(winners.get(fact["web_url"], fact["rank"]), fact["rank"])
    distinct = len(winners)
    assert 3000 < distinct < FILES  # the batch holds re-published stories (same webUrl)

    # Killed inside the transaction of chunk 3: chunks 1 and 2 are committed, chunk 3 has articles written but
    # not their children. Exactly the stories of the first two chunks must remain, each from its newest file there.
    process = import_process(directory, "--jobs", "1", kill_in_chunk=3)
    out, err = process.communicate(timeout=120)
    assert process.returncode == -signal.SIGKILL, out + err
    committed = list(find_item_files([directory]))[: 2 * CHUNK_SIZE]
    expected: dict[str, tuple] = {}
    for path in committed:
        fact = facts[path]
        expected[fact["web_url"]] = max(expected.get(fact["web_url"], fact["rank"]), fact["rank"])
    stored = dict(Article.objects.values_list("web_url", "source_path"))
    assert stored == {url: rank[1] for url, rank in expected.items()}
    interrupted = len(stored)
    assert 0 < interrupted < distinct
    assert_whole_items(facts)

    report = tmp_path / "report.json"
    process = import_process(directory, "--jobs", "2", "--report", str(report))  # the resume may parse in parallel
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, out + err
    summary = json.loads(report.read_text())["summary"]
    assert summary["failed"] == 0 and summary["files"] == FILES
    assert summary["created"] == distinct - interrupted  # the stories already stored are not created again

    assert Article.objects.count() == distinct
    assert_whole_items(facts)
    stored = dict(Article.objects.values_list("web_url", "source_path"))
    assert stored == {url: rank[1] for url, rank in winners.items()}  # the newest file of each story won

    statuses: Counter = Counter()
    with tables_written() as written:
        try:
            call_command(
                "import_articles",
                str(directory),
                jobs=1,
                report=str(report),
                stdout=io.StringIO(),
                stderr=io.StringIO(),
            )
        except SystemExit as exc:
            pytest.fail(f"third run exited with {exc.code}")
    for entry in json.loads(report.read_text())["files"]:
        statuses[entry["status"]] += 1
    assert statuses == {"unchanged": distinct, "duplicate": FILES - distinct}
    assert written == {}
