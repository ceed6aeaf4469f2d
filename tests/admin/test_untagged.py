"""The articles without a topic, which the admin's "no topic" filter reads: kept by triggers (migration 0015)
whoever writes the links, so they always equal the articles with no topic link. Run on PostgreSQL by the suite
and on SQLite by tests/public/test_river_sqlite.py (the two dialects have triggers of their own)."""

import pytest
from django.db import connection

from articles.models import Article, Topic, UntaggedArticle
from tests.admin.conftest import CHANGELIST, make_article
from tests.factories import item_data, run_command, write_items

pytestmark = pytest.mark.django_db


def untagged() -> set[int]:
    return set(UntaggedArticle.objects.values_list("article_id", flat=True))


def without_topics() -> set[int]:
    return set(Article.objects.filter(topic_links__isnull=True).values_list("id", flat=True))


def test_an_article_is_listed_until_it_gets_a_topic_and_again_when_it_loses_them():
    bare, tagged = make_article(), make_article(topics=("AI", "Robotics"))
    assert untagged() == {bare.id}
    bare.topics.add(Topic.objects.get(name="AI"))
    assert untagged() == set()
    tagged.topics.remove(Topic.objects.get(name="AI"))
    assert untagged() == set()  # one topic left
    tagged.topics.clear()
    assert untagged() == {tagged.id} == without_topics()


def test_deleting_a_topic_lists_the_articles_it_was_the_only_topic_of():
    only_ai, both = make_article(topics=("AI",)), make_article(topics=("AI", "Robotics"))
    Topic.objects.get(name="AI").delete()
    assert untagged() == {only_ai.id} == without_topics()
    assert both.topics.count() == 1


def test_a_deleted_article_leaves_the_list():
    bare, tagged = make_article(), make_article(topics=("AI",))
    bare.delete()
    tagged.delete()  # its links go first, which would list it while it still exists
    assert untagged() == set()


def test_imports_and_re_imports_keep_the_list(tmp_path):
    paths = write_items(tmp_path, {
        "a.md": item_data(1, topics=["AI"]),
        "b.md": item_data(2, topics=None),
        "c.md": item_data(3, topics=["AI", "Robotics"]),
    })  # fmt: skip
    run_command("import_articles", *paths)
    assert untagged() == without_topics() == {Article.objects.get(title__contains="number 2").id}
    write_items(tmp_path, {"a.md": item_data(1, topics=None), "b.md": item_data(2, topics=["Robotics"])})
    run_command("import_articles", *paths)
    assert untagged() == without_topics() == {Article.objects.get(title__contains="number 1").id}


def test_the_no_topic_filter_lists_exactly_the_articles_without_one(client, editor):
    client.force_login(editor)
    make_article("Tagged", topics=("AI",))
    make_article("Bare")
    # A row the triggers could leave behind when two transactions race: the filter checks the links as well.
    stale = make_article("Tagged since", topics=("AI",))
    UntaggedArticle.objects.create(article_id=stale.id)
    listed = client.get(CHANGELIST, {"topic": "none"}).context["cl"].result_list
    assert [article.title for article in listed] == ["Bare"]


def test_the_triggers_exist():
    if connection.vendor == "postgresql":
        query = "SELECT tgname FROM pg_trigger WHERE tgname LIKE 'articles_untagged_%%'"
    else:
        query = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'articles_untagged_%'"
    with connection.cursor() as cursor:
        cursor.execute(query)
        names = {name for (name,) in cursor.fetchall()}
    # A table rebuilt by a later SQLite migration drops its triggers: this would say so.
    assert {"articles_untagged_articles_added", "articles_untagged_links_added"} <= names
    assert len(names) == (6 if connection.vendor == "postgresql" else 5)
