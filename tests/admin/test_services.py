"""articles/services.py: each editorial write is counted, attributed, logged, locked and chunked.

That cached public pages show each change is tested as behaviour in tests/public/test_cache.py."""

from datetime import timedelta

import pytest
from django.contrib.admin.models import CHANGE, DELETION, LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles import services
from articles.models import Article, Image, RelatedLink, Topic
from providers.models import Provider
from tests.admin.conftest import make_article, make_provider

pytestmark = pytest.mark.django_db


def history(article) -> list[str]:
    return list(
        LogEntry.objects.filter(object_id=str(article.pk), content_type__model="article")
        .order_by("id")
        .values_list("change_message", flat=True)
    )


def test_publish_counts_attributes_locks_and_logs(editor):
    drafts = [make_article(), make_article()]
    live = make_article(published=True)
    before = timezone.now()

    result = services.publish_articles(articles=Article.objects.all(), by=editor)

    assert result.changed == 2
    assert [(s.id, s.reason) for s in result.skipped] == [(live.pk, "already public")]
    for article in drafts:
        article.refresh_from_db()
        assert article.published and article.publish_at is None
        assert article.reviewed_by == editor and article.reviewed_at >= before
        assert article.editor_locked == ["published"]
        assert history(article) == ["Published."]
        entry = LogEntry.objects.get(object_id=str(article.pk))
        assert (entry.user, entry.action_flag, entry.object_repr) == (editor, CHANGE, article.title)
    assert history(live) == []
    assert set(Article.objects.public()) == {*drafts, live}


def test_publish_replaces_a_pending_schedule(editor):
    at = timezone.now() + timedelta(days=2)
    article = make_article(published=True, publish_at=at)
    result = services.publish_articles(articles=Article.objects.all(), by=editor)
    article.refresh_from_db()
    assert result.changed == 1 and article.publish_at is None
    assert history(article)[0].startswith("Published now (was scheduled for ")


def test_unpublish_skips_drafts_and_cancels_schedules(editor):
    live = make_article(published=True)
    scheduled = make_article(published=True, publish_at=timezone.now() + timedelta(hours=3))
    draft = make_article()

    result = services.unpublish_articles(articles=Article.objects.all(), by=editor)

    assert result.changed == 2
    assert [s.id for s in result.skipped] == [draft.pk]
    assert not Article.objects.filter(published=True).exists()
    assert Article.objects.get(pk=scheduled.pk).publish_at is None
    assert history(live) == ["Unpublished."]
    assert history(scheduled)[0].startswith("Unpublished (cancelled the schedule for ")
    assert Article.objects.get(pk=live.pk).editor_locked == ["published"]


def test_schedule_approves_for_a_future_time(editor):
    at = (timezone.now() + timedelta(days=1)).replace(microsecond=0)
    draft, live = make_article(), make_article(published=True)

    result = services.schedule_articles(articles=Article.objects.all(), by=editor, publish_at=at)

    assert result.changed == 1
    assert [s.id for s in result.skipped] == [live.pk]
    assert result.skipped[0].reason == "already public (unpublish it first to reschedule)"
    draft.refresh_from_db()
    assert draft.published and draft.publish_at == at and draft.editor_locked == ["published"]
    assert draft not in Article.objects.public()
    assert history(draft) == [f"Scheduled to go public at {at:%Y-%m-%d %H:%M} UTC."]


def test_schedule_rejects_past_and_naive_times(editor):
    make_article()
    with pytest.raises(ValueError, match="future"):
        services.schedule_articles(articles=Article.objects.all(), by=editor, publish_at=timezone.now())
    with pytest.raises(ValueError, match="aware"):
        services.schedule_articles(
            articles=Article.objects.all(), by=editor, publish_at=timezone.now().replace(tzinfo=None)
        )
    assert not LogEntry.objects.exists()


def test_set_quality_logs_old_and_new_values(editor):
    a, b, same = make_article(quality=None), make_article(quality=40), make_article(quality=80)

    result = services.set_quality(articles=Article.objects.all(), by=editor, quality=80)

    assert result.changed == 2 and [s.id for s in result.skipped] == [same.pk]
    assert history(a) == ["Quality: unrated → 80."]
    assert history(b) == ["Quality: 40 → 80."]
    assert set(Article.objects.values_list("quality", flat=True)) == {80}
    assert Article.objects.get(pk=a.pk).editor_locked == ["quality"]
    with pytest.raises(ValueError):
        services.set_quality(articles=Article.objects.all(), by=editor, quality=2**31)


