"""Editors' story decisions: split an article out, merge stories, choose the lead, pin a story to the top.

Each function takes keyword-only arguments, runs in one transaction, records the change in the admin history
(LogEntry, attributed to the editor) and invalidates the public page cache. Membership decisions mark the
articles with "story" in `editor_locked` and the stories as `curated`, which clustering (import and
`cluster_stories`) honours: a locked article never moves, and a curated story never merges with another.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.admin.models import CHANGE, DELETION, LogEntry
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from articles.cache import bump_public_version
from articles.models import Article, Story
from articles.services import _entry
from articles.stories.clustering import refresh_stories

LOCK = "story"


@dataclass(slots=True)
class StoryResult:
    """What a story service did: the stories it wrote to, and each article or story it left alone and why."""

    stories: list[int] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (title, reason)


def _lock(articles: Iterable[Article]) -> None:
    for article in articles:
        if LOCK not in (article.editor_locked or []):
            locked = sorted({*(article.editor_locked or []), LOCK})
            Article.objects.filter(pk=article.pk).update(editor_locked=locked)


def _log(entries: list[LogEntry]) -> None:
    LogEntry.objects.bulk_create(entries)
    bump_public_version()


@transaction.atomic
def split_articles(*, articles: QuerySet, by: AbstractBaseUser, at: datetime | None = None) -> StoryResult:
    """Give each selected article a story of its own; its old story keeps the rest (and re-chooses its lead
    when this article led it by an editor's choice)."""
    now = at or timezone.now()
    result, logs, touched, split = StoryResult(), [], set(), []
    selected = list(Article.objects.select_for_update().filter(pk__in=articles.values("pk")).order_by("pk"))
    sizes = dict(Story.objects.filter(id__in={a.story_id for a in selected}).values_list("id", "size"))
    for article in selected:
        if sizes.get(article.story_id, 1) <= 1:
            result.skipped.append((article.title, "already a story of its own"))
            continue
        old = article.story_id
        story = Story.objects.create(curated=True, lead=article, created_at=now, updated_at=now)
        Article.objects.filter(pk=article.pk).update(story=story)
        Story.objects.filter(pk=old, lead=article).update(lead_pinned=False)
        Story.objects.filter(pk=old).update(curated=True)  # the two must not be glued back together
        sizes[old] -= 1
        touched |= {old, story.pk}
        result.stories.append(story.pk)
        split.append(article)
        message = f"Split out of story {old} into story {story.pk}."
        logs.append(_entry(Article, article.pk, article.title, by=by, at=now, message=message, flag=CHANGE))
    _lock(split)
    refresh_stories(touched)
    _log(logs)
    return result


@transaction.atomic
def merge_stories(
    *, stories: Iterable[Story], by: AbstractBaseUser, into: Story | None = None, at: datetime | None = None
) -> StoryResult:
    """Fold the stories into one (`into`, else the largest, then the oldest); every member is locked to it.

    An editor's pinned lead survives when its story is the one kept; a pin to the top follows the articles.
    """
    now = at or timezone.now()
    chosen = list(Story.objects.select_for_update().filter(pk__in=[s.pk for s in stories]).order_by("pk"))
    if into is not None and into.pk not in {s.pk for s in chosen}:
        chosen.append(Story.objects.select_for_update().get(pk=into.pk))
    if len(chosen) < 2:
        raise ValueError("choose at least two stories to merge")
    target = into or max(chosen, key=lambda s: (s.size, -s.pk))
    target = next(s for s in chosen if s.pk == target.pk)
    others = [s for s in chosen if s.pk != target.pk]
    pins = [s.pinned_at for s in chosen if s.pinned_at]
    moved = list(Article.objects.filter(story__in=others).only("id", "title", "story_id", "editor_locked"))
    Article.objects.filter(story__in=others).update(story=target)
    _lock(Article.objects.filter(story=target).only("id", "editor_locked"))
    Story.objects.filter(pk=target.pk).update(curated=True, pinned_at=max(pins) if pins else None, updated_at=now)
    logs = [
        _entry(Story, s.pk, str(s), by=by, at=now, message=f"Merged into story {target.pk}.", flag=DELETION)
        for s in others
    ]
    merged = ", ".join(str(s.pk) for s in others)
    logs.append(_entry(Story, target.pk, str(target), by=by, at=now, message=f"Merged {merged} into it.", flag=CHANGE))
    logs += [
        _entry(Article, a.pk, a.title, by=by, at=now, message=f"Moved to story {target.pk} (merge).", flag=CHANGE)
        for a in moved
    ]
    Story.objects.filter(pk__in=[s.pk for s in others]).delete()
    refresh_stories([target.pk])
    _log(logs)
    return StoryResult(stories=[target.pk])


@transaction.atomic
def make_lead(*, article: Article, by: AbstractBaseUser, at: datetime | None = None) -> StoryResult:
    """Pin `article` as the lead of its story: clustering keeps it there and keeps it the lead."""
    now = at or timezone.now()
    article = Article.objects.select_for_update().get(pk=article.pk)
    story = Story.objects.select_for_update().get(pk=article.story_id)
    if story.lead_pinned and story.lead_id == article.pk:
        return StoryResult(skipped=[(article.title, "already the chosen lead")])
    Story.objects.filter(pk=story.pk).update(lead=article, lead_pinned=True, curated=True, updated_at=now)
    _lock([article])
    made = f"Made lead of story {story.pk}."
    _log([
        _entry(Story, story.pk, str(story), by=by, at=now, message=f"Lead: “{article.title}”.", flag=CHANGE),
        _entry(Article, article.pk, article.title, by=by, at=now, message=made, flag=CHANGE),
    ])  # fmt: skip
    return StoryResult(stories=[story.pk])


@transaction.atomic
def release_lead(*, stories: QuerySet, by: AbstractBaseUser, at: datetime | None = None) -> StoryResult:
    """Let clustering choose the lead again (quality, heat, then earliest)."""
    now = at or timezone.now()
    chosen = list(Story.objects.select_for_update().filter(pk__in=stories.values("pk"), lead_pinned=True))
    Story.objects.filter(pk__in=[s.pk for s in chosen]).update(lead_pinned=False, updated_at=now)
    refresh_stories([s.pk for s in chosen])
    message = "Lead chosen automatically again."
    _log([_entry(Story, s.pk, str(s), by=by, at=now, message=message, flag=CHANGE) for s in chosen])
    return StoryResult(stories=[s.pk for s in chosen])


@transaction.atomic
def pin_to_top(
    *, stories: QuerySet, by: AbstractBaseUser, pinned: bool = True, at: datetime | None = None
) -> StoryResult:
    """Pin stories to the top of the top-stories page (`pinned=False`: unpin them)."""
    now = at or timezone.now()
    chosen = list(Story.objects.select_for_update().filter(pk__in=stories.values("pk")).order_by("pk"))
    todo = [s for s in chosen if (s.pinned_at is None) == pinned]
    Story.objects.filter(pk__in=[s.pk for s in todo]).update(pinned_at=now if pinned else None, updated_at=now)
    message = "Pinned to the top." if pinned else "Unpinned from the top."
    _log([_entry(Story, s.pk, str(s), by=by, at=now, message=message, flag=CHANGE) for s in todo])
    reason = "already pinned" if pinned else "not pinned"
    return StoryResult(stories=[s.pk for s in todo], skipped=[(str(s), reason) for s in chosen if s not in todo])
