"""Top stories: the stories editors pinned, newest pin first, then the newest river stories ranked by breadth
(distinct outlets among their public articles and those articles' related coverage), quality and heat, sinking with
age. A fixed number of candidates keeps the cost flat as the archive grows, and a decay rather than a time window
keeps the page full however old the newest stories are.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from django.db.models import Exists, IntegerField, OuterRef, Value
from django.http import Http404

from articles import selectors
from articles.models import RelatedLink, Story
from articles.selectors import Page, TopicIndex, page_number, public_articles
from articles.stories.coverage import story_entries
from articles.stories.river import placements

TOP_CANDIDATES = 200  # ten pages of twenty: the newest stories are where top stories come from
HEAT_WEIGHT = 0.5
GRAVITY = 1.5  # how fast a story sinks with age (as on Hacker News)


def top_score(*, quality: int | None, heat: int | None, outlets: int, age: timedelta) -> float:
    """Editorial quality plus half the heat, times 1 + log2(outlets) (a second outlet doubles a story's weight,
    each doubling of outlets adds as much again), over the age in hours (plus two) to the power GRAVITY."""
    points = max(quality or 0, 0) + HEAT_WEIGHT * max(heat or 0, 0) + 1
    breadth = 1 + math.log2(max(outlets, 1))
    hours = max(age.total_seconds(), 0) / 3600
    return points * breadth / math.pow(hours + 2, GRAVITY)


def top_story_ids() -> list[int]:
    return [story_id for story_id, _ in ranked_stories()]


def ranked_stories() -> list[tuple[int, datetime | None]]:
    """(story id, when its newest public article appeared; None for a pin): pinned stories with a public article,
    newest pin first, then the candidates best first (three queries).

    Age is measured from the newest candidate rather than from the wall clock: on a live site the two are
    minutes apart, and an archive or the demo still ranks its last days sensibly.
    """
    has_public = Exists(public_articles().filter(story_id=OuterRef("pk")))
    pinned = list(
        Story.objects.filter(has_public, pinned_at__isnull=False)
        .order_by("-pinned_at", "-id")
        .values_list("id", flat=True)[:TOP_CANDIDATES]
    )
    first = set(pinned)
    candidates = [
        (story_id, active)
        for story_id, active in placements().values_list("story_id", "published_at")[:TOP_CANDIDATES]
        if story_id not in first
    ]
    if candidates:
        stats = _stats([story_id for story_id, _ in candidates])
        clock = candidates[0][1]

        def score(candidate: tuple[int, datetime]) -> float:
            quality, heat, outlets = stats.get(candidate[0], (None, None, set()))
            return top_score(quality=quality, heat=heat, outlets=len(outlets), age=clock - candidate[1])

        candidates.sort(key=score, reverse=True)
    return [(story_id, None) for story_id in pinned] + candidates


def _stats(story_ids: list[int]) -> dict[int, tuple[int | None, int | None, set]]:
    """Per story: best quality and heat of its public articles, and the outlets of those and of their related links
    (one query; UNION drops the repeats of a story's links from one outlet)."""
    members = public_articles().filter(story_id__in=story_ids)
    none = Value(None, output_field=IntegerField())
    rows = (
        members.order_by()
        .values_list("story_id", "provider_id", "quality", "heat")
        .union(
            RelatedLink.objects.filter(article__in=members.values("id"))
            .order_by()
            .values_list("article__story_id", "provider_id", none, none)
        )
        .order_by()  # a union keeps the model's default ordering, whose columns it does not select
    )
    stats: dict[int, tuple[int | None, int | None, set]] = {}
    for story_id, provider_id, quality, heat in rows:
        best_quality, best_heat, outlets = stats.get(story_id, (None, None, set()))
        if provider_id is not None:
            outlets.add(provider_id)
        stats[story_id] = (_max(best_quality, quality), _max(best_heat, heat), outlets)
    return stats


def _max(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else max(a, b)


def top_page_or_404(number, *, topics: TopicIndex, size: int | None = None) -> Page:
    """One page of top stories as StoryEntries (two more queries for the page's stories)."""
    ranked = ranked_stories()
    number, size = page_number(number), size or selectors.PAGE_SIZE
    chosen = ranked[(number - 1) * size : number * size]
    if number > 1 and not chosen:
        raise Http404("No such page.")
    entries = story_entries([story_id for story_id, _ in chosen], topics=topics, active=dict(chosen))
    return Page(entries, number, len(ranked) > number * size, size)