def test_topics_are_added_and_removed_once(editor):
    ai = Topic.objects.create(name="AI", slug="ai")
    tagged = make_article(topics=("AI",))
    untagged = make_article(editor_locked=["quality"])

    added = services.add_topic(articles=Article.objects.all(), by=editor, topic=ai)
    assert added.changed == 1 and [s.id for s in added.skipped] == [tagged.pk]
    assert set(ai.articles.all()) == {tagged, untagged}
    assert Article.objects.get(pk=untagged.pk).editor_locked == ["quality", "topics"]
    assert history(untagged) == ["Added topic “AI”."]

    removed = services.remove_topic(articles=Article.objects.filter(pk=untagged.pk), by=editor, topic=ai)
    assert removed.changed == 1 and not removed.skipped
    assert set(ai.articles.all()) == {tagged}
    again = services.remove_topic(articles=Article.objects.filter(pk=untagged.pk), by=editor, topic=ai)
    assert again.changed == 0 and again.skipped[0].reason == "does not have the topic “AI”"


def test_mark_reviewed_clears_the_review_queue(editor):
    new = make_article()
    reviewed = make_article(reviewed_at=timezone.now())
    result = services.mark_reviewed(articles=Article.objects.all(), by=editor)
    assert result.changed == 1 and [s.id for s in result.skipped] == [reviewed.pk]
    new.refresh_from_db()
    assert new.reviewed_by == editor and new.editor_locked == []
    assert history(new) == ["Marked as reviewed."]


def test_bulk_work_is_chunked_with_a_bounded_number_of_statements(editor, monkeypatch):
    monkeypatch.setattr(services, "CHUNK_SIZE", 10)
    for n in range(35):
        make_article(images=0, editor_locked=["quality"] if n % 2 else [])
    with CaptureQueriesContext(connection) as queries:
        result = services.publish_articles(articles=Article.objects.all(), by=editor)
    assert result.changed == 35
    # Per chunk of 10: read+lock, one UPDATE per distinct editor_locked value (2 here), one log insert.
    updates = [q for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    assert len(updates) == 4 * 2
    assert len(queries) <= 4 * 4 + 6
    assert Article.objects.filter(published=True).count() == 35
    assert LogEntry.objects.count() == 35


def test_the_selection_may_come_from_an_annotated_ordered_change_list_queryset(editor):
    from django.db.models import Count

    article = make_article(related=2)
    selection = Article.objects.annotate(n=Count("related_links")).order_by("-n").prefetch_related("images")
    assert services.publish_articles(articles=selection, by=editor).changed == 1
    assert Article.objects.get(pk=article.pk).published


def test_mark_edited_locks_touched_fields_and_schedules_lock_published(editor):
    article = make_article(editor_locked=["quality"])
    services.mark_edited(article, by=editor, fields=["publish_at", "title"])
    assert article.editor_locked == ["publish_at", "published", "quality", "title"]
    assert article.reviewed_by == editor and article.reviewed_at is not None


def test_merge_providers_moves_everything_and_remembers_the_duplicates(editor):
    keep = make_provider("example.com", "Example News", logo=True)
    dup = make_provider("example.co.uk", "Example News UK", logo=True)
    dup.other_names = ["EN UK"]
    dup.save()
    mine, theirs = make_article(provider=keep, related=1), make_article(provider=dup, related=2)

    result = services.merge_providers(into=keep, duplicates=[dup, keep], by=editor)

    assert (result.articles_moved, result.related_links_moved, result.merged) == (1, 2, [str(dup)])
    assert not Provider.objects.filter(pk=dup.pk).exists()
    assert Article.objects.get(pk=theirs.pk).provider == keep
    assert set(RelatedLink.objects.values_list("provider", flat=True)) == {keep.pk}
    keep.refresh_from_db()
    assert keep.other_names == ["Example News UK", "EN UK"]
    assert keep.merged_domains == ["example.co.uk"]
    assert Image.objects.filter(provider=keep).count() == 1  # its own logo, the duplicate's dropped
    flags = dict(LogEntry.objects.values_list("object_id", "action_flag"))
    assert flags == {str(keep.pk): CHANGE, str(dup.pk): DELETION}
    with pytest.raises(ValueError):
        services.merge_providers(into=keep, duplicates=[keep], by=editor)
    assert Article.objects.get(pk=mine.pk).provider == keep  # its own articles stay


def test_merge_adopts_a_logo_when_the_kept_provider_has_none(editor):
    keep, dup = make_provider("a.example"), make_provider("b.example", logo=True)
    services.merge_providers(into=keep, duplicates=[dup], by=editor)
    assert [i.url for i in Image.objects.filter(provider=keep)] == ["https://b.example/logo.png"]
