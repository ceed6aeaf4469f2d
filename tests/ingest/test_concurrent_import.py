"""Two `import_articles` processes on overlapping batches, as on two machines sharing one PostgreSQL, end with the
database one import of both batches leaves: no duplicate identity, no lost editor decision, no failed file.

The race is made certain, not hoped for: tests/ingest/racing_import.py has both processes meet at a barrier in
their first chunk, after each found the overlap missing and before either inserts it.
"""

import json
import logging
import subprocess
import sys
import threading
from pathlib import Path

import psycopg
import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count

from articles import services
from articles.ingest.batch import import_batch
from articles.ingest.parser import parse_file
from articles.models import Article, ArticleTopic, Story, Topic
from articles.stories.identity import identity_hash
from harness.services import wait_until
from harness.verdict import checksums
from tests.factories import REPO, generate_corpus, item_data, run_command, write_items
from tests.ingest.test_interrupted_import import subprocess_env
from tests.servers import subprocess_database_url

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif("connection.vendor != 'postgresql'", reason="several processes share one database"),
]


def racing(barrier: Path, name: str, peer: str, files: list[Path], report: Path) -> subprocess.Popen:
    command = ["-m", "tests.ingest.racing_import", str(barrier), name, peer, "1"]
    return subprocess.Popen(
        [sys.executable, *command, *map(str, files), "--jobs", "1", "--report", str(report)],
        cwd=REPO,
        env=subprocess_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def edited_files(files: list[Path]) -> list[Path]:
    """Ten files an editor decided on before the two imports: in B's first chunk, which holds them locked at the
    barrier, and in A's second chunk, which must wait for B and decide on what B wrote; so none of A's first chunk
    may share their identity (A would wait for B's lock before reaching the barrier)."""
    first = {identity_hash(parse_file(path).record.web_url) for path in files[:500]}
    return [path for path in files[500:750] if identity_hash(parse_file(path).record.web_url) not in first][:10]


def prepare_database(taxonomy: Path, files: list[Path], tmp_path: Path) -> None:
    """The taxonomy, and an earlier version of some files with an editor's decisions on their articles."""
    run_command("import_taxonomy", taxonomy)
    earlier = tmp_path / "a-earlier"  # sorts before the batch: on equal dates the batch's later paths win
    earlier.mkdir(exist_ok=True)
    for path in edited_files(files):
        text = path.read_text(encoding="utf-8").replace('\ntitle: "', '\ntitle: "Earlier: ', 1)
        (earlier / path.name).write_text(text, encoding="utf-8")
    run_command("import_articles", earlier, jobs=1)
    editor, _ = get_user_model().objects.get_or_create(username="editor", defaults={"is_staff": True})
    articles = Article.objects.filter(source_path__startswith=str(earlier))
    assert articles.count() >= 5  # fewer than ten when two of the files are one story
    services.publish_articles(articles=articles, by=editor)
    services.set_quality(articles=articles, by=editor, quality=99)
    ethics = Topic.objects.get(name="AI Ethics")
    for article in articles:  # the admin form's topic edit: the editor's choice, locked
        services.set_topics(article=article, topics=[ethics])
        services.mark_edited(article, by=editor, fields=["topics"])
        article.save(update_fields=["editor_locked", "reviewed_by", "reviewed_at"])


def editor_decisions() -> set[tuple]:
    """The articles an editor decided on: identity, published, quality, locks, whether the earlier title is still
    there, and their topic links (which the topics lock keeps as the editor left them)."""
    rows = Article.objects.exclude(editor_locked=[]).values_list(
        "id", "web_url_hash", "published", "quality", "editor_locked", "title"
    )
    links = set(ArticleTopic.objects.values_list("article_id", "topic__name", "source"))
    return {
        (
            key,
            published,
            quality,
            tuple(locked),
            title.startswith("Earlier"),
            frozenset(x[1:] for x in links if x[0] == pk),
        )
        for pk, key, published, quality, locked, title in rows
    }


def story_invariants() -> None:
    """Every story holds what it says: its size, a lead among its members, no empty story."""
    sizes = dict(Article.objects.values_list("story").annotate(n=Count("id")))
    for story in Story.objects.values("id", "size", "lead_id"):
        assert sizes.get(story["id"], 0) == story["size"] > 0, story
        assert Article.objects.filter(pk=story["lead_id"], story_id=story["id"]).exists(), story


def wipe_all() -> None:
    tables = [
        "articles_supersededfile", "articles_storykey", "articles_storyterm", "articles_article_topics",
        "articles_image", "articles_relatedlink", "articles_article", "articles_story", "articles_topic",
        "providers_provider",
    ]  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")


def test_two_imports_of_overlapping_batches_end_as_one_import_of_both(tmp_path, corpus):
    taxonomy = corpus / "_data"
    batch = tmp_path / "batch"
    files = generate_corpus(batch, count=1200, seed=1313, related_rate=0.5)
    # First chunks: A's files[0:500], B's files[250:750]; the overlap goes in at the same moment in both.
    a_files, b_files = files[:900], files[250:750] + files[900:]

    prepare_database(taxonomy, files, tmp_path)
    decisions = editor_decisions()
    assert len(decisions) >= 5
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    a = racing(barrier, "a", "b", a_files, tmp_path / "a.json")
    b = racing(barrier, "b", "a", b_files, tmp_path / "b.json")
    (_, a_err), (_, b_err) = a.communicate(timeout=300), b.communicate(timeout=300)
    assert (a.returncode, b.returncode) == (0, 0), a_err + b_err
    for report in ("a.json", "b.json"):
        summary = json.loads((tmp_path / report).read_text())["summary"]
        assert summary["failed"] == 0, summary
    # The race happened, and the loser wrote its chunk again rather than failing its files.
    assert "import chunk retried" in a_err + b_err
    assert "unique violation" in a_err + b_err or "deadlock" in a_err + b_err

    # Upstream's new titles came in; the editor's decisions stayed.
    assert editor_decisions() == {(*decision[:4], False, decision[5]) for decision in decisions}
    assert {decision[1:4] for decision in decisions} == {(True, 99, ("published", "quality", "topics"))}
    story_invariants()
    url, prefix = subprocess_database_url(), str(batch)
    # Automatic topics (learned from the archive) and stories (word rarity) depend on what the database held when
    # each item came in: both databases are brought in line with the whole batch before they are compared.
    for command in ("assign_topics", "cluster_stories"):
        run_command(command)
    concurrent = checksums(url, prefix)

    wipe_all()
    prepare_database(taxonomy, files, tmp_path)
    run_command("import_articles", batch, jobs=1)
    for command in ("assign_topics", "cluster_stories"):
        run_command(command)
    assert concurrent == checksums(url, prefix)


def test_a_chunk_that_deadlocks_with_another_writer_is_written_again(tmp_path, caplog):
    files = write_items(tmp_path, {f"{n}.md": item_data(n) for n in (1, 2)})
    import_batch([str(f) for f in files])
    first, second = Article.objects.order_by("id").values_list("id", flat=True)
    write_items(tmp_path, {f"{n}.md": item_data(n, title=f"Corrected story {n}") for n in (1, 2)})

    # Another writer holds the second article and, once the import holds the first and waits for the second,
    # asks for the first: a deadlock, which PostgreSQL breaks on the import's side (the other writer is
    # given far longer to notice it).
    other = psycopg.connect(subprocess_database_url())
    other.execute("SET deadlock_timeout = '60s'")
    other.execute("SELECT id FROM articles_article WHERE id = %s FOR UPDATE", [second])

    def other_writer() -> None:
        with psycopg.connect(subprocess_database_url(), autocommit=True) as watcher:
            waiting = "SELECT count(*) FROM pg_locks WHERE NOT granted AND locktype = 'transactionid'"
            wait_until(lambda: watcher.execute(waiting).fetchone()[0] > 0, timeout=30, what="the import waiting")
        other.execute("SELECT id FROM articles_article WHERE id = %s FOR UPDATE", [first])
        other.commit()

    thread = threading.Thread(target=other_writer)
    thread.start()
    outcomes = []
    with caplog.at_level(logging.WARNING, logger="articles.imports"):
        import_batch([str(f) for f in files], on_file=outcomes.append)
    thread.join(timeout=60)
    other.close()
    assert [o.status for o in outcomes] == ["updated", "updated"]
    assert sorted(Article.objects.values_list("title", flat=True)) == ["Corrected story 1", "Corrected story 2"]
    retried = [r for r in caplog.records if r.getMessage() == "import chunk retried"]
    assert [r.fields["race"] for r in retried] == ["deadlock"]
