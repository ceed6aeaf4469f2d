"""Editorial write services: publish, unpublish, schedule, reject, quality, topics, review, provider merges.

Every function takes keyword-only arguments, runs in one transaction, attributes the change to
the editor (`reviewed_by`/`reviewed_at`), records it in the admin history (LogEntry) and marks the
touched editorial fields in `Article.editor_locked` so that re-imports keep them (DESIGN.md §4).

Bulk work is chunked: rows are read and locked a chunk at a time, then written with one UPDATE per
distinct new `editor_locked` value, so ten rows and a hundred thousand take the same few kinds of
statement and never one per row.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import batched

from django.contrib.admin.models import CHANGE, DELETION, LogEntry
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from articles.cache import bump_public_version
from articles.limits import INT_MAX, INT_MIN
from articles.models import Article, ArticleTopic, Image, RelatedLink, Topic
from providers.models import Provider

CHUNK_SIZE = 1000
# Columns a bulk service needs to decide, write and log a change.
_ROW_FIELDS = ("id", "title", "published", "publish_at", "quality", "editor_locked", "reviewed_at", "last_imported_at")

Row = dict


@dataclass(frozen=True, slots=True)
class Skipped:
    id: int
    title: str
    reason: str


@dataclass(slots=True)
class BulkResult:
    """What a bulk service did: how many articles changed, and each one it left alone and why."""

    changed: int = 0
    skipped: list[Skipped] = field(default_factory=list)

    def skip(self, row: Row, reason: str) -> None:
        self.skipped.append(Skipped(row["id"], row["title"], reason))


@dataclass(frozen=True, slots=True)
class MergeResult:
    provider: Provider
    merged: list[str]
    articles_moved: int
    related_links_moved: int


# --------------------------------------------------------------------------- public pages


# --------------------------------------------------------------------------- single edits


def mark_edited(article: Article, *, by: AbstractBaseUser, fields: Iterable[str], at: datetime | None = None) -> None:
    """Attribute an admin form edit to `by` and lock the touched fields against re-imports (not saved here).

    A schedule is an approval decision, so touching `publish_at` also locks `published`; approving records when.
    """
    now = at or timezone.now()
    touched = set(fields)
    if "publish_at" in touched:
        touched.add("published")
    if touched:
        article.editor_locked = sorted(set(article.editor_locked or []) | touched)
    if "published" in touched and article.published:
        article.approved_at = now
    article.reviewed_by = by
    article.reviewed_at = now


@transaction.atomic
def set_topics(*, article: Article, topics: Iterable[Topic]) -> None:
    """An editor's topics for an article (the form's choice): links kept keep their source, new ones are the editor's.

    The caller locks `topics` (mark_edited), so imports and assign_topics leave them alone from then on.
    """
    article.topics.set(topics, through_defaults={"source": ArticleTopic.Source.EDITOR, "term": ""})


# --------------------------------------------------------------------------- bulk services


def _is_public(row: Row, now: datetime) -> bool:
    return row["published"] and (row["publish_at"] is None or row["publish_at"] <= now)


def _when(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M %Z")


def _chunks(articles: QuerySet) -> Iterator[list[Row]]:
    """The selected articles, a locked chunk at a time, in id order (a stable lock order)."""
    # Strip the caller's ordering, annotations and prefetches: only the selection matters.
    selected = Article.objects.filter(pk__in=articles.order_by().values("pk"))
    ids = list(selected.order_by("pk").values_list("pk", flat=True))
    for chunk in batched(ids, CHUNK_SIZE):
        yield list(Article.objects.select_for_update().filter(pk__in=chunk).order_by("pk").values(*_ROW_FIELDS))


def _write(rows: list[Row], *, by: AbstractBaseUser, at: datetime, lock: str | None, **values) -> None:
    """Apply `values` to `rows`, mark them reviewed, and add `lock` to their `editor_locked`."""
    groups: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for row in rows:
        locked = set(row["editor_locked"] or [])
        if lock:
            locked.add(lock)
        groups[tuple(sorted(locked))].append(row["id"])
    for locked, ids in groups.items():
        Article.objects.filter(pk__in=ids).update(editor_locked=list(locked), reviewed_by=by, reviewed_at=at, **values)


def _entry(model, pk: int, text: str, *, by: AbstractBaseUser, at: datetime, message: str, flag: int) -> LogEntry:
    """An admin history entry: who (`by`), when (`at`), what (`message`), on which object."""
    content_type = ContentType.objects.get_for_model(model)  # cached by Django after the first call
    return LogEntry(
        user_id=by.pk,
        content_type_id=content_type.pk,
        object_id=str(pk),
        object_repr=text[:200],
        action_flag=flag,
        change_message=message,
        action_time=at,
    )


def _log(rows: list[Row], *, by: AbstractBaseUser, at: datetime, message: Callable[[Row], str]) -> None:
    entries = [_entry(Article, r["id"], r["title"], by=by, at=at, message=message(r), flag=CHANGE) for r in rows]
    LogEntry.objects.bulk_create(entries, batch_size=CHUNK_SIZE)


def _bulk(
    articles: QuerySet,
    *,
    by: AbstractBaseUser,
    reason_to_skip: Callable[[Row], str | None],
    message: Callable[[Row], str],
    lock: str | None,
    prepare: Callable[[list[Row]], None] | None = None,
    apply: Callable[[list[Row]], None] | None = None,
    at: datetime,
    public: bool = True,
    **values,
) -> BulkResult:
    """Run one bulk change chunk by chunk: `prepare` sees each chunk first, `apply` writes beyond `values`.

    Bulk writes send no signals: unless the change cannot show on the public site (`public=False`), cached
    public pages are invalidated once something changed.
    """
    result = BulkResult()
    for rows in _chunks(articles):
        if prepare:
            prepare(rows)
        todo = []
        for row in rows:
            reason = reason_to_skip(row)
            if reason:
                result.skip(row, reason)
            else:
                todo.append(row)
        if not todo:
            continue
        if apply:
            apply(todo)
        _write(todo, by=by, at=at, lock=lock, **values)
        _log(todo, by=by, at=at, message=message)
        result.changed += len(todo)
    if public and result.changed:
        bump_public_version()
    return result


@transaction.atomic
def publish_articles(*, articles: QuerySet, by: AbstractBaseUser, at: datetime | None = None) -> BulkResult:
    """Make articles public now; a pending schedule is replaced by "now"."""
    now = at or timezone.now()

    def message(row: Row) -> str:
        if row["published"] and row["publish_at"]:
            return f"Published now (was scheduled for {_when(row['publish_at'])})."
        return "Published."

    return _bulk(
        articles,
        by=by,
        at=now,
        reason_to_skip=lambda row: "already public" if _is_public(row, now) else None,
        message=message,
        lock="published",
        published=True,
        publish_at=None,
        approved_at=now,
    )


@transaction.atomic
def schedule_articles(
    *, articles: QuerySet, by: AbstractBaseUser, publish_at: datetime, at: datetime | None = None
) -> BulkResult:
    """Approve articles to turn public at `publish_at`; `Article.objects.public()` honours it by itself."""
    now = at or timezone.now()
    if timezone.is_naive(publish_at):
        raise ValueError("publish_at must be timezone-aware")
    if publish_at <= now:
        raise ValueError("publish_at must be in the future; publish the articles instead")

    def reason_to_skip(row: Row) -> str | None:
        if _is_public(row, now):
            # Scheduling a live story would take it off the site until then: make that explicit.
            return "already public (unpublish it first to reschedule)"
        if row["published"] and row["publish_at"] == publish_at:
            return "already scheduled for that time"
        return None

    return _bulk(
        articles,
        by=by,
        at=now,
        reason_to_skip=reason_to_skip,
        message=lambda row: f"Scheduled to go public at {_when(publish_at)}.",
        lock="published",
        published=True,
        publish_at=publish_at,
        approved_at=now,
    )


@transaction.atomic
def unpublish_articles(*, articles: QuerySet, by: AbstractBaseUser, at: datetime | None = None) -> BulkResult:
    """Take articles off the public site and cancel any pending schedule."""
    now = at or timezone.now()

    def message(row: Row) -> str:
        if row["publish_at"] and row["publish_at"] > now:
            return f"Unpublished (cancelled the schedule for {_when(row['publish_at'])})."
        return "Unpublished."

    return _bulk(
        articles,
        by=by,
        at=now,
        reason_to_skip=lambda row: None if row["published"] else "not published",
        message=message,
        lock="published",
        published=False,
        publish_at=None,
    )


@transaction.atomic
def reject_articles(*, articles: QuerySet, by: AbstractBaseUser, at: datetime | None = None) -> BulkResult:
    """Turn articles down (review mode): off the public site, any schedule cancelled, reviewed, and kept unpublished
    by re-imports, `--trust-published` ones included."""
    now = at or timezone.now()

    def reason_to_skip(row: Row) -> str | None:
        rejected = not row["published"] and "published" in (row["editor_locked"] or [])
        return "already rejected" if rejected and not _needs_review(row) else None

    def message(row: Row) -> str:
        if _is_public(row, now):
            return "Rejected: unpublished."
        if row["published"] and row["publish_at"]:
            return f"Rejected: cancelled the schedule for {_when(row['publish_at'])}."
        return "Rejected."

    return _bulk(
        articles,
        by=by,
        at=now,
        reason_to_skip=reason_to_skip,
        message=message,
        lock="published",
        published=False,
        publish_at=None,
    )


def _quality_text(value: int | None) -> str:
    return "unrated" if value is None else str(value)


@transaction.atomic
def set_quality(
    *, articles: QuerySet, by: AbstractBaseUser, quality: int | None, at: datetime | None = None
) -> BulkResult:
    if quality is not None and not INT_MIN <= quality <= INT_MAX:
        raise ValueError(f"quality must be between {INT_MIN} and {INT_MAX}")
    now = at or timezone.now()
    return _bulk(
        articles,
        by=by,
        at=now,
        reason_to_skip=lambda row: "quality already set to that" if row["quality"] == quality else None,
        message=lambda row: f"Quality: {_quality_text(row['quality'])} → {_quality_text(quality)}.",
        lock="quality",
        quality=quality,
    )


@transaction.atomic
def add_topic(*, articles: QuerySet, by: AbstractBaseUser, topic: Topic, at: datetime | None = None) -> BulkResult:
    return _change_topic(articles, by=by, topic=topic, add=True, at=at or timezone.now())


@transaction.atomic
def remove_topic(*, articles: QuerySet, by: AbstractBaseUser, topic: Topic, at: datetime | None = None) -> BulkResult:
    return _change_topic(articles, by=by, topic=topic, add=False, at=at or timezone.now())


def _change_topic(articles: QuerySet, *, by: AbstractBaseUser, topic: Topic, add: bool, at: datetime) -> BulkResult:
    sources: dict[int, str] = {}

    def prepare(rows: list[Row]) -> None:
        sources.clear()
        ids = [row["id"] for row in rows]
        links = ArticleTopic.objects.filter(topic=topic, article_id__in=ids)
        sources.update(links.values_list("article_id", "source"))

    def reason_to_skip(row: Row) -> str | None:
        # Adding a topic the matcher put there makes it the editor's: later runs of the matcher keep it.
        if add and sources.get(row["id"], ArticleTopic.Source.AUTO) != ArticleTopic.Source.AUTO:
            return f"already has the topic “{topic.name}”"
        if not add and row["id"] not in sources:
            return f"does not have the topic “{topic.name}”"
        return None

    def apply(rows: list[Row]) -> None:
        ids = [row["id"] for row in rows]
        if add:
            confirmed = [pk for pk in ids if pk in sources]
            ArticleTopic.objects.filter(topic=topic, article_id__in=confirmed).update(
                source=ArticleTopic.Source.EDITOR, term=""
            )
            ArticleTopic.objects.bulk_create(
                [
                    ArticleTopic(article_id=pk, topic=topic, source=ArticleTopic.Source.EDITOR)
                    for pk in ids
                    if pk not in sources
                ],
                ignore_conflicts=True,
            )
        else:
            ArticleTopic.objects.filter(topic=topic, article_id__in=ids).delete()

    def message(row: Row) -> str:
        if not add:
            return f"Removed topic “{topic.name}”."
        if row["id"] in sources:
            return f"Kept topic “{topic.name}” (it was automatic)."
        return f"Added topic “{topic.name}”."

    return _bulk(
        articles,
        by=by,
        at=at,
        prepare=prepare,
        reason_to_skip=reason_to_skip,
        apply=apply,
        message=message,
        lock="topics",
    )


def _needs_review(row: Row) -> bool:
    # The same rule as models.NEEDS_REVIEW, for one row.
    if row["reviewed_at"] is None:
        return True
    return row["last_imported_at"] is not None and row["last_imported_at"] > row["reviewed_at"]


@transaction.atomic
def mark_reviewed(*, articles: QuerySet, by: AbstractBaseUser, at: datetime | None = None) -> BulkResult:
    """Sign off articles without changing them: they leave the "needs review" queue."""
    now = at or timezone.now()
    return _bulk(
        articles,
        by=by,
        at=now,
        reason_to_skip=lambda row: None if _needs_review(row) else "already reviewed",
        message=lambda row: "Marked as reviewed.",
        lock=None,
        public=False,  # review state never shows on the public site
    )


# --------------------------------------------------------------------------- providers


@transaction.atomic
def merge_providers(*, into: Provider, duplicates: Iterable[Provider], by: AbstractBaseUser) -> MergeResult:
    """Fold duplicate providers into `into`: their articles, related coverage, names and domains move over.

    The duplicates' domains are remembered in `into.merged_domains`, so that later imports file their stories
    under `into` instead of recreating them; their logos go unless `into` has none.
    """
    into = Provider.objects.select_for_update().get(pk=into.pk)
    wanted = [p.pk for p in duplicates]
    dups = list(Provider.objects.select_for_update().filter(pk__in=wanted).exclude(pk=into.pk).order_by("pk"))
    if not dups:
        raise ValueError("choose at least one other provider to merge")
    ids = [p.pk for p in dups]
    now = timezone.now()
    logs = []
    moved_articles = moved_links = 0
    for dup in dups:
        articles = Article.objects.filter(provider=dup).update(provider=into)
        links = RelatedLink.objects.filter(provider=dup).update(provider=into)
        moved_articles += articles
        moved_links += links
        moved = f"{articles} articles and {links} related links moved"
        logs += [
            _entry(Provider, dup.pk, str(dup), by=by, at=now, flag=DELETION, message=f"Merged into {into}: {moved}."),
            _entry(Provider, into.pk, str(into), by=by, at=now, flag=CHANGE, message=f"Merged {dup} into it: {moved}."),
        ]
    if not into.logos.exists():
        donor = Image.objects.filter(provider_id__in=ids).order_by("provider_id", "position", "id").first()
        if donor:
            Image.objects.filter(provider_id=donor.provider_id).update(provider=into)
    Image.objects.filter(provider_id__in=ids).delete()

    names = list(into.other_names or [])
    for dup in dups:
        for name in [dup.name, *(dup.other_names or [])]:
            if name and name != into.name and name not in names:
                names.append(name)
    domains = set(into.merged_domains)
    for dup in dups:
        domains |= {dup.domain, *dup.merged_domains}
    into.other_names = names
    into.merged_domains = sorted(domains)
    into.save(update_fields=["other_names", "merged_domains"])
    LogEntry.objects.bulk_create(logs)
    merged = [str(dup) for dup in dups]
    Provider.objects.filter(pk__in=ids).delete()
    bump_public_version()
    return MergeResult(into, merged, moved_articles, moved_links)
