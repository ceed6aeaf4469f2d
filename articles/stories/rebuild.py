"""Rebuild every story from scratch (`manage.py cluster_stories`): after tuning, or for a database that
predates stories, or to undo joins that an import's union-only re-clustering left stale.

Three passes, each in bounded memory: recount the term frequencies (one dictionary of the vocabulary), forget
the stored title keys, then sweep the articles in chronological chunks through the importer's own
`plan_chunk`, with only the articles already swept counting as existing. Editors' decisions hold (locked
articles stay, curated stories are never merged), and story ids are kept wherever a group is unchanged, so a
second run changes nothing.
"""

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Exists, OuterRef, Q

from articles.ingest.rows import insert_rows, update_rows
from articles.models import Article, RelatedLink, Story, StoryKey, StoryTerm
from articles.stories import clustering
from articles.stories.clustering import DOCUMENTS, ChunkArticle
from articles.stories.identity import identity_hash
from articles.stories.similarity import Unit

CHUNK_SIZE = 500
_ARTICLE_FIELDS = ("id", "web_url_hash", "published_at", "title", "excerpt", "story_id", "editor_locked")


@dataclass(slots=True)
class RebuildSummary:
    articles: int = 0
    moved: int = 0
    stories: int = 0
    multi_article: int = 0
    largest: Story | None = None


def rebuild_stories(*, on_chunk: Callable[[int], None] | None = None) -> RebuildSummary:
    """Recluster every article; `on_chunk(n)` is told after each chunk of n articles (a progress bar)."""
    summary = RebuildSummary()
    with transaction.atomic():
        _recount_terms()
        StoryKey.objects.all().delete()
    before = None
    while True:
        rows = list(
            _after(Article.objects.all(), before).order_by("published_at", "id").values(*_ARTICLE_FIELDS)[:CHUNK_SIZE]
        )
        if not rows:
            break
        with transaction.atomic():
            summary.moved += _sweep(rows)
        summary.articles += len(rows)
        before = (rows[-1]["published_at"], rows[-1]["id"])
        if on_chunk:
            on_chunk(len(rows))
    with transaction.atomic():
        # Stories left without members (all of them regrouped elsewhere).
        Story.objects.filter(~Exists(Article.objects.filter(story=OuterRef("pk")))).delete()
    summary.stories = Story.objects.count()
    summary.multi_article = Story.objects.filter(size__gt=1).count()
    summary.largest = Story.objects.select_related("lead").order_by("-size", "id").first()
    return summary


def _after(queryset, before):
    if before is None:
        return queryset
    moment, pk = before
    return queryset.filter(Q(published_at__gt=moment) | Q(published_at=moment, id__gt=pk))


def _recount_terms() -> None:
    counts: Counter = Counter()
    last = 0
    while True:
        rows = list(Article.objects.filter(id__gt=last).order_by("id").values_list("id", "title", "excerpt")[:5000])
        if not rows:
            break
        last = rows[-1][0]
        for _, title, excerpt in rows:
            counts.update(Unit.of(title, excerpt).text)
        counts[DOCUMENTS] += len(rows)
    StoryTerm.objects.all().delete()
    insert_rows(StoryTerm, ["term", "articles"], sorted(counts.items()))


def _sweep(rows: list[dict]) -> int:
    """Plan one chronological chunk against the articles swept before it; returns how many articles moved."""
    links = defaultdict(list)
    for article_id, url_hash, web_url, title, excerpt in (
        RelatedLink.objects.filter(article_id__in=[r["id"] for r in rows])
        .order_by("article_id", "position")
        .values_list("article_id", "url_hash", "web_url", "title", "excerpt")
    ):
        links[article_id].append((url_hash or identity_hash(web_url), Unit.of(title, excerpt)))
    chunk = [
        ChunkArticle(
            key=r["web_url_hash"],
            published_at=r["published_at"],
            units=(Unit.of(r["title"], r["excerpt"]), *(unit for _, unit in links[r["id"]])),
            related=[url_hash for url_hash, _ in links[r["id"]]],
            article_id=r["id"],
            story_id=r["story_id"],
            locked="story" in (r["editor_locked"] or []),
            new_in_database=False,
        )
        for r in rows
    ]
    plan = clustering.plan_chunk(chunk, before=(rows[0]["published_at"], rows[0]["id"]))
    moved = [(a.article_id, plan.story_for[a.key]) for a in chunk if plan.story_for[a.key] != a.story_id]
    update_rows(Article, ["story_id"], moved)
    plan.touched = {new for _, new in moved} | {a.story_id for a in chunk if plan.story_for[a.key] != a.story_id}
    plan.touched |= plan.merged_into
    clustering.finish_chunk(plan, {a.key: a.article_id for a in chunk}, count_terms=False)
    return len(moved)
