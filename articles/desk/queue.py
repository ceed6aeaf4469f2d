"""The review queue: stories with at least one article that needs review (`models.NEEDS_REVIEW`), newest first.

A story's place in the queue is its newest article that needs review. Stepping to the next or the previous story
walks the partial index of such articles (`article_review_latest`) from the current place and stops at the first
article that is its story's newest waiting one, so a story with several waiting articles comes up once. Each
step, the count (capped) and the oldest waiting time read a few index entries, however large the table.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Case, Exists, OuterRef, Q, Value, When

from articles.models import NEEDS_REVIEW, Article

COUNT_CAP = 10_000  # stories counted at most: beyond it the desk says "more than 10,000"


@dataclass(frozen=True, slots=True)
class Place:
    """Where a story stands in the queue: its newest article that needs review (else its newest article)."""

    story_id: int
    published_at: datetime
    article_id: int


@dataclass(frozen=True, slots=True)
class Waiting:
    """How long the queue's longest-waiting article has waited, and its story."""

    story_id: int
    since: datetime


def waiting_articles():
    return Article.objects.filter(NEEDS_REVIEW)


def count_stories(cap: int = COUNT_CAP) -> int:
    """Stories that need review, counted up to `cap + 1` (which means "more than `cap`")."""
    stories = waiting_articles().order_by("story_id").values("story_id").distinct()
    return stories[: cap + 1].count()


def longest_waiting() -> Waiting | None:
    """The article that has needed review for the longest time (since the import that brought or changed it)."""
    row = (
        waiting_articles()
        .filter(last_imported_at__isnull=False)
        .order_by("last_imported_at")
        .values("story_id", "last_imported_at")
        .first()
    )
    return Waiting(row["story_id"], row["last_imported_at"]) if row else None


def story_needs_review(story_id: int) -> bool:
    return waiting_articles().filter(story_id=story_id).exists()


def place_of(story_id: int) -> Place | None:
    """The story's place: its newest waiting article, else (reviewed meanwhile) its newest article."""
    waiting_first = Case(When(NEEDS_REVIEW, then=Value(0)), default=Value(1))
    row = (
        Article.objects.filter(story_id=story_id)
        .order_by(waiting_first, "-published_at", "-id")
        .values("story_id", "published_at", "id")
        .first()
    )
    return _place(row)


def next_place(after: Place | None = None) -> Place | None:
    """The story after `after` in the queue (the first one without `after`)."""
    heads = _heads()
    if after is not None:
        # (published_at, id) < after's, written so that the index bound on published_at applies.
        heads = heads.filter(published_at__lte=after.published_at).exclude(
            published_at=after.published_at, id__gte=after.article_id
        )
    return _place(heads.order_by("-published_at", "-id").values("story_id", "published_at", "id").first())


def previous_place(before: Place) -> Place | None:
    """The story before `before` in the queue."""
    heads = _heads().filter(published_at__gte=before.published_at)
    heads = heads.exclude(published_at=before.published_at, id__lte=before.article_id)
    return _place(heads.order_by("published_at", "id").values("story_id", "published_at", "id").first())


def _heads():
    """Waiting articles that are their story's newest waiting one: one per story in the queue."""
    newer = Q(published_at__gt=OuterRef("published_at")) | Q(
        published_at=OuterRef("published_at"), id__gt=OuterRef("id")
    )
    sibling = waiting_articles().filter(newer, story_id=OuterRef("story_id"))
    return waiting_articles().filter(~Exists(sibling))


def _place(row: dict | None) -> Place | None:
    return Place(row["story_id"], row["published_at"], row["id"]) if row else None
