"""Bulk actions on the article change list: counts in messages, skips named, inputs checked."""

from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.utils import timezone

from articles.models import Article, Topic
from tests.admin.conftest import CHANGELIST, action, make_article, messages_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(client, editor):
    client.force_login(editor)
    return client


def test_publish_reports_counts_and_names_what_it_skipped(client, editor):
    drafts = [make_article(), make_article()]
    live = make_article("Already out", published=True)

    response = action(client, "publish", [*drafts, live])

    assert response.status_code == 200
    assert messages_of(response) == ["Published 2 articles.", "Skipped 1 article (already public): “Already out”."]
    assert Article.objects.public().count() == 3
    assert LogEntry.objects.filter(user=editor).count() == 2


def test_skipped_lists_are_capped(client):
    live = [make_article(f"Live {n}", published=True, images=0) for n in range(12)]
    response = action(client, "publish", live)
    (message,) = messages_of(response)
    assert message.startswith("Skipped 12 articles (already public): ")
    assert message.endswith(" and 2 more.")


def test_select_across_acts_on_the_whole_filtered_list(client):
    for _ in range(3):
        make_article(quality=10, images=0)
    keep = make_article(quality=90, images=0)
    data = {"action": "publish", "index": "0", "select_across": "1", "_selected_action": [str(keep.pk)]}
    response = client.post(f"{CHANGELIST}?quality_band=0-24", data, follow=True)
    assert messages_of(response) == ["Published 3 articles."]
    assert not Article.objects.get(pk=keep.pk).published


def test_unpublish(client):
    live, draft = make_article(published=True), make_article("Never out")
    response = action(client, "unpublish", [live, draft])
    assert messages_of(response) == ["Unpublished 1 article.", "Skipped 1 article (not published): “Never out”."]
    assert not Article.objects.filter(published=True).exists()


def test_schedule(client):
    article = make_article()
    at = timezone.localtime(timezone.now() + timedelta(days=1)).replace(second=0, microsecond=0)
    response = action(client, "schedule", [article], publish_at=at.strftime("%Y-%m-%dT%H:%M"))
    assert messages_of(response) == [f"Scheduled for {at:%Y-%m-%d %H:%M} UTC: 1 article."]
    article.refresh_from_db()
    assert article.published and article.publish_at == at
    assert article not in Article.objects.public()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "Choose a date and time in “Publish at” to schedule."),
        ("tomorrow", "Choose a date and time in “Publish at” to schedule."),
        ("2001-01-01T10:00", "“Publish at” is in the past: use “Publish” instead."),
    ],
)
def test_schedule_needs_a_future_time(client, value, message):
    article = make_article()
    assert messages_of(action(client, "schedule", [article], publish_at=value)) == [message]
    assert not Article.objects.get(pk=article.pk).published


def test_set_quality(client):
    a, b = make_article(quality=10), make_article("Top already", quality=80)
    response = action(client, "set_quality", [a, b], quality="80")
    assert messages_of(response) == [
        "Set quality to 80 on 1 article.",
        "Skipped 1 article (quality already set to that): “Top already”.",
    ]
    assert Article.objects.get(pk=a.pk).editor_locked == ["quality"]


@pytest.mark.parametrize("value", ["", "high", "1.5", str(2**31)])
def test_set_quality_rejects_bad_values(client, value):
    article = make_article(quality=10)
    (message,) = messages_of(action(client, "set_quality", [article], quality=value))
    assert "quality" in message.lower()
    assert Article.objects.get(pk=article.pk).quality == 10


def test_add_and_remove_topic(client):
    topic = Topic.objects.create(name="Robotics", slug="robotics")
    a, b = make_article(), make_article("Has it", topics=("Robotics",))
    response = action(client, "add_topic", [a, b], topic=str(topic.pk))
    assert messages_of(response) == [
        "Added topic “Robotics” to 1 article.",
        "Skipped 1 article (already has the topic “Robotics”): “Has it”.",
    ]
    response = action(client, "remove_topic", [a, b], topic=str(topic.pk))
    assert messages_of(response) == ["Removed topic “Robotics” from 2 articles."]
    assert not topic.articles.exists()
    assert messages_of(action(client, "add_topic", [a], topic="")) == ["Choose a topic in “Topic” first."]


def test_mark_reviewed(client, editor):
    article = make_article()
    assert messages_of(action(client, "mark_reviewed", [article])) == ["Marked as reviewed: 1 article."]
    assert Article.objects.get(pk=article.pk).reviewed_by == editor


def test_no_selection_changes_nothing(client):
    make_article()
    response = client.post(CHANGELIST, {"action": "publish", "index": "0"}, follow=True)
    assert "Items must be selected" in messages_of(response)[0]
    assert not Article.objects.filter(published=True).exists()


def test_the_change_list_offers_no_bulk_delete(client, boss):
    client.force_login(boss)
    choices = dict(client.get(CHANGELIST).context["action_form"].fields["action"].choices)
    assert "delete_selected" not in choices
    assert {"publish", "schedule", "unpublish", "set_quality", "add_topic", "remove_topic", "mark_reviewed"} <= set(
        choices
    )
