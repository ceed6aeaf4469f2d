"""Write parsed item records to the database in few, bulk queries.

A batch is processed in chunks; each chunk is one transaction, so an interrupted
import leaves whole items or nothing, and a re-run picks up where it stopped.
Should the bulk write of a chunk fail, the chunk is retried file by file so that
one bad file cannot take the good ones with it.

Several imports may write at once (several machines, one PostgreSQL). The articles a chunk may change are
locked when it reads them, in id order, so it decides on their current state and editors' decisions made
meanwhile are never overwritten; new rows are written in identity order. A chunk that loses a race anyway
(a deadlock, an identity another import inserted first, a story another import merged away) is written again
from the start, as the other import left the database, before any file could be reported as failed.
"""

import logging
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import DatabaseError, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.text import slugify

from articles.ingest import changes, planning
from articles.ingest.prepared import ARTICLE_VALUES, PreparedItem, prepare
from articles.ingest.records import ParseResult
from articles.ingest.rows import delete_rows, insert_rows, update_rows
from articles.limits import TERM_MAX_LENGTH
from articles.models import Article, ArticleTopic, Image, RelatedLink, SupersededFile, Topic, UpstreamChange
from articles.stories import clustering
from articles.stories.lookups import among
from providers.models import Provider

CREATED, UPDATED, UNCHANGED, DUPLICATE, FAILED = "created", "updated", "unchanged", "duplicate", "failed"

# What a concurrent writer can cause, and a fresh attempt cures: deadlock, serialization failure, unique and
# foreign-key violations (an identity inserted, a story merged away by another import since this chunk read).
RACES = {"40P01": "deadlock", "40001": "serialization failure", "23505": "unique violation", "23503": "foreign key"}
ATTEMPTS = 4
logger = logging.getLogger("articles.imports")

# What an import writes on every change of the file: the upstream fields (as the worker prepared them), then
# the editorial pair (which an update keeps as they are when an editor locked them, or without --trust-published).
ARTICLE_COLUMNS = [
    *(name + "_id" if name == "provider" else name for name in ARTICLE_VALUES),
    "source_path", "content_hash", "last_imported_at", "quality", "published", "story_id",
]  # fmt: skip
PROVIDER = ARTICLE_VALUES.index("provider")
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


def write_results(
    results: Iterable[PreparedItem | ParseResult], *, trust_published: bool = False, dry_run: bool = False
) -> list[FileOutcome]:
    """Load one chunk of prepared items (or parse results); returns one outcome per file, in input order."""
    results = [r if isinstance(r, PreparedItem) else prepare(r) for r in results]
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


def _write_atomically(results: list[PreparedItem], trust_published: bool, dry_run: bool) -> list[FileOutcome]:
    """One transaction (a savepoint in a dry run), attempted again when it lost a race with another writer."""
    attempt = 1
    while True:
        try:
            with transaction.atomic():
                planning.plan_chunk_for_keys()
                outcomes = _write(results, trust_published)
                if dry_run:
                    transaction.set_rollback(True)
            return outcomes
        except DatabaseError as exc:
            race = RACES.get(getattr(exc.__cause__, "sqlstate", None))
            if race is None or attempt == ATTEMPTS:
                raise
            fields = {"race": race, "files": len(results), "attempt": attempt, "first": results[0].path}
            logger.warning("import chunk retried", extra={"fields": fields})
            time.sleep(random.uniform(0, 0.05 * attempt))  # a little jitter, so that two writers part ways
            attempt += 1


def _database_failure(result: PreparedItem, exc: DatabaseError) -> FileOutcome:
    message = f"{result.path}: database: {str(exc).strip().splitlines()[0]}"
    return FileOutcome(result.path, FAILED, [message], list(result.warnings))


