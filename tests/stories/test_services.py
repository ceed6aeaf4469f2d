"""Editors' story services (articles.stories.services): what they write, log and invalidate."""

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.utils import timezone

from articles.cache import public_version
from articles.models import Article, Story
from articles.stories import services
from articles.stories.clustering import refresh_stories
from tests.admin.conftest import make_article

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor():
    return get_user_model().objects.create_user("edna", password="x", is_staff=True)


def together(*articles) -> Story:
    story = articles[0].story
    Article.objects.filter(pk__in=[a.pk for a in articles]).update(story=story)
    Story.objects.filter(articles__isnull=True).delete()
    refresh_stories([story.pk])
    return Story.objects.get(pk=story.pk)


def test_split_gives_a_story_of_its_own_releases_a_chosen_lead_and_invalidates_pages(editor):
    a, b = make_article("Alpha", quality=90), make_article("Beta", quality=10)
    story = together(a, b)
    services.make_lead(article=b, by=editor)
    version = public_version()

    result = services.split_articles(articles=Article.objects.filter(pk=b.pk), by=editor)

    assert public_version() != version
    assert len(result.stories) == 1 and Article.objects.get(pk=b.pk).story_id == result.stories[0]
    story.refresh_from_db()
    # The chosen lead left: the rule chooses again, and the remainder is curated (never glued back).
    assert (story.size, story.lead_id, story.lead_pinned, story.curated) == (1, a.pk, False, True)
    again = services.split_articles(articles=Article.objects.filter(pk=a.pk), by=editor)
    assert again.stories == [] and again.skipped == [("Alpha", "already a story of its own")]


def test_merge_keeps_the_largest_story_and_the_latest_pin(editor):
    a, b, c = make_article("Alpha", quality=1), make_article("Beta", quality=2), make_article("Gamma", quality=3)
    big = together(a, b)
    small = c.story
    Story.objects.filter(pk=small.pk).update(pinned_at=timezone.now())

    result = services.merge_stories(stories=[small, big], by=editor)

    assert result.stories == [big.pk]
    merged = Story.objects.get()
    assert (merged.pk, merged.size, merged.lead_id, merged.curated) == (big.pk, 3, c.pk, True)
    assert merged.pinned_at is not None
    assert LogEntry.objects.filter(object_id=str(small.pk), change_message=f"Merged into story {big.pk}.").exists()
    assert LogEntry.objects.filter(object_id=str(c.pk), change_message=f"Moved to story {big.pk} (merge).").exists()


def test_release_lead_lets_the_rule_choose_again(editor):
    a, b = make_article("Alpha", quality=90), make_article("Beta", quality=10)
    story = together(a, b)
    services.make_lead(article=b, by=editor)
    assert services.make_lead(article=b, by=editor).skipped == [("Beta", "already the chosen lead")]

    services.release_lead(stories=Story.objects.filter(pk=story.pk), by=editor)

    story.refresh_from_db()
    assert (story.lead_id, story.lead_pinned) == (a.pk, False)


def test_pin_to_top_skips_what_is_already_pinned(editor):
    story = make_article().story
    services.pin_to_top(stories=Story.objects.all(), by=editor)
    again = services.pin_to_top(stories=Story.objects.all(), by=editor)
    assert again.stories == [] and again.skipped == [(str(story), "already pinned")]
    services.pin_to_top(stories=Story.objects.all(), by=editor, pinned=False)
    assert Story.objects.get().pinned_at is None


def test_an_article_saved_outside_the_importer_starts_its_own_story():
    article = make_article("Standalone")
    story = article.story
    assert (story.size, story.lead_id, story.first_published_at) == (1, article.pk, article.published_at)
