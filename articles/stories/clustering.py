"""Assign stories to a chunk of articles as it is written, with a fixed number of queries per chunk.

An article joins the story of another (DESIGN.md §6) when
1. one lists the other's URL identity among its related links (either direction);
2. both list the same related URL identity, within LINK_WINDOW, unless that URL is a hub listed by more
   than HUB_LIMIT articles (a home page or a tag page would glue unrelated stories);
3. their texts report the same event within the similarity window (`similarity.same_event`), comparing each
   article's own headline with the other's headline or with one of its related entries.
Candidates are found by indexed lookups (articles by identity, related links by identity hash, `StoryKey` by
rare title words), edges are joined with a union-find in Python, and the chunk's decisions are written as a
few statements: new stories take ids from the sequence (so the article rows carry `story_id` from the start),
merges of existing stories are one UPDATE, leads and sizes of the touched stories one more.

Editors have the last word: an article with "story" in `editor_locked` never moves, and a `curated` story
(one an editor split, merged or pinned) never merges with another existing story; new articles may join it.
Import re-clusters a changed article by union only: `cluster_stories` (`rebuild_stories`) undoes stale joins.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import chain

from django.db import connection
from django.db.models import Case, Count, F, OuterRef, Q, Subquery, When, Window
from django.db.models.functions import Coalesce, RowNumber
from django.utils import timezone

from articles.ingest.rows import insert_rows, next_ids
from articles.models import Article, RelatedLink, Story, StoryKey, StoryTerm
from articles.stories import similarity
from articles.stories.lookups import among, batches
from articles.stories.similarity import Rarity, Unit

HUB_LIMIT = 25  # a related URL listed by more articles than this joins nothing (real stories list ~15)
LINK_WINDOW = timedelta(days=7)  # rule 2: two articles citing one source a week apart are not one event
TEXT_WINDOW = timedelta(hours=similarity.WINDOW_HOURS)
DOCUMENTS = -1  # StoryTerm row counting the articles (term ids are never negative)


@dataclass(slots=True, eq=False)
class ChunkArticle:
    """One article of the chunk being written: new (`article_id` None) or changed."""

    key: str  # identity hash
    published_at: datetime
    units: tuple[Unit, ...]  # own headline, then related entries (similarity.item_units)
    related: list[str]  # identity hashes of its related URLs
    article_id: int | None = None
    story_id: int | None = None  # current story (changed articles)
    locked: bool = False  # an editor decided its story
    new_in_database: bool = True  # counts once in the term frequencies


@dataclass(slots=True)
class Plan:
    """The chunk's decisions: a story id for each chunk article, and what `finish_chunk` must do."""

    story_for: dict[str, int] = field(default_factory=dict)
    touched: set[int] = field(default_factory=set)
    merged_into: set[int] = field(default_factory=set)
    singletons: dict[int, str] = field(default_factory=dict)  # new story id -> key of its only article
    new_terms: Counter = field(default_factory=Counter)  # what the chunk adds to the term frequencies
    rarity: Rarity | None = None
    key_terms: set[int] = field(default_factory=set)  # the chunk's words rare enough to be keys
    articles: list[ChunkArticle] = field(default_factory=list)


class _Components:
    """Union-find over chunk articles ("a", key) and existing stories ("s", id), refusing to merge two groups
    that both hold existing stories when one of them is curated."""

    def __init__(self, curated: set[int]):
        self.parent: dict = {}
        self.stories: dict = {}  # root -> existing story ids in its group
        self.curated = curated

    def find(self, node):
        parent = self.parent.setdefault(node, node)
        if parent == node:
            if node not in self.stories:
                self.stories[node] = {node[1]} if node[0] == "s" else set()
            return node
        root = self.find(parent)
        self.parent[node] = root
        return root

    def union(self, a, b) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        sa, sb = self.stories[ra], self.stories[rb]
        if sa and sb and (sa & self.curated or sb & self.curated):
            return  # an editor separated or assembled these: never merged automatically
        if rb < ra:
            ra, rb, sa, sb = rb, ra, sb, sa
        self.parent[rb] = ra
        self.stories[ra] = sa | sb
        del self.stories[rb]


def _swept(queryset, before: tuple[datetime, int] | None, prefix: str = ""):
    """During a rebuild only articles already swept count as existing."""
    if before is None:
        return queryset
    moment, pk = before
    return queryset.filter(
        Q(**{f"{prefix}published_at__lt": moment}) | Q(**{f"{prefix}published_at": moment, f"{prefix}id__lt": pk})
    )


