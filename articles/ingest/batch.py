"""Drive an import: find item files, skip unchanged ones cheaply, parse (on every core), load."""

import gc
import os
from collections import Counter, deque
from collections.abc import Callable, Collection, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from itertools import batched
from multiprocessing import get_context
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from articles.cache import bump_public_version
from articles.ingest import workers
from articles.ingest.loader import CREATED, FAILED, UNCHANGED, UPDATED, FileOutcome, supersede, write_results
from articles.ingest.parser import content_hash, read_item
from articles.ingest.planning import Statistics, plan_chunk_for_keys
from articles.ingest.prepared import PreparedItem
from articles.ingest.records import Problem
from articles.models import Article, SupersededFile
from articles.stories.lookups import among
from articles.topics.selectors import current_matcher

CHUNK_SIZE = 500  # files per transaction: big enough for bulk queries, small enough to bound memory
# Chunks the parser workers may have in hand besides the one being written. With one, they finished it while the
# writer was still busy and idled a third of the import (py-spy, 20,000 items, 2 cores); a few keep them busy, and
# memory stays bounded by the depth, not by the batch.
PARSED_AHEAD = 3


@dataclass
class BatchSummary:
    counts: Counter = field(default_factory=Counter)
    warnings: int = 0

    @property
    def exit_code(self) -> int:
        return 1 if self.counts[FAILED] else 0


class ItemFiles:
    """The item files under some paths, in a stable order, walked anew on each iteration rather than held: a
    million paths in a list take about 190 MB, more than the rest of an import."""

    def __init__(self, roots: list[Path]):
        self.roots = roots
        self.count = sum(1 for _ in self)

    def __iter__(self) -> Iterator[str]:
        for root in self.roots:
            if root.is_dir():
                yield from _walk(root)
            else:
                yield str(root)

    def __len__(self) -> int:
        return self.count


def find_item_files(paths: list[str | Path]) -> ItemFiles:
    """Files as given, plus `*.md` under directories (recursively, symlinks skipped), in a stable order."""
    roots = []
    for path in map(Path, paths):
        # Absolute paths: the stored source path must not depend on the directory the command ran from.
        path = path.absolute()
        if not path.exists():
            raise FileNotFoundError(f"{path}: no such file or directory")
        roots.append(path)
    return ItemFiles(roots)


def _walk(root: Path) -> Iterator[str]:
    with os.scandir(root) as entries:
        entries = sorted(entries, key=lambda e: e.name)
    for entry in entries:
        if entry.is_symlink():
            continue
        if entry.is_dir():
            yield from _walk(Path(entry.path))
        elif entry.is_file() and entry.name.endswith(".md"):
            yield entry.path


def _read(path: str) -> tuple[str, bytes | None, str]:
    try:
        data = read_item(path)
    except OSError as exc:
        return path, None, f"cannot read: {exc.strerror}"
    return path, data, ""


