"""The river: public stories, newest activity first, each once, in pages that cost the same at any depth.

A story is placed by its newest public article that matches the page (a topic, an outlet, the reader's filters):
the placing articles are the matching public ones with no newer matching public article in their story (an
anti-join on (story, published_at), which the article_story_published index serves), newest first. Pages are
keyset pages: an "Older stories" page starts below the position of the last story shown (a Cursor), so page 500
reads as many rows as page 1, and a story whose articles straddle two pages is placed, and shown, once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from articles import selectors
from articles.compiled import KeptQuery
from articles.selectors import TopicIndex, public_articles
from articles.stories.coverage import StoryEntry, story_entries
from articles.stories.cursor import Cursor, parse_cursor
from newsroom.errors import InvalidParameter

# What a page asks of articles besides being public, applied alike to the placing article and to the newer ones
# that would displace it: a function rather than a queryset, because the anti-join needs it twice.
Matching = Callable[[QuerySet], QuerySet]


def everything(queryset: QuerySet) -> QuerySet:
    return queryset


def placements(matching: Matching = everything) -> QuerySet:
    """The article placing each story that has a matching public article, newest first."""
    if matching is everything:
        return _all_placements().all()  # a clone: a caller evaluating it must not fill the kept one's results
    return _placements(matching)


@cache
def _all_placements() -> QuerySet:
    # Built once a process and cloned by every use: building this queryset cost about 1.2 ms a request, twice what
    # compiling it does (the home page and its older pages; it holds no value of its own, Now() included).
    return _placements(everything)


def in_topics(topic_ids) -> Matching:
    """The articles filed under any of these topics (a topic's page: the topic and its sub-topics)."""

    def matching(queryset: QuerySet) -> QuerySet:
        return selectors.in_topics(queryset, topic_ids)

    matching.topic_ids = sorted(topic_ids)
    return matching


# The first page of the home page and of a topic's, compiled once a process (articles.compiled): building and
# compiling the placing query cost about 0.5 ms a request on the home page, 1.1 ms on a topic's.
PLACED = ("id", "story_id", "published_at")
_NEWEST = KeptQuery(lambda ids: _placements(everything).values(*PLACED)[: selectors.PAGE_SIZE + 1])
_NEWEST_IN_TOPICS = KeptQuery(lambda ids: _placements(in_topics(ids)).values(*PLACED)[: selectors.PAGE_SIZE + 1])


def _first_page(matching: Matching) -> list[tuple] | None:
    if matching is everything:
        rows = _NEWEST.rows()
    elif (topic_ids := getattr(matching, "topic_ids", None)) is not None:
        rows = _NEWEST_IN_TOPICS.rows(topic_ids)
    else:
        return None
    return [(row["id"], row["story_id"], row["published_at"]) for row in rows]


def _placements(matching: Matching) -> QuerySet:
    newer = matching(public_articles()).filter(
        Q(published_at__gt=OuterRef("published_at")) | Q(published_at=OuterRef("published_at"), id__gt=OuterRef("id")),
        story_id=OuterRef("story_id"),
    )
    return matching(public_articles()).filter(~Exists(newer)).order_by("-published_at", "-id")


def older_than(queryset: QuerySet, cursor: Cursor) -> QuerySet:
    # The first condition alone is the index's range; the second drops the cursor's own second.
    return queryset.filter(published_at__lte=cursor.published_at).filter(
        Q(published_at__lt=cursor.published_at) | Q(id__lt=cursor.id)
    )


def cursor_or_400(value: str | None, parameter: str = "before") -> Cursor | None:
    if value is None or value == "":
        return None
    try:
        return parse_cursor(value)
    except ValueError:
        raise InvalidParameter(parameter, "Not a position in the list: follow an “Older stories” link.") from None


@dataclass(eq=False)
class RiverPage:
    """One page of the river: its stories, where it starts (None: the newest) and where the next one does."""

    object_list: list[StoryEntry]
    before: Cursor | None
    next: Cursor | None

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self):
        return len(self.object_list)

    @property
    def next_value(self) -> str:
        return str(self.next) if self.next else ""

    def has_other_pages(self) -> bool:
        return self.before is not None or self.next is not None


def river_page(
    matching: Matching = everything,
    *,
    topics: TopicIndex,
    before: Cursor | None = None,
    size: int | None = None,
    outlet_leads: bool = False,
    images: bool = False,
) -> RiverPage:
    """One page of the stories `matching` places, older than `before` (three queries: the placing articles, the
    stories' public members, their links). With `outlet_leads` (an outlet's page) the placing article leads its
    story instead of the story's lead. A page past the end is a 404, as a page number past the end was."""
    size = size or selectors.PAGE_SIZE
    found = _first_page(matching) if before is None and size == selectors.PAGE_SIZE else None
    if found is None:
        rows = placements(matching)
        if before is not None:
            rows = older_than(rows, before)
        found = list(rows.values_list(*PLACED)[: size + 1])
    if before is not None and not found:
        raise Http404("No older stories.")
    shown = found[:size]
    entries = story_entries(
        [story_id for _, story_id, _ in shown],
        topics=topics,
        leads={story_id: pk for pk, story_id, _ in shown} if outlet_leads else None,
        images=images,
        active={story_id: published_at for _, story_id, published_at in shown},
    )
    last = shown[-1] if shown else None
    return RiverPage(entries, before, Cursor(last[2], last[0]) if len(found) > size else None)