def _links(hashes: list[str], chunk_ids: set[int], before):
    # The chunk's changed articles are left out: their stored links are about to be replaced.
    links = RelatedLink.objects.filter(**among("url_hash", hashes)).exclude(article_id__in=chunk_ids)
    return _swept(links, before, "article__")


def _stored_listings(links) -> tuple[dict[str, int], list[tuple[str, int, int, datetime]]]:
    """How often each URL is listed, and its listings (url hash, article id, story id, published at) when at most
    HUB_LIMIT: one reading of the links, where a count and a second query for the listings took two (by the url_hash
    index, with the chunk's planner settings: articles/ingest/planning.py); a hub's listings are counted and never
    sent."""
    per_url = {"partition_by": F("url_hash")}
    ranked = links.order_by().annotate(n=Window(Count("id"), **per_url), nth=Window(RowNumber(), **per_url))
    counts, listings = {}, []
    for url_hash, n, *listing in ranked.filter(Q(n__lte=HUB_LIMIT) | Q(nth=1)).values_list(
        "url_hash", "n", "article_id", "article__story_id", "article__published_at"
    ):
        counts[url_hash] = n
        if n <= HUB_LIMIT:
            listings.append((url_hash, *listing))
    return counts, listings


def load_rarity(terms: Iterable[int]) -> Rarity:
    rows: dict[int, int] = {}
    for batch in batches({*terms, DOCUMENTS}):
        rows.update(StoryTerm.objects.filter(**among("term", batch)).values_list("term", "articles"))
    return Rarity(rows.pop(DOCUMENTS, 0), rows)


def plan_chunk(articles: list[ChunkArticle], *, before: tuple[datetime, int] | None = None) -> Plan:
    """Decide the story of every chunk article (writes only new Story rows and merges of existing ones).

    `before` (a rebuild): unlocked articles start afresh instead of from their current story, and only
    articles earlier than `before` in (published_at, id) order count as existing.
    """
    plan = Plan(articles=articles)
    if not articles:
        return plan
    rebuilding = before is not None
    own = {a.key: a for a in articles}
    chunk_ids = {a.article_id for a in articles if a.article_id}
    related = {h for a in articles for h in a.related}

    # Term frequencies counting this chunk's new articles: a chunk's own words are as common as they are.
    text_terms = set().union(*(u.text for a in articles for u in a.units))
    rarity = load_rarity(text_terms)
    plan.new_terms = Counter() if rebuilding else _new_terms(articles)
    frequencies = rarity.frequencies
    for term, n in plan.new_terms.items():
        frequencies[term] = frequencies.get(term, 0) + n
    rarity = Rarity(rarity.documents + plan.new_terms.pop(DOCUMENTS, 0), frequencies)
    plan.rarity = rarity
    plan.key_terms = rarity.key_terms(text_terms)

    edges: list[tuple] = []  # (rule, node, node); nodes: ("a", key) a chunk article, ("s", id) an existing story

    def article_node(article_id: int, story_id: int) -> tuple:
        return ("s", story_id)  # an existing article stands for its story

    # Stories an editor shaped: in a rebuild their members stay, like locked articles (a split leaves the
    # rest of the story unlocked, yet the two parts must not be glued back together).
    curated = _curated({a.story_id for a in articles if a.story_id is not None})

    def chunk_node(a: ChunkArticle) -> tuple:
        if a.locked or (a.story_id is not None and (not rebuilding or a.story_id in curated)):
            return ("s", a.story_id)  # never moves; a changed article re-clusters by union only
        return ("a", a.key)

    # Rules 1 and 2: related links, both directions, and the hub counts of every hash involved.
    listings: dict[str, list[tuple[tuple, datetime]]] = defaultdict(list)  # url hash -> (node, when) listing it
    for a in articles:
        for h in set(a.related):
            listings[h].append((chunk_node(a), a.published_at))
    hashes = set(own) | related
    counts: dict[str, int] = {h: len(nodes) for h, nodes in listings.items()}
    stored: dict[str, list[tuple[tuple, datetime]]] = defaultdict(list)  # the same, for earlier articles
    for batch in batches(hashes):
        stored_counts, found = _stored_listings(_links(batch, chunk_ids, before))
        for url_hash, n in stored_counts.items():
            counts[url_hash] = counts.get(url_hash, 0) + n
        for url_hash, article_id, story_id, published_at in found:
            stored[url_hash].append((article_node(article_id, story_id), published_at))
    usable = {h for h in hashes if counts.get(h, 0) <= HUB_LIMIT}
    for batch in batches(related & usable):
        found = _swept(Article.objects.filter(**among("web_url_hash", batch)).exclude(id__in=chunk_ids), before)
        for key, article_id, story_id in found.values_list("web_url_hash", "id", "story_id"):
            edges += [(1, node, article_node(article_id, story_id)) for node, _ in listings[key]]
    for a in articles:
        if a.key not in usable:
            continue
        # Chunk articles that list this one, and earlier articles that do.
        edges += [(1, chunk_node(a), node) for node, _ in listings.get(a.key, []) + stored.get(a.key, [])]
    for h in usable & related:
        for mine, when in listings[h]:
            for node, other_when in listings[h] + stored.get(h, []):
                if node != mine and abs(when - other_when) <= LINK_WINDOW:
                    edges.append((2, mine, node))

    # Rule 3: text. Candidates share at least two rare title words with a chunk unit, within the window.
    edges += _text_edges(articles, plan, chunk_node, article_node, chunk_ids, before)

    curated |= _curated({node[1] for edge in edges for node in edge[1:] if node[0] == "s"})
    components = _Components(curated)
    for a in articles:
        components.find(chunk_node(a))
    for _, x, y in sorted(set(edges)):
        components.union(x, y)

    _decide(plan, articles, components, chunk_node, rebuilding, before)
    return plan