def _write(items: list[PreparedItem], trust_published: bool) -> list[FileOutcome]:
    outcomes: dict[str, FileOutcome] = {}
    winners: dict[str, PreparedItem] = {}
    superseded: list[tuple[str, str, datetime, str]] = []  # (content hash, identity, published_at, path) of losers
    for item in items:
        if not item.ok:
            outcomes[item.path] = FileOutcome(item.path, FAILED, list(item.errors), list(item.warnings))
            continue
        outcomes[item.path] = FileOutcome(item.path, UNCHANGED, [], list(item.warnings))
        other = winners.get(item.key)
        if other is None or item.rank > other.rank:
            winners[item.key] = item
            if other is not None:
                supersede(outcomes[other.path], item.path)
                superseded.append(_loser(other))
        else:
            supersede(outcomes[item.path], other.path)
            superseded.append(_loser(item))

    # Locked in id order: another import or an editor changing these rows waits for this chunk, and this chunk
    # for them, so each decides on what the other wrote (no lost update, no deadlock between two imports).
    # One array parameter rather than a placeholder per file (articles.stories.lookups).
    stored = Article.objects.select_for_update().filter(**among("web_url_hash", sorted(winners))).order_by("id")
    existing = {
        row["web_url_hash"]: row
        for row in stored.annotate(**changes.OLD_VALUES).values(
            "id", "web_url_hash", "content_hash", "source_path", "published_at", "quality", "published",
            "editor_locked", "story_id", "reviewed_at", *changes.OLD_VALUES,
        )
    }  # fmt: skip
    creates, updates = [], []
    for key, item in sorted(winners.items()):  # new rows in identity order: two imports never wait on each other
        row = existing.get(key)
        outcome = outcomes[item.path]
        if row is None:
            creates.append(item)
            outcome.status = CREATED
        elif row["source_path"] != item.path and (row["published_at"], row["source_path"]) > item.rank:
            supersede(outcome, row["source_path"])
            superseded.append(_loser(item))
        elif row["content_hash"] == item.content_hash and not (
            trust_published and "published" not in row["editor_locked"] and row["published"] != item.source_published
        ):
            outcome.article_id = row["id"]
        else:
            updates.append((item, row))
            outcome.status = UPDATED
            if row["source_path"] != item.path:
                # The article's previous file now loses to this one: known too, before the next import reads it.
                superseded.append((row["content_hash"], key, row["published_at"], row["source_path"]))
    if not creates and not updates:
        _remember_superseded(superseded, {key: row["id"] for key, row in existing.items()})
        return list(outcomes.values())

    now = timezone.now()
    written = creates + [item for item, _ in updates]
    providers = _provider_ids(written)
    topics = _topic_ids({name for item in written for name in item.topics})
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
            fields = changes.changed_fields(row, item, quality_locked="quality" in locked)
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
        delete_rows(RelatedLink, "article_id", ids)  # their images are gone: no cascade to collect
        Article.topics.through.objects.filter(article_id__in=set(ids) - topics_locked).delete()

    written_ids = new_ids + [row[0] for row in changed]
    _write_children(list(zip(written_ids, written, strict=True)), topics_locked, providers, topics)
    clustering.finish_chunk(stories, {item.key: pk for pk, item in zip(written_ids, written, strict=True)})
    for article_id, item in zip(written_ids, written, strict=True):
        outcomes[item.path].article_id = article_id
    article_ids = {key: row["id"] for key, row in existing.items()}
    article_ids.update((item.key, pk) for pk, item in zip(new_ids, creates, strict=True))
    _remember_superseded(superseded, article_ids)
    return list(outcomes.values())


def supersede(outcome: FileOutcome, winner_path: str) -> None:
    outcome.status = DUPLICATE
    outcome.warnings.append(f"{outcome.path}: webUrl: same identity as {winner_path}, which takes precedence")


def _loser(item: PreparedItem) -> tuple[str, str, datetime, str]:
    return (item.content_hash, item.key, item.published_at, item.path)


def _remember_superseded(superseded: list[tuple[str, str, datetime, str]], article_ids: dict[str, int]) -> None:
    """Keep the hashes of files that lost to another file of their identity: an unchanged re-import then skips
    them before parsing (batch._unchanged_filter), as it skips the winners."""
    if superseded:
        rows = {
            digest: SupersededFile(content_hash=digest, article_id=article_ids[key], published_at=when, path=path)
            for digest, key, when, path in superseded
        }
        SupersededFile.objects.bulk_create(
            [rows[h] for h in sorted(rows)],  # in hash order, so that concurrent imports never deadlock here
            update_conflicts=True,
            unique_fields=["content_hash"],
            update_fields=["article", "published_at", "path"],
        )


def _plan_stories(creates: list[PreparedItem], updates: list[tuple[PreparedItem, dict]]) -> clustering.Plan:
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


def _chunk_article(item: PreparedItem, **known) -> clustering.ChunkArticle:
    return clustering.ChunkArticle(
        key=item.key, published_at=item.published_at, units=item.units, related=item.related_keys, **known
    )


