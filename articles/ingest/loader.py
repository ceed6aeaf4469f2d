"""Write parsed item records to the database in few, bulk queries.

A batch is processed in chunks; each chunk is one transaction, so an interrupted
import leaves whole items or nothing, and a re-run picks up where it stopped.
Should the bulk write of a chunk fail, the chunk is retried file by file so that
one bad file cannot take the good ones with it.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import DatabaseError, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.text import slugify

from articles.ingest import changes
from articles.ingest.records import ImageRecord, ItemRecord, ParseResult, ProviderRecord
from articles.ingest.rows import insert_rows, update_rows
from articles.models import (
    TERM_MAX_LENGTH,
    Article,
    ArticleTopic,
    Image,
    RelatedLink,
    Topic,
    UpstreamChange,
    url_identity_hash,
)
from articles.stories import clustering
from articles.stories.identity import identity_hash
from providers.models import Provider

CREATED, UPDATED, UNCHANGED, DUPLICATE, FAILED = "created", "updated", "unchanged", "duplicate", "failed"

# What an import writes on every change of the file: the upstream fields, then the editorial pair
# (which an update keeps as they are when an editor locked them, or without --trust-published).
ARTICLE_COLUMNS = [
    "web_url", "slug", "title", "excerpt", "category", "type", "published_at", "original_url", "amp_url",
    "cdn_amp_url", "heat", "provider_id", "secured", "extra", "source_published",
    "source_path", "content_hash", "last_imported_at", "quality", "published", "story_id",
]  # fmt: skip
QUALITY, PUBLISHED = ARTICLE_COLUMNS.index("quality"), ARTICLE_COLUMNS.index("published")
NEW_ARTICLE_COLUMNS = [*ARTICLE_COLUMNS, "web_url_hash", "first_imported_at", "editor_locked"]
# What changed in articles an editor had reviewed (articles/ingest/changes.py).
UPSTREAM_CHANGE_COLUMNS = ["article_id", "imported_at", "changes"]


@dataclass(slots=True)
class FileOutcome:
    path: str
    status: str
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    article_id: int | None = None


@dataclass(slots=True)
class _Item:
    """A parsed record on its way to the database."""

    result: ParseResult
    key: str
    record: ItemRecord = field(init=False)

    def __post_init__(self):
        self.record = self.result.record

    @property
    def rank(self) -> tuple[datetime, str]:
        # Several files with one identity: the newest story wins, then the later path.
        return (self.record.published_at, self.result.path)


def write_results(
    results: Iterable[ParseResult], *, trust_published: bool = False, dry_run: bool = False
) -> list[FileOutcome]:
    """Load one chunk of parse results; returns one outcome per file, in input order."""
    results = list(results)
    try:
        return _write_atomically(results, trust_published, dry_run)
    except DatabaseError as exc:
        if len(results) == 1:
            return [_database_failure(results[0], exc)]
    # The bulk write failed as a whole: isolate the culprit by writing file by file.
    outcomes = []
    for result in results:
        try:
            outcomes.extend(_write_atomically([result], trust_published, dry_run))
        except DatabaseError as exc:
            outcomes.append(_database_failure(result, exc))
    return outcomes


def _write_atomically(results: list[ParseResult], trust_published: bool, dry_run: bool) -> list[FileOutcome]:
    with transaction.atomic():
        outcomes = _write(results, trust_published)
        if dry_run:
            transaction.set_rollback(True)
    return outcomes


def _database_failure(result: ParseResult, exc: DatabaseError) -> FileOutcome:
    message = f"{result.path}: database: {str(exc).strip().splitlines()[0]}"
    return FileOutcome(result.path, FAILED, [message], [str(w) for w in result.warnings])


def _write(results: list[ParseResult], trust_published: bool) -> list[FileOutcome]:
    outcomes: dict[str, FileOutcome] = {}
    winners: dict[str, _Item] = {}
    for result in results:
        warnings = [str(w) for w in result.warnings]
        if not result.ok:
            outcomes[result.path] = FileOutcome(result.path, FAILED, [str(e) for e in result.errors], warnings)
            continue
        outcomes[result.path] = FileOutcome(result.path, UNCHANGED, [], warnings)
        item = _Item(result, identity_hash(result.record.web_url))
        other = winners.get(item.key)
        if other is None or item.rank > other.rank:
            winners[item.key] = item
            if other is not None:
                _supersede(outcomes[other.result.path], item.result.path)
        else:
            _supersede(outcomes[result.path], other.result.path)

    existing = {
        row["web_url_hash"]: row
        for row in Article.objects.filter(web_url_hash__in=winners).annotate(**changes.OLD_VALUES).values(
            "id", "web_url_hash", "content_hash", "source_path", "published_at", "quality", "published",
            "editor_locked", "story_id", "reviewed_at", *changes.OLD_VALUES,
        )
    }  # fmt: skip
    creates, updates = [], []
    for key, item in winners.items():
        row = existing.get(key)
        outcome = outcomes[item.result.path]
        if row is None:
            creates.append(item)
            outcome.status = CREATED
        elif row["source_path"] != item.result.path and (row["published_at"], row["source_path"]) > item.rank:
            _supersede(outcome, row["source_path"])
        elif row["content_hash"] == item.result.content_hash and not (
            trust_published and "published" not in row["editor_locked"] and row["published"] != item.record.published
        ):
            outcome.article_id = row["id"]
        else:
            updates.append((item, row))
            outcome.status = UPDATED
    if not creates and not updates:
        return list(outcomes.values())

    now = timezone.now()
    written = creates + [item for item, _ in updates]
    providers = _provider_ids([item.record for item in written])
    topics = _topic_ids({name for item in written for name in item.record.topics})
    stories = _plan_stories(creates, updates)

    new_rows = [(*_article_row(item, providers, trust_published, now, stories), item.key, now, []) for item in creates]
    new_ids = insert_rows(Article, NEW_ARTICLE_COLUMNS, new_rows, with_ids=True)

    changed, topics_locked, upstream_changes = [], set(), []
    for item, row in updates:
        values = _article_row(item, providers, trust_published, now, stories)
        locked = row["editor_locked"]
        if "quality" in locked:
            values[QUALITY] = row["quality"]
        if "published" in locked or not trust_published:
            values[PUBLISHED] = row["published"]
        if "topics" in locked:
            topics_locked.add(row["id"])
        changed.append((row["id"], *values))
        if row["reviewed_at"] is not None:
            fields = changes.changed_fields(row, item.record, quality_locked="quality" in locked)
            if fields:
                upstream_changes.append((row["id"], now, fields))
    if changed:
        update_rows(Article, ARTICLE_COLUMNS, changed)
        insert_rows(UpstreamChange, UPSTREAM_CHANGE_COLUMNS, upstream_changes)
        ids = [row[0] for row in changed]
        Image.objects.filter(article_id__in=ids).delete()
        # By link id, not a join: the join form deletes `WHERE id IN (a self-join of the image table)`, which the
        # planner can run as a nested loop over every image when a fresh table has no statistics yet.
        Image.objects.filter(related_link_id__in=RelatedLink.objects.filter(article_id__in=ids).values("id")).delete()
        RelatedLink.objects.filter(article_id__in=ids).delete()
        Article.topics.through.objects.filter(article_id__in=set(ids) - topics_locked).delete()

    written_ids = new_ids + [row[0] for row in changed]
    _write_children(list(zip(written_ids, written, strict=True)), topics_locked, providers, topics)
    clustering.finish_chunk(stories, {item.key: pk for pk, item in zip(written_ids, written, strict=True)})
    for article_id, item in zip(written_ids, written, strict=True):
        outcomes[item.result.path].article_id = article_id
    return list(outcomes.values())


def _supersede(outcome: FileOutcome, winner_path: str) -> None:
    outcome.status = DUPLICATE
    outcome.warnings.append(f"{outcome.path}: webUrl: same identity as {winner_path}, which takes precedence")


def _plan_stories(creates: list[_Item], updates: list[tuple[_Item, dict]]) -> clustering.Plan:
    """The story of each written item (articles.stories.clustering), decided before its row is written."""
    chunk = [_chunk_article(item) for item in creates]
    for item, row in updates:
        chunk.append(
            _chunk_article(
                item,
                article_id=row["id"],
                story_id=row["story_id"],
                locked="story" in row["editor_locked"],
                new_in_database=False,
            )
        )
    return clustering.plan_chunk(chunk)


def _chunk_article(item: _Item, **known) -> clustering.ChunkArticle:
    r = item.record
    return clustering.ChunkArticle(
        key=item.key,
        published_at=r.published_at,
        units=r.story_units,
        related=[identity_hash(rel.web_url) for rel in r.related],
        **known,
    )


def _article_row(
    item: _Item, providers: dict[str, int], trust_published: bool, now: datetime, stories: clustering.Plan
) -> list:
    """The values of ARTICLE_COLUMNS for one item, in that order."""
    r = item.record
    provider_id = providers[r.provider.domain] if r.provider else None
    return [
        r.web_url, _slug(r.title, item.key), r.title, r.excerpt, r.category, r.type, r.published_at,
        r.original_url, r.amp_url, r.cdn_amp_url, r.heat, provider_id, r.secured, r.extra, r.published,
        item.result.path, item.result.content_hash, now, r.quality, bool(trust_published and r.published),
        stories.story_for[item.key],
    ]  # fmt: skip


def _slug(title: str, key: str) -> str:
    # The identity hash keeps slugs unique and stable; titles alone repeat across outlets.
    return f"{slugify(title)[:80].strip('-') or 'story'}-{key[:10]}"


LINK_COLUMNS = [
    "article_id", "position", "web_url", "url_hash", "title", "excerpt", "published_at", "original_url", "amp_url",
    "cdn_amp_url", "category", "type", "quality", "heat", "provider_id", "extra",
]  # fmt: skip
# Every column without a database default, cache state included (COPY does not apply Django's defaults).
IMAGE_COLUMNS = [
    "url", "url_hash", "position", "width", "height", "title", "is_cached", "extra", "article_id",
    "related_link_id", "provider_id", "file", "status", "failure_reason", "attempts", "renditions",
    "content_sha256", "format",
]  # fmt: skip


def _write_children(
    pairs: list[tuple[int, _Item]], topics_locked: set[int], providers: dict[str, int], topics: dict[str, int]
) -> None:
    links, link_images, images = [], [], []
    for article_id, item in pairs:
        r = item.record
        images += _image_rows(r.images, article_id=article_id)
        for position, rel in enumerate(r.related):
            links.append((
                article_id, position, rel.web_url, identity_hash(rel.web_url), rel.title, rel.excerpt,
                rel.published_at, rel.original_url, rel.amp_url, rel.cdn_amp_url, rel.category, rel.type,
                rel.quality, rel.heat,
                providers[rel.provider.domain] if rel.provider else None, rel.extra,
            ))  # fmt: skip
            link_images.append(rel.images)
    link_ids = insert_rows(RelatedLink, LINK_COLUMNS, links, with_ids=True)
    for link_id, records in zip(link_ids, link_images, strict=True):
        images += _image_rows(records, related_link_id=link_id)
    insert_rows(Image, IMAGE_COLUMNS, images)
    insert_rows(ArticleTopic, TOPIC_LINK_COLUMNS, _topic_link_rows(pairs, topics_locked, topics))


TOPIC_LINK_COLUMNS = ["article_id", "topic_id", "source", "term"]
# Plain strings: COPY hands values to psycopg as they are, and psycopg writes an Enum member by its name.
FILE_SOURCE, AUTO_SOURCE = ArticleTopic.Source.FILE.value, ArticleTopic.Source.AUTO.value


def _topic_link_rows(pairs: list[tuple[int, _Item]], topics_locked: set[int], topics: dict[str, int]) -> list[tuple]:
    """Each article's topics with their source: the file's own, then the matcher's for the topics the file does
    not name. Articles whose topics an editor locked get none: their links stay as the editor left them."""
    matched = {topic for _, item in pairs for topic, _ in item.record.auto_topics}
    # The matcher was built when the import started: a topic deleted since then is skipped, not a failed chunk.
    existing = set(Topic.objects.filter(id__in=matched).values_list("id", flat=True)) if matched else set()
    rows = []
    for article_id, item in pairs:
        if article_id in topics_locked:
            continue
        linked = set()
        record = item.record
        file_topics = [(topics[name.casefold()], FILE_SOURCE, "") for name in record.topics]
        auto_topics = [(t, AUTO_SOURCE, term[:TERM_MAX_LENGTH]) for t, term in record.auto_topics if t in existing]
        for topic, source, term in file_topics + auto_topics:
            if topic not in linked:
                linked.add(topic)
                rows.append((article_id, topic, source, term))
    return rows


def _image_rows(records: list[ImageRecord], *, article_id=None, related_link_id=None, provider_id=None) -> list:
    return [
        (
            r.url, url_identity_hash(r.url), i, r.width, r.height, r.title, r.is_cached, r.extra, article_id,
            related_link_id, provider_id, "", Image.Status.PENDING, "", 0, {}, "", "",
        )
        for i, r in enumerate(records)
    ]  # fmt: skip


def _provider_ids(records: list[ItemRecord]) -> dict[str, int]:
    """Domain -> id, creating providers (with their logos) that the database does not know yet."""
    seen: dict[str, ProviderRecord] = {}
    for r in records:
        for p in [r.provider, *(rel.provider for rel in r.related)]:
            if p is not None and (p.domain not in seen or (p.images and not seen[p.domain].images)):
                seen[p.domain] = p
    ids = dict(Provider.objects.filter(domain__in=seen).values_list("domain", "id"))
    if len(ids) < len(seen):
        # An editor merged some outlets: their domains stay with the provider they were merged into.
        ids.update(Provider.objects.merged_into(d for d in seen if d not in ids))
    missing = [seen[d] for d in seen if d not in ids]
    if missing:
        # A provider's name is set once, here or by import_taxonomy; editors own it afterwards.
        Provider.objects.bulk_create(
            [Provider(domain=p.domain, name=p.name, extra=p.extra) for p in missing], ignore_conflicts=True
        )
        created = dict(Provider.objects.filter(domain__in=[p.domain for p in missing]).values_list("domain", "id"))
        ids.update(created)
        has_logo = set(Image.objects.filter(provider_id__in=created.values()).values_list("provider_id", flat=True))
        logos = [
            row
            for p in missing
            if ids[p.domain] not in has_logo
            for row in _image_rows(p.images, provider_id=ids[p.domain])
        ]
        insert_rows(Image, IMAGE_COLUMNS, logos)
    return ids


def _topic_ids(names: set[str]) -> dict[str, int]:
    """Casefolded name -> id; topics are matched case-insensitively and created on first sight."""
    wanted = {name.casefold(): name for name in sorted(names)}
    if not wanted:
        return {}
    ids = {
        name.casefold(): pk
        for pk, name in Topic.objects.annotate(lname=Lower("name"))
        .filter(lname__in={n.lower() for n in wanted.values()})
        .values_list("id", "name")
    }
    for folded, name in wanted.items():
        if folded not in ids:
            ids[folded] = ensure_topic(name).id
    return ids


def ensure_topic(name: str, **defaults) -> Topic:
    existing = Topic.objects.annotate(lname=Lower("name")).filter(lname=name.lower()).first()
    if existing:
        return existing
    base = slugify(name)[:100] or "topic"
    slug, n = base, 1
    while Topic.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    with transaction.atomic():
        return Topic.objects.create(name=name, slug=slug, **defaults)


ProgressCallback = Callable[[FileOutcome], None]
