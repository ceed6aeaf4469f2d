"""Migrations 0007 (identities without trackers) and 0008 (stories) on existing rows."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from articles.stories.identity import identity_hash, url_identity_hash

BEFORE = [("articles", "0005_lean_indexes"), ("providers", "0002_merged_domains")]
AFTER = [("articles", "0008_stories")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def old_apps(transactional_db):
    apps = migrate(BEFORE)
    yield apps
    migrate(executor_leaf())


def executor_leaf():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


def test_rows_that_differ_only_by_trackers_collapse_to_the_importers_winner(old_apps):
    Article = old_apps.get_model("articles", "Article")
    Topic = old_apps.get_model("articles", "Topic")
    RelatedLink = old_apps.get_model("articles", "RelatedLink")
    User = old_apps.get_model("auth", "User")
    editor = User.objects.create(username="edna")
    topic = Topic.objects.create(name="Robots", slug="robots")

    def article(url, day, **fields):
        n = Article.objects.count()
        return Article.objects.create(
            web_url=url, web_url_hash=url_identity_hash(url), slug=f"s-{n}", title=f"Day {day}",
            published_at=datetime(2021, 5, day, tzinfo=UTC), source_path=f"/batch/{n}.md", **fields,
        )  # fmt: skip

    plain = article("https://news.example/a", 1)
    # The newer file wins; the older one's editor decisions (an approval, topics) move to it.
    tracked = article("https://news.example/a?utm_source=rss", 2, quality=7, editor_locked=["quality"])
    older_tracked = article(
        "https://news.example/a?fbclid=XYZ", 1, published=True, editor_locked=["published", "topics"],
        reviewed_by=editor, reviewed_at=datetime(2021, 6, 1, tzinfo=UTC),
    )  # fmt: skip
    older_tracked.topics.add(topic)
    other = article("https://news.example/b?id=3&utm_medium=x", 3)
    RelatedLink.objects.create(article=other, position=0, web_url="https://news.example/a?utm_campaign=z", title="A")

    apps = migrate(AFTER)
    Article = apps.get_model("articles", "Article")
    Story = apps.get_model("articles", "Story")
    RelatedLink = apps.get_model("articles", "RelatedLink")

    assert set(Article.objects.values_list("id", flat=True)) == {tracked.pk, other.pk}
    winner = Article.objects.get(pk=tracked.pk)
    assert winner.web_url == "https://news.example/a?utm_source=rss"  # the file's own URL is kept
    assert winner.web_url_hash == identity_hash("https://news.example/a")
    assert (winner.quality, winner.published) == (7, True)
    assert sorted(winner.editor_locked) == ["published", "quality", "topics"]
    assert list(winner.topics.values_list("name", flat=True)) == ["Robots"]
    assert winner.reviewed_by_id == editor.pk
    assert Article.objects.get(pk=other.pk).web_url_hash == identity_hash("https://news.example/b?id=3")
    assert RelatedLink.objects.get().url_hash == identity_hash("https://news.example/a")
    # Every article a story of its own, numbered like it.
    assert sorted(Story.objects.values_list("id", "lead_id", "size")) == [
        (tracked.pk, tracked.pk, 1), (other.pk, other.pk, 1),
    ]  # fmt: skip
    assert all(a.story_id == a.pk for a in Article.objects.all())
    assert plain.pk not in set(Article.objects.values_list("id", flat=True))