def _article_row(
    item: PreparedItem, providers: dict[str, int], trust_published: bool, now: datetime, stories: clustering.Plan
) -> list:
    """The values of ARTICLE_COLUMNS for one item, in that order."""
    values = list(item.article)
    if values[PROVIDER] is not None:
        values[PROVIDER] = providers[values[PROVIDER]]
    values += [
        item.path, item.content_hash, now, item.quality, bool(trust_published and item.source_published),
        stories.story_for[item.key],
    ]  # fmt: skip
    return values


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
    pairs: list[tuple[int, PreparedItem]], topics_locked: set[int], providers: dict[str, int], topics: dict[str, int]
) -> None:
    links, link_images, images = [], [], []
    for article_id, item in pairs:
        images += _image_rows(item.images, article_id=article_id)
        for *values, provider, extra, link_image_values in item.related:
            links.append((article_id, *values, providers[provider] if provider else None, extra))
            link_images.append(link_image_values)
    link_ids = insert_rows(RelatedLink, LINK_COLUMNS, links, with_ids=True)
    for link_id, values in zip(link_ids, link_images, strict=True):
        images += _image_rows(values, related_link_id=link_id)
    insert_rows(Image, IMAGE_COLUMNS, images)
    insert_rows(ArticleTopic, TOPIC_LINK_COLUMNS, _topic_link_rows(pairs, topics_locked, topics))


TOPIC_LINK_COLUMNS = ["article_id", "topic_id", "source", "term"]
# Plain strings: COPY hands values to psycopg as they are, and psycopg writes an Enum member by its name.
FILE_SOURCE, AUTO_SOURCE = ArticleTopic.Source.FILE.value, ArticleTopic.Source.AUTO.value


def _topic_link_rows(
    pairs: list[tuple[int, PreparedItem]], topics_locked: set[int], topics: dict[str, int]
) -> list[tuple]:
    """Each article's topics with their source: the file's own, then the matcher's for the topics the file does
    not name. Articles whose topics an editor locked get none: their links stay as the editor left them."""
    matched = {topic for _, item in pairs for topic, _ in item.auto_topics}
    # The matcher was built when the import started: a topic deleted since then is skipped, not a failed chunk.
    existing = set(Topic.objects.filter(id__in=matched).values_list("id", flat=True)) if matched else set()
    rows = []
    for article_id, item in pairs:
        if article_id in topics_locked:
            continue
        linked = set()
        file_topics = [(topics[name.casefold()], FILE_SOURCE, "") for name in item.topics]
        auto_topics = [(t, AUTO_SOURCE, term[:TERM_MAX_LENGTH]) for t, term in item.auto_topics if t in existing]
        for topic, source, term in file_topics + auto_topics:
            if topic not in linked:
                linked.add(topic)
                rows.append((article_id, topic, source, term))
    return rows


def _image_rows(values: tuple, *, article_id=None, related_link_id=None, provider_id=None) -> list:
    # Owners, then the cache state (COPY does not apply Django's defaults).
    owners = (article_id, related_link_id, provider_id, "", Image.Status.PENDING, "", 0, {}, "", "")
    return [(*v, *owners) for v in values]


def _provider_ids(items: list[PreparedItem]) -> dict[str, int]:
    """Domain -> id, creating providers (with their logos) that the database does not know yet."""
    seen: dict[str, tuple] = {}
    for item in items:
        for p in item.providers:
            # One outlet named twice: the mention with logos describes it.
            if p[0] not in seen or (p[3] and not seen[p[0]][3]):
                seen[p[0]] = p
    ids = dict(Provider.objects.filter(domain__in=seen).values_list("domain", "id"))
    if len(ids) < len(seen):
        # An editor merged some outlets: their domains stay with the provider they were merged into.
        ids.update(Provider.objects.merged_into(d for d in seen if d not in ids))
    missing = [seen[d] for d in seen if d not in ids]
    if missing:
        # A provider's name is set once, here or by import_taxonomy; editors own it afterwards.
        Provider.objects.bulk_create(
            [Provider(domain=domain, name=name, extra=extra) for domain, name, extra, _ in missing],
            ignore_conflicts=True,
        )
        created = dict(Provider.objects.filter(domain__in=[p[0] for p in missing]).values_list("domain", "id"))
        ids.update(created)
        has_logo = set(Image.objects.filter(provider_id__in=created.values()).values_list("provider_id", flat=True))
        logos = [
            row
            for domain, _, _, logos in missing
            if ids[domain] not in has_logo
            for row in _image_rows(logos, provider_id=ids[domain])
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