def _new_terms(articles: list[ChunkArticle]) -> Counter:
    """Term frequencies the chunk's new articles add (their own headline and excerpt), and their number."""
    new = [a.units[0].text for a in articles if a.new_in_database]
    counts = Counter(chain.from_iterable(new))
    counts[DOCUMENTS] = len(new)
    return counts


def _curated(story_ids: set[int]) -> set[int]:
    found = set()
    for batch in batches(story_ids):
        found.update(Story.objects.filter(**among("id", batch), curated=True).values_list("id", flat=True))
    return found


def _near(a: datetime | None, b: datetime | None, window: timedelta) -> bool:
    return a is None or b is None or abs(a - b) <= window


def _text_edges(articles, plan: Plan, chunk_node, article_node, chunk_ids, before) -> list[tuple]:
    # Units are found by their rare title words (`plan.key_terms`); only pairs with an article's own headline
    # on at least one side count (two related entries alike say little about our articles). Set operations
    # rather than loops over words: this runs for every chunk of every import.
    rarity, key_terms = plan.rarity, plan.key_terms
    units = [(a, position, unit) for a in articles for position, unit in enumerate(a.units)]
    edges = []

    # Within the chunk: an in-memory index of the units' rare title words.
    index: dict[int, list[int]] = defaultdict(list)
    for i, (_, _, unit) in enumerate(units):
        for term in unit.title & key_terms:
            index[term].append(i)
    indexed = set(index)  # a frozenset & a set: 2.5 times faster than & a dict's keys view
    for a, position, unit in units:
        found = unit.text & indexed
        if len(found) < 2:
            continue  # a candidate needs two shared rare words: most units have none
        shared = Counter(j for term in found for j in index[term])
        for j, n in shared.items():
            b, other_position, other_unit = units[j]
            if n < 2 or b.key <= a.key or (position and other_position):
                continue
            if _near(a.published_at, b.published_at, TEXT_WINDOW) and similarity.same_event(unit, other_unit, rarity):
                edges.append((3, chunk_node(a), chunk_node(b)))

    # Against the database: stored keys of earlier articles' headlines and related entries.
    low = min(a.published_at for a in articles) - TEXT_WINDOW
    high = max(a.published_at for a in articles) + TEXT_WINDOW
    by_key: dict[int, list[tuple[int, int]]] = defaultdict(list)  # key -> (article id, position)
    for batch in batches(key_terms):  # the rare among the units' words (plan_chunk), not a second pass over them
        keys = StoryKey.objects.filter(**among("key", batch), published_at__range=(low, high)).exclude(
            article_id__in=chunk_ids
        )
        for key, article_id, position in _swept(keys, before, "article__").values_list("key", "article_id", "position"):
            by_key[key].append((article_id, position))
    if not by_key:
        return edges
    pairs = []
    stored_keys = set(by_key)
    for a, position, unit in units:
        found = unit.text & stored_keys
        if len(found) < 2:
            continue
        shared = Counter(ref for term in found for ref in by_key[term])
        pairs += [(a, position, unit, ref) for ref, n in shared.items() if n >= 2 and not (position and ref[1])]
    stored = _stored_units({ref for *_, ref in pairs})
    for a, _, unit, ref in pairs:
        if ref in stored:
            story_id, published_at, other_unit = stored[ref]
            if _near(a.published_at, published_at, TEXT_WINDOW) and similarity.same_event(unit, other_unit, rarity):
                edges.append((3, chunk_node(a), article_node(ref[0], story_id)))
    return edges


