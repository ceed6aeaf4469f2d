"""Review decisions (articles/desk/decisions.py): attributed, locked against re-imports, in each article's history,
and undone exactly, except where someone changed an article since."""

from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.utils import timezone

from articles import services
from articles.desk import decisions
from articles.desk.decisions import QUALITY_KEYS, Action
from articles.models import Article, ReviewDecision
from tests.admin.conftest import make_article, make_user
from tests.desk.conftest import together

pytestmark = pytest.mark.django_db


def history(article) -> list[str]:
    entries = LogEntry.objects.filter(object_id=str(article.pk)).order_by("action_time", "id")
    return [f"{entry.user.username}: {entry.change_message}" for entry in entries]


@pytest.fixture
def story(db):
    """Three articles of one story: a draft, a live one changed upstream since its review, one rejected before."""
    now = timezone.now()
    draft = make_article("Harbor opens a robot ferry terminal", quality=40)
    live = make_article("Ferry terminal opens with robots", published=True, quality=55)
    rejected = make_article("Robot ferry: a press release", quality=10)
    Article.objects.filter(pk=live.pk).update(reviewed_at=now - timedelta(days=1), last_imported_at=now)
    Article.objects.filter(pk=rejected.pk).update(
        reviewed_at=now, last_imported_at=now - timedelta(hours=2), editor_locked=["published"]
    )
    return together(draft, live, rejected)


def test_publish_makes_the_chosen_articles_public_attributed_locked_and_logged(story, editor):
    draft, live, rejected = story.articles.order_by("id")

    decision = decisions.decide(story=story, article_ids=[draft.pk, live.pk], action=Action.PUBLISH, by=editor)

    draft.refresh_from_db()
    live.refresh_from_db()
    assert set(Article.objects.public()) == {draft, live}
    for article in (draft, live):
        assert not article.needs_review
        assert (article.reviewed_by, article.reviewed_at) == (editor, decision.decided_at)
    assert draft.editor_locked == ["published"] and draft.approved_at == decision.decided_at
    assert history(draft) == ["edna: Published."]
    assert history(live) == ["edna: Marked as reviewed."]  # already public: approved as it is
    assert history(rejected) == []
    assert Article.objects.get(pk=rejected.pk).published is False
    assert [state["id"] for state in decision.states] == [draft.pk, live.pk]
    assert decision.states[0]["before"]["published"] is False and decision.states[0]["after"]["published"] is True


def test_reject_unpublishes_locks_and_takes_the_articles_out_of_the_queue(story, editor):
    draft, live, _ = story.articles.order_by("id")

    decisions.decide(story=story, article_ids=[draft.pk, live.pk], action=Action.REJECT, by=editor)

    for article in Article.objects.filter(pk__in=[draft.pk, live.pk]):
        assert not article.published and not article.needs_review
        assert "published" in article.editor_locked and article.reviewed_by == editor
    assert history(live) == ["edna: Rejected: unpublished."]
    assert history(draft) == ["edna: Rejected."]


def test_rating_sets_and_locks_quality_and_counts_as_review(story, editor):
    draft, live, rejected = story.articles.order_by("id")
    Article.objects.filter(pk=live.pk).update(quality=70)

    decision = decisions.decide(
        story=story, article_ids=[draft.pk, live.pk], action=Action.QUALITY, quality=QUALITY_KEYS["7"], by=editor
    )

    assert str(decision) == "Rated 70"
    assert dict(Article.objects.filter(story=story).values_list("id", "quality")) == {
        draft.pk: 70, live.pk: 70, rejected.pk: 10,
    }  # fmt: skip
    assert Article.objects.get(pk=draft.pk).editor_locked == ["quality"]
    assert history(draft) == ["edna: Quality: 40 → 70."]
    assert history(live) == ["edna: Marked as reviewed."]  # already 70: reviewed, nothing to change
    assert not Article.objects.filter(pk__in=[draft.pk, live.pk]).filter(reviewed_at__isnull=True).exists()


def test_the_quality_keys():
    assert QUALITY_KEYS == {"1": 10, "2": 20, "3": 30, "4": 40, "5": 50, "6": 60, "7": 70, "8": 80, "9": 90, "0": 100}


def test_a_decision_only_touches_articles_of_its_story(story, editor):
    stranger = make_article("Another story entirely")
    with pytest.raises(ValueError, match="at least one article of this story"):
        decisions.decide(story=story, article_ids=[stranger.pk], action=Action.PUBLISH, by=editor)
    assert not Article.objects.get(pk=stranger.pk).published
    assert not ReviewDecision.objects.exists()


def test_undo_puts_back_what_the_articles_were_and_logs_it(story, editor):
    draft, live, _ = story.articles.order_by("id")
    before = list(Article.objects.filter(story=story).order_by("id").values(*decisions.STATE_FIELDS))
    decision = decisions.decide(story=story, article_ids=[draft.pk, live.pk], action=Action.PUBLISH, by=editor)

    result = decisions.undo(decision=decision, by=editor)

    assert sorted(result.restored) == [draft.pk, live.pk] and result.skipped == []
    assert list(Article.objects.filter(story=story).order_by("id").values(*decisions.STATE_FIELDS)) == before
    assert not Article.objects.public().filter(pk=draft.pk).exists()
    assert Article.objects.get(pk=draft.pk).needs_review  # back in the queue
    assert history(draft)[-1].startswith("edna: Undid the review decision “Published” of ")
    decision.refresh_from_db()
    assert (decision.undone_by, decision.undone_at is not None) == (editor, True)
    with pytest.raises(ValueError, match="already undone"):
        decisions.undo(decision=decision, by=editor)


def test_undo_leaves_alone_an_article_changed_since(story, editor):
    draft, live, _ = story.articles.order_by("id")
    decision = decisions.decide(
        story=story, article_ids=[draft.pk, live.pk], action=Action.QUALITY, quality=90, by=editor
    )
    other = make_user("otto", "Editors")
    services.set_quality(articles=Article.objects.filter(pk=live.pk), by=other, quality=20)

    result = decisions.undo(decision=decision, by=editor)

    assert result.restored == [draft.pk]
    assert result.skipped == [(live.title, "changed since the decision")]
    assert Article.objects.get(pk=draft.pk).quality == 40
    assert Article.objects.get(pk=live.pk).quality == 20  # otto's value stays


def test_last_decision_is_the_users_own_latest_not_undone(story, editor):
    draft = story.articles.order_by("id").first()
    other = make_user("otto", "Editors")
    first = decisions.decide(story=story, article_ids=[draft.pk], action=Action.QUALITY, quality=30, by=editor)
    second = decisions.decide(story=story, article_ids=[draft.pk], action=Action.QUALITY, quality=50, by=editor)
    decisions.decide(story=story, article_ids=[draft.pk], action=Action.QUALITY, quality=60, by=other)
    since = timezone.now() - timedelta(hours=1)

    assert decisions.last_decision(editor, since=since) == second
    decisions.undo(decision=second, by=editor)
    assert decisions.last_decision(editor, since=since) == first
    assert decisions.last_decision(editor, since=timezone.now() + timedelta(seconds=1)) is None
