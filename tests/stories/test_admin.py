"""Stories in the admin: the Story pages and actions, and the story column and actions on articles."""

import importlib

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, Permission, User

from articles.models import Article, Story
from tests.admin.conftest import action, make_article, make_user, messages_of

pytestmark = pytest.mark.django_db
STORIES = "/admin/articles/story/"
STORY_PERMISSIONS = importlib.import_module("articles.migrations.0008_stories").EDITOR_PERMISSIONS


@pytest.fixture
def editor(db):
    user = make_user("edna", "Editors")
    # A flush by an earlier transactional test loses migration 0007's grants; give them back as it does.
    Group.objects.get(name="Editors").permissions.add(
        *Permission.objects.filter(content_type__app_label="articles", codename__in=STORY_PERMISSIONS)
    )
    return User.objects.get(pk=user.pk)  # no stale permission cache


@pytest.fixture
def client(client, editor):
    client.force_login(editor)
    return client


def together(*articles) -> Story:
    """Put the articles in one story, as clustering would."""
    story = articles[0].story
    Article.objects.filter(pk__in=[a.pk for a in articles]).update(story=story)
    Story.objects.filter(articles__isnull=True).delete()
    from articles.stories.clustering import refresh_stories

    refresh_stories([story.pk])
    return Story.objects.get(pk=story.pk)


def test_migration_gives_editors_the_story_permissions():
    from django.apps import apps
    from django.db import connection

    Group.objects.filter(name="Editors").delete()  # as a flush by a live-server test may have left it
    # The migration marks each app config as having models while it creates permissions, then unmarks it: given the
    # live registry, not a migration state's, that would leave every app "without models", and the flush after a
    # later live-server test would then recreate no content types and no permissions. Put the marks back.
    models_modules = {config.label: config.models_module for config in apps.get_app_configs()}
    try:
        with connection.schema_editor() as schema_editor:
            importlib.import_module("articles.migrations.0008_stories").grant_editors(apps, schema_editor)
    finally:
        for config in apps.get_app_configs():
            config.models_module = models_modules[config.label]
    codenames = set(Group.objects.get(name="Editors").permissions.values_list("codename", flat=True))
    assert {"view_story", "change_story"} <= codenames


def test_story_pages_show_lead_size_and_members(client):
    a, b = make_article("Alpha leads", quality=90), make_article("Beta follows", quality=10)
    story = together(a, b)

    listing = client.get(STORIES)
    page = client.get(f"{STORIES}{story.pk}/change/")

    assert listing.status_code == page.status_code == 200
    assert "Alpha leads" in listing.text and ">2<" in listing.text
    assert "Beta follows" in page.text and f"/admin/articles/article/{b.pk}/change/" in page.text


def test_article_list_links_each_story_and_the_form_explains_it(client):
    a, b = make_article("Alpha leads", quality=90), make_article("Beta follows", quality=10)
    story = together(a, b)

    listing = client.get("/admin/articles/article/")
    form = client.get(f"/admin/articles/article/{b.pk}/change/")

    assert f'href="/admin/articles/story/{story.pk}/change/"' in listing.text and "2 articles" in listing.text
    assert "this article does not lead it" in form.text


def test_merge_action_merges_and_logs(client, editor):
    stories = [make_article(f"Story {n}").story for n in range(3)]
    data = {"action": "merge", "index": "0", "_selected_action": [str(s.pk) for s in stories[:2]]}

    response = client.post(STORIES, data, follow=True)

    (message,) = messages_of(response)
    assert message.startswith("Merged the selected stories into story ")
    assert Story.objects.count() == 2
    merged = Story.objects.get(size=2)
    assert merged.curated
    assert all("story" in a.editor_locked for a in merged.articles.all())
    assert LogEntry.objects.filter(user=editor, object_id=str(merged.pk)).exists()


def test_merge_needs_two_stories(client):
    story = make_article().story
    response = client.post(STORIES, {"action": "merge", "index": "0", "_selected_action": [str(story.pk)]}, follow=True)
    assert messages_of(response) == ["Nothing merged: choose at least two stories to merge."]


def test_pin_and_unpin_to_top(client):
    story = make_article().story
    client.post(STORIES, {"action": "pin", "index": "0", "_selected_action": [str(story.pk)]})
    assert Story.objects.get(pk=story.pk).pinned_at is not None
    client.post(STORIES, {"action": "unpin", "index": "0", "_selected_action": [str(story.pk)]})
    assert Story.objects.get(pk=story.pk).pinned_at is None


def test_split_and_make_lead_actions_on_articles(client, editor):
    a, b, c = make_article("Alpha", quality=90), make_article("Beta", quality=10), make_article("Gamma", quality=5)
    story = together(a, b, c)

    response = action(client, "make_lead", [c])
    assert messages_of(response) == ["“Gamma” now leads its story (1 story)."]
    story.refresh_from_db()
    assert (story.lead_id, story.lead_pinned) == (c.pk, True)

    response = action(client, "split_out", [b])
    assert messages_of(response) == ["Split out (1 story)."]
    b.refresh_from_db()
    assert b.story_id != story.pk and b.story.size == 1 and "story" in b.editor_locked
    assert Story.objects.get(pk=story.pk).size == 2
    assert LogEntry.objects.filter(user=editor, object_id=str(b.pk), change_message__startswith="Split out").exists()

    response = action(client, "make_lead", [a, b])
    assert messages_of(response) == ["Select exactly one article to lead its story."]


def test_importers_cannot_reshape_stories(client, db):
    client.force_login(make_user("ivan", "Importers"))
    story = make_article().story
    assert client.get(STORIES).status_code == 403
    client.post(STORIES, {"action": "pin", "index": "0", "_selected_action": [str(story.pk)]})
    assert Story.objects.get(pk=story.pk).pinned_at is None