def import_batch(
    files: Collection[str],
    *,
    trust_published: bool = False,
    dry_run: bool = False,
    base_url: str = "",
    jobs: int = 1,
    auto_topics: bool = True,
    on_file: Callable[[FileOutcome], None] | None = None,
) -> BatchSummary:
    """Import item files; every file gets exactly one outcome, reported through `on_file`.

    With `auto_topics`, new and changed items also get the topics the taxonomy's terms find in their title and
    excerpt (articles.topics), beside the file's own.
    """
    summary = BatchSummary()

    def report(outcome: FileOutcome) -> None:
        summary.counts[outcome.status] += 1
        summary.warnings += len(outcome.warnings)
        if on_file:
            on_file(outcome)

    # A dry run is one transaction rolled back at the end, so later chunks see what earlier ones would write.
    with _fewer_collections(), transaction.atomic() if dry_run else nullcontext():
        _run(files, trust_published, base_url, jobs, auto_topics, report)
        if dry_run:
            transaction.set_rollback(True)
    if not dry_run and (summary.counts[CREATED] or summary.counts[UPDATED]):
        bump_public_version()  # bulk writes send no signals: invalidate cached public pages explicitly
    return summary


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Collect cyclic garbage less often during an import, and never scan what was there before it.

    Each chunk brings thousands of containers (the prepared items' tuples and term sets), which set off the cyclic
    collector every 700 allocations and its full passes over Django's heap: about 10% of the main process's CPU
    (0.5-0.7 s at 20,000 items; the unpickling of items cost 4 times as much in a Django-sized heap as in an empty
    one). The heap that exists when the import starts is frozen (left out of collections) and young garbage
    collected every 50,000 allocations: cycles are still freed, a bounded number later."""
    threshold, frozen = gc.get_threshold(), gc.get_freeze_count()
    if not frozen:  # a process that froze its heap itself (a preloading server) keeps it as it was
        gc.freeze()
    gc.set_threshold(50_000, 50, 100)
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        if not frozen:
            gc.unfreeze()


def _run(files: Collection[str], trust_published: bool, base_url: str, jobs: int, auto_topics: bool, report) -> None:
    # Workers pay off only when parsing one chunk can overlap with writing another, and they are started
    # on the first chunk that needs parsing: a re-import with nothing to parse never spawns any. The topic
    # matcher is built then too, once for the whole import.
    use_pool = jobs > 1 and len(files) > CHUNK_SIZE
    pool = matcher = None
    started = timezone.now()
    skipped: dict[str, str] = {}  # superseded duplicates skipped unparsed -> the winner's path, reported at the end
    statistics = Statistics(floor=CHUNK_SIZE)

    def run(chunks) -> None:
        nonlocal pool, matcher
        pending: deque[list[Future] | list[PreparedItem]] = deque()
        for chunk in chunks:
            to_parse = _unchanged_filter(chunk, trust_published, report, skipped)
            if auto_topics and to_parse and matcher is None:
                matcher = current_matcher()
            if use_pool and to_parse and pool is None:
                # Spawned, not forked: the parent holds database connections and pool threads a fork would copy.
                pool = ProcessPoolExecutor(
                    max_workers=jobs, mp_context=get_context("spawn"), initializer=workers.start, initargs=(matcher,)
                )
            # Parse this chunk (in the pool, up to PARSED_AHEAD chunks ahead) while an earlier one is written.
            if pool:
                parts = batched(to_parse, 50)
                pending.append([pool.submit(workers.parse_many, list(part), base_url) for part in parts])
            else:
                pending.append(workers.parse_many(to_parse, base_url, matcher))
            if len(pending) > (PARSED_AHEAD if pool else 1):
                _load(pending.popleft(), trust_published, report, statistics)
        while pending:
            _load(pending.popleft(), trust_published, report, statistics)

    try:
        run(batched(files, CHUNK_SIZE))
        # A superseded duplicate was skipped by the rank its winner had then; a winner whose file changed in a
        # later chunk may have lost that rank. Those files are imported now, as they would have been.
        outranked = _outranked_duplicates(since=started) if skipped else set()
        late = [path for path in skipped if path in outranked]
        for path in late:
            del skipped[path]
        if late:
            run(batched(late, CHUNK_SIZE))
        for path, winner in skipped.items():
            outcome = FileOutcome(path, UNCHANGED)
            supersede(outcome, winner)
            report(outcome)
    finally:
        if pool:
            pool.shutdown(cancel_futures=True)


def _outranked_duplicates(*, since) -> set[str]:
    """Files recorded as superseded by an article that this import changed, which now outrank it."""
    rows = SupersededFile.objects.filter(article__last_imported_at__gte=since).values_list(
        "path", "published_at", "article__published_at", "article__source_path"
    )
    return {path for path, published_at, *winner in rows.iterator() if (published_at, path) > tuple(winner)}


def _unchanged_filter(chunk, trust_published: bool, report, skipped: dict[str, str]) -> list[tuple[str, bytes, str]]:
    """Drop files whose exact bytes are already imported, or known to lose to the file imported for their
    identity (superseded duplicates, added to `skipped`): no parsing, no writes. The rest go on as (path, data,
    content hash): the parser takes the hash rather than computing it again (5 us a file)."""
    read = [
        (path, data, error, content_hash(data) if data is not None else "") for path, data, error in map(_read, chunk)
    ]
    digests = {digest for *_, digest in read if digest}
    with transaction.atomic():  # lookups by key, planned as a chunk's are
        plan_chunk_for_keys()
        known = Article.objects.filter(**among("content_hash", sorted(digests)))
        if trust_published:
            # Applying the files' flags may change an article even when its file did not.
            known = [
                row["content_hash"]
                for row in known.values("content_hash", "published", "source_published", "editor_locked")
                if row["published"] == bool(row["source_published"]) or "published" in row["editor_locked"]
            ]
        else:
            known = known.values_list("content_hash", flat=True)
        known = set(known)
        losers = _superseded(digests - known)
    to_parse = []
    for path, data, error, digest in read:
        if data is None:
            report(FileOutcome(path, FAILED, [str(Problem(path, "file", error))]))
        elif digest in known:
            report(FileOutcome(path, UNCHANGED))
        elif (winner := losers.get((digest, path))) is not None:
            skipped[path] = winner
        else:
            to_parse.append((path, data, digest))
    return to_parse


def _superseded(digests: set[str]) -> dict[tuple[str, str], str]:
    """(hash, path) -> the winning file's path, for files recorded as superseded duplicates whose article's own
    file still outranks them (the winner's file may have changed its date since)."""
    if not digests:
        return {}
    rows = SupersededFile.objects.filter(**among("content_hash", sorted(digests))).values_list(
        "content_hash", "path", "published_at", "article__published_at", "article__source_path"
    )
    return {
        (digest, path): winner_path
        for digest, path, published_at, winner_published_at, winner_path in rows
        if (winner_published_at, winner_path) > (published_at, path)
    }


def _load(parsing, trust_published: bool, report, statistics: Statistics) -> None:
    results = (
        [r for future in parsing for r in future.result()] if parsing and isinstance(parsing[0], Future) else parsing
    )
    if not results:
        return
    created = 0
    for outcome in write_results(results, trust_published=trust_published):
        created += outcome.status == CREATED
        report(outcome)
    statistics.grew(created)