def _stored_units(refs: set[tuple[int, int]]) -> dict[tuple[int, int], tuple[int, datetime, Unit]]:
    """The text units of earlier articles and related entries, rebuilt from their rows (two queries)."""
    article_ids = {article_id for article_id, _ in refs}
    found = {}
    articles = {}
    for batch in batches(article_ids):
        for pk, story_id, published_at, title, excerpt in Article.objects.filter(**among("id", batch)).values_list(
            "id", "story_id", "published_at", "title", "excerpt"
        ):
            articles[pk] = (story_id, published_at)
            if (pk, 0) in refs:
                found[(pk, 0)] = (story_id, published_at, Unit.of(title, excerpt))
    entries = {(article_id, position - 1) for article_id, position in refs if position}
    if entries:
        for batch in batches({article_id for article_id, _ in entries}):
            for article_id, position, title, excerpt, published_at in RelatedLink.objects.filter(
                **among("article_id", batch)
            ).values_list("article_id", "position", "title", "excerpt", "published_at"):
                if (article_id, position) in entries and article_id in articles:
                    story_id, article_published = articles[article_id]
                    when = published_at or article_published
                    found[(article_id, position + 1)] = (story_id, when, Unit.of(title, excerpt))
    return found


def _decide(plan: Plan, articles, components: _Components, chunk_node, rebuilding: bool, before) -> None:
    groups: dict[tuple, list[ChunkArticle]] = defaultdict(list)
    for a in articles:
        groups[components.find(chunk_node(a))].append(a)
    # A rebuild keeps each story id where it can: a component takes the lowest current story id of its
    # members that no earlier component claimed, so a second run finds nothing to change.
    claimed: set[int] = set()
    if rebuilding:
        current = {a.story_id for a in articles if a.story_id is not None}
        for batch in batches(current):
            claimed.update(
                _swept(Article.objects.filter(**among("story_id", batch)), before)
                .values_list("story_id", flat=True)
                .distinct()
            )
    merges: dict[int, int] = {}
    fresh: list[tuple] = []
    targets: dict[tuple, int] = {}
    for root in sorted(groups, key=lambda r: min(a.published_at for a in groups[r]).isoformat() + repr(r)):
        existing = sorted(components.stories.get(root, ()))
        if existing:
            curated = [s for s in existing if s in components.curated]
            target = curated[0] if curated else existing[0]
            for other in existing:
                if other != target:
                    merges[other] = target
        else:
            reusable = sorted(a.story_id for a in groups[root] if a.story_id is not None and a.story_id not in claimed)
            if reusable:
                target = reusable[0]
            else:
                fresh.append(root)
                continue
        claimed.add(target)
        targets[root] = target
    if fresh:
        ids = _next_story_ids(len(fresh))
        targets.update(zip(fresh, ids, strict=True))
        plan.singletons = {
            pk: groups[root][0].key for root, pk in zip(fresh, ids, strict=True) if len(groups[root]) == 1
        }
        # A new story of one article is written whole by finish_chunk, once that article has its id (the foreign
        # keys are checked at commit); the others now, their lead and size computed from their members then.
        now = timezone.now()
        insert_rows(
            Story,
            ["id", "lead_pinned", "curated", "size", "created_at", "updated_at"],
            [(pk, False, False, 0, now, now) for pk in ids if pk not in plan.singletons],
        )
    for root, members in groups.items():
        for a in members:
            plan.story_for[a.key] = targets[root]
    plan.touched = set(targets.values()) | {a.story_id for a in articles if a.story_id is not None}
    if merges:
        _merge(merges)
        plan.merged_into = set(merges.values())
        plan.touched |= plan.merged_into


def _next_story_ids(n: int) -> list[int]:
    if connection.vendor == "postgresql":
        return next_ids(Story._meta.db_table, n)
    # SQLite has no sequence: ids above the largest, inside this chunk's transaction (SQLite writes one at a time).
    top = Story.objects.order_by("-id").values_list("id", flat=True).first() or 0
    return list(range(top + 1, top + 1 + n))


