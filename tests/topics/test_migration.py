"""Migration 0006: the plain many-to-many table becomes ArticleTopic's, and its rows get a source."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from articles.models import ArticleTopic

BEFORE = [("articles", "0005_lean_indexes")]
AFTER = [("articles", "0006_article_topic_provenance")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_existing_links_become_the_files_except_where_an_editor_locked_topics():
    old = migrate(BEFORE)
    try:
        Article, Topic = old.get_model("articles", "Article"), old.get_model("articles", "Topic")
        topics = [Topic.objects.create(name=name, slug=name.lower()) for name in ("AI", "Robots")]
        for n, locked in enumerate([[], ["quality", "topics"], ["quality"]]):
            article = Article.objects.create(
                web_url=f"https://example.com/{n}", web_url_hash=f"{n}", slug=f"s{n}", title="t",
                published_at="2021-03-01T00:00:00Z", editor_locked=locked,
            )  # fmt: skip
            article.topics.set(topics)
    finally:
        migrate(AFTER)

    try:
        rows = list(
            ArticleTopic.objects.order_by("article__web_url", "topic__name").values_list(
                "article__web_url", "topic__name", "source", "term"
            )
        )
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())  # later tests need every migration
    assert rows == [
        ("https://example.com/0", "AI", "file", ""), ("https://example.com/0", "Robots", "file", ""),
        ("https://example.com/1", "AI", "editor", ""), ("https://example.com/1", "Robots", "editor", ""),
        ("https://example.com/2", "AI", "file", ""), ("https://example.com/2", "Robots", "file", ""),
    ]  # fmt: skip
    # The unique pair holds under its new name; the redundant article_id index is gone.
    constraints = connection.introspection.get_constraints(connection.cursor(), ArticleTopic._meta.db_table)
    assert constraints["article_topic_unique"]["unique"]
    assert constraints["article_topic_unique"]["columns"] == ["article_id", "topic_id"]
    single = [c["columns"] for c in constraints.values() if c["index"] and not c["unique"] and not c["primary_key"]]
    assert single == [["topic_id"]]
