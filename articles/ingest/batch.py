"""Drive an import: find item files, skip unchanged ones cheaply, parse (on every core), load."""

import os
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field
from itertools import batched
from multiprocessing import get_context
from pathlib import Path

from django.db import transaction

from articles.cache import bump_public_version
from articles.ingest import workers
from articles.ingest.loader import CREATED, FAILED, UNCHANGED, UPDATED, FileOutcome, write_results
from articles.ingest.parser import content_hash
from articles.ingest.prepared import PreparedItem
from articles.ingest.records import Problem
from articles.ingest.yamlsafe import MAX_FILE_BYTES
from articles.models import Article
from articles.topics.selectors import current_matcher

CHUNK_SIZE = 500  # files per transaction: big enough for bulk queries, small enough to bound memory


@dataclass
class BatchSummary:
    counts: Counter = field(default_factory=Counter)
    warnings: int = 0

    @property
    def exit_code(self) -> int:
        return 1 if self.counts[FAILED] else 0


def find_item_files(paths: list[str | Path]) -> list[str]:
    """Files as given, plus `*.md` under directories (recursively, symlinks skipped), in a stable order."""
    found: list[str] = []
    for path in map(Path, paths):
        # Absolute paths: the stored source path must not depend on the directory the command ran from.
        path = path.absolute()
        if path.is_dir():
            found.extend(_walk(path))
        elif path.exists():
            found.append(str(path))
        else:
            raise FileNotFoundError(f"{path}: no such file or directory")
    return found


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
        with open(path, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        return path, None, f"cannot read: {exc.strerror}"
    return path, data, ""


def import_batch(
    files: list[str],
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
    with transaction.atomic() if dry_run else nullcontext():
        _run(files, trust_published, base_url, jobs, auto_topics, report)
        if dry_run:
            transaction.set_rollback(True)
    if not dry_run and (summary.counts[CREATED] or summary.counts[UPDATED]):
        bump_public_version()  # bulk writes send no signals: invalidate cached public pages explicitly
    return summary


def _run(files: list[str], trust_published: bool, base_url: str, jobs: int, auto_topics: bool, report) -> None:
    # Workers pay off only when parsing one chunk can overlap with writing another, and they are started
    # on the first chunk that needs parsing: a re-import with nothing to parse never spawns any. The topic
    # matcher is built then too, once for the whole import.
    use_pool = jobs > 1 and len(files) > CHUNK_SIZE
    pool = matcher = None
    pending: list[Future] | list[PreparedItem] | None = None
    try:
        for chunk in batched(files, CHUNK_SIZE):
            to_parse = _unchanged_filter(chunk, trust_published, report)
            if auto_topics and to_parse and matcher is None:
                matcher = current_matcher()
            if use_pool and to_parse and pool is None:
                # Spawned, not forked: the parent holds database connections and pool threads a fork would copy.
                pool = ProcessPoolExecutor(
                    max_workers=jobs, mp_context=get_context("spawn"), initializer=workers.start, initargs=(matcher,)
                )
            # Parse this chunk (in the pool) while the previous one is written.
            if pool:
                parsing = [pool.submit(workers.parse_many, list(part), base_url) for part in batched(to_parse, 50)]
            else:
                parsing = workers.parse_many(to_parse, base_url, matcher)
            if pending is not None:
                _load(pending, trust_published, report)
            pending = parsing
        if pending is not None:
            _load(pending, trust_published, report)
    finally:
        if pool:
            pool.shutdown(cancel_futures=True)


def _unchanged_filter(chunk, trust_published: bool, report) -> list[tuple[str, bytes]]:
    """Drop files whose exact bytes are already imported: no parsing, no writes."""
    read = [
        (path, data, error, content_hash(data) if data is not None else "") for path, data, error in map(_read, chunk)
    ]
    known = Article.objects.filter(content_hash__in={digest for *_, digest in read if digest})
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
    to_parse = []
    for path, data, error, digest in read:
        if data is None:
            report(FileOutcome(path, FAILED, [str(Problem(path, "file", error))]))
        elif digest in known:
            report(FileOutcome(path, UNCHANGED))
        else:
            to_parse.append((path, data))
    return to_parse


def _load(parsing, trust_published: bool, report) -> None:
    results = (
        [r for future in parsing for r in future.result()] if parsing and isinstance(parsing[0], Future) else parsing
    )
    if not results:
        return
    for outcome in write_results(results, trust_published=trust_published):
        report(outcome)