def _merge(merges: dict[int, int]) -> None:
    """Move the articles of merged-away stories to their targets, then drop those stories (two statements).
    A pin to the top of the front page follows the articles."""
    whens = [When(story_id=old, then=new) for old, new in sorted(merges.items())]
    Article.objects.filter(story_id__in=list(merges)).update(story_id=Case(*whens))
    for old, new in merges.items():
        pinned = Story.objects.filter(id=old, pinned_at__isnull=False).values_list("pinned_at", flat=True).first()
        if pinned:
            later = Q(pinned_at__isnull=True) | Q(pinned_at__lt=pinned)
            Story.objects.filter(later, id=new).update(pinned_at=pinned)
    Story.objects.filter(id__in=list(merges)).delete()


def finish_chunk(plan: Plan, article_ids: dict[str, int], *, count_terms: bool = True) -> None:
    """After the chunk's articles are written: their title keys, the term frequencies, and the touched stories'
    leads and sizes."""
    if not plan.articles:
        return
    ids = [article_ids[a.key] for a in plan.articles]
    StoryKey.objects.filter(article_id__in=[a.article_id for a in plan.articles if a.article_id]).delete()
    rows = []
    for a, article_id in zip(plan.articles, ids, strict=True):
        for position, unit in enumerate(a.units):
            published_at = a.published_at
            rows += [(key, article_id, position, published_at) for key in sorted(unit.title & plan.key_terms)]
    insert_rows(StoryKey, ["key", "article_id", "position", "published_at"], rows)
    if count_terms and plan.new_terms:
        add_term_counts({**plan.new_terms, DOCUMENTS: sum(a.new_in_database for a in plan.articles)})
    # Most new articles start a story of their own: those are written whole from the plan, without subqueries and
    # without a second version of each row (an insert, then an update of its lead: 17 us of PostgreSQL's statement
    # time a file in a first import of 100,000 items, 8 us written whole).
    by_key = {a.key: a for a in plan.articles}
    now = timezone.now()
    insert_rows(
        Story,
        ["id", "lead_id", "lead_pinned", "curated", "size", "first_published_at", "last_published_at", "created_at",
         "updated_at"],
        [
            (pk, article_ids[key], False, False, 1, by_key[key].published_at, by_key[key].published_at, now, now)
            for pk, key in sorted(plan.singletons.items())
        ],
    )  # fmt: skip
    touched = sorted(plan.touched - plan.singletons.keys())
    # Another import may be adding to these stories too: locked in id order, so that the refresh counts what that
    # import committed meanwhile (a statement's snapshot would not) and two imports never deadlock here.
    for batch in batches(touched):
        list(Story.objects.select_for_update().filter(**among("id", batch)).order_by("id").values_list("id"))
    refresh_stories(touched)


def add_term_counts(counts: dict[int, int]) -> None:
    """Add to the term frequencies in one statement; in term order, so concurrent imports never deadlock."""
    if not counts:
        return
    items = sorted(counts.items())
    table = StoryTerm._meta.db_table
    # The table name comes from the model; every value is a bound parameter.
    upsert = f"ON CONFLICT (term) DO UPDATE SET articles = {table}.articles + excluded.articles"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"INSERT INTO {table} (term, articles) SELECT * FROM unnest(%s::bigint[], %s::integer[]) {upsert}",  # noqa: S608
                [[t for t, _ in items], [n for _, n in items]],
            )
        else:
            cursor.executemany(f"INSERT INTO {table} (term, articles) VALUES (%s, %s) {upsert}", items)  # noqa: S608


def refresh_stories(story_ids: Iterable[int]) -> None:
    """Recompute lead, size and time span of these stories (one statement per batch); drop emptied ones.

    Lead rule: an editor's pinned lead, else quality, then heat (both highest first, missing last), then the
    earliest, then the lowest id; over all members, published or not (public pages pick the best published).
    """
    members = Article.objects.filter(story=OuterRef("pk")).order_by()
    best = members.order_by(
        F("quality").desc(nulls_last=True), F("heat").desc(nulls_last=True), "published_at", "id"
    ).values("id")[:1]
    now = timezone.now()
    for batch in batches(story_ids):
        Story.objects.filter(**among("id", batch)).update(
            size=Coalesce(Subquery(members.values("story").annotate(n=Count("id")).values("n")), 0),
            first_published_at=Subquery(members.order_by("published_at").values("published_at")[:1]),
            last_published_at=Subquery(members.order_by("-published_at").values("published_at")[:1]),
            lead=Case(When(lead_pinned=True, lead__isnull=False, then=F("lead")), default=Subquery(best)),
            updated_at=now,
        )
        Story.objects.filter(**among("id", batch), size=0).delete()
