"""The image cache queue on `Image` rows: what is due, one fetch per distinct URL, results shared by `url_hash`.

Image rows belong to one owner each and the importer deletes and recreates an article's rows when its file
changes, so cache state is never tied to a row: every row with the same `url_hash` gets the same outcome,
and a new row for a URL that is already cached (or failing) takes that state over without a download.
When every row of a URL was deleted, the ledger in storage still finds its files (see ledger.py).

Downloads run in a bounded thread pool; the database is written from the calling thread only. A URL is
claimed before it is fetched (a lease in `next_attempt_at`), so several workers on several machines can
drain the same queue; a crashed worker's claims expire after LEASE.
"""

import hashlib
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.files.storage import Storage, storages
from django.db.models import Exists, F, Max, OuterRef, Q, Subquery, Value
from django.db.models.functions import Least
from django.utils import timezone

from articles.images import ledger
from articles.images.fetch import FetchError, FetchPolicy, fetch
from articles.images.renditions import StoredImage, store_image
from articles.images.verify import ImageRejected, verify_image
from articles.models import Image
from articles.stories.identity import url_identity_hash

logger = logging.getLogger(__name__)

Status = Image.Status
RETRY_BASE = timedelta(minutes=5)
RETRY_CAP = timedelta(days=1)
LEASE = timedelta(minutes=15)  # far longer than a batch takes (each download is capped at IMAGE_FETCH_TOTAL_TIMEOUT)
PAGE_SIZE = 500
MAX_REASON = Image._meta.get_field("failure_reason").max_length
MAX_ATTEMPTS_VALUE = 32767  # PositiveSmallIntegerField
MAX_REPORTED_FAILURES = 100


def retry_delay(attempts: int) -> timedelta:
    """Wait after the n-th failed attempt: 5 minutes, doubling each time, at most a day."""
    return min(RETRY_BASE * 2 ** min(max(attempts - 1, 0), 20), RETRY_CAP)


@dataclass(frozen=True)
class PipelineConfig:
    """Settings read once, in the calling thread, and handed to download threads (which never touch Django)."""

    policy: FetchPolicy
    max_pixels: int
    widths: dict[str, int]
    storage: Storage
    # Decoding and encoding hold whole bitmaps: at most one per core at a time, however many downloads run.
    decoding: threading.Semaphore

    @classmethod
    def from_settings(cls) -> "PipelineConfig":
        return cls(
            policy=FetchPolicy.from_settings(),
            max_pixels=settings.IMAGE_MAX_PIXELS,
            widths=dict(settings.IMAGE_RENDITION_WIDTHS),
            storage=storages["default"],
            decoding=threading.BoundedSemaphore(os.cpu_count() or 1),
        )


@dataclass(frozen=True)
class Cached:
    stored: StoredImage
    content_sha256: str
    format: str
    recalled: bool = False  # found in the ledger: stored by an earlier download, not fetched now


@dataclass(frozen=True)
class Failed:
    reason: str
    permanent: bool = False


@dataclass
class CacheReport:
    fetched: int = 0  # distinct URLs downloaded, verified and stored
    failed: int = 0  # distinct URLs that failed in this run
    reused: int = 0  # rows that took over an already stored copy, without a download
    seconds: float = 0.0
    failures: list[tuple[str, str]] = field(default_factory=list)  # (url, reason), the first 100
    retries: list[tuple[str, datetime]] = field(default_factory=list)  # (url_hash, next attempt)

    @property
    def images_per_second(self) -> float:
        return self.fetched / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict:
        return {
            "fetched": self.fetched,
            "failed": self.failed,
            "reused": self.reused,
            "seconds": round(self.seconds, 3),
            "failures": [list(failure) for failure in self.failures[:20]],
        }


def cache_images(
    *,
    limit: int | None = None,
    workers: int | None = None,
    retry_failed: bool = False,
    url_hashes: list[str] | None = None,
) -> CacheReport:
    """Fetch every due URL (or only `url_hashes`) once, store it, and apply the outcome to all its rows.

    `limit` caps the number of distinct URLs; `retry_failed` also takes failed URLs whose retry time has
    not come, and those given up on. No single failure stops the run: each is recorded on its rows.
    """
    started = time.perf_counter()
    report = CacheReport()
    if url_hashes is None:
        report.reused = prepare_queue()
    config = PipelineConfig.from_settings()
    workers = workers or settings.IMAGE_FETCH_WORKERS
    jobs = claim_due(limit=limit, retry_failed=retry_failed, url_hashes=url_hashes)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="image-fetch") as pool:
        in_flight: dict[Future, tuple[str, str]] = {}
        exhausted = False
        while True:
            # Claim just ahead of the pool, so that leases are fresh and other workers share the queue.
            while not exhausted and len(in_flight) < 2 * workers:
                job = next(jobs, None)
                if job is None:
                    exhausted = True
                else:
                    in_flight[pool.submit(download_and_store, *job, config)] = job
            if not in_flight:
                break
            done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            for future in done:
                url_hash, url = in_flight.pop(future)
                _record(url_hash, url, future.result(), report)
    report.seconds = time.perf_counter() - started
    return report


def download_and_store(url_hash: str, url: str, config: PipelineConfig) -> Cached | Failed:
    """The work of one URL, run in a download thread: fetch, verify, store (or find it stored). Never raises."""
    try:
        recalled = ledger.recall(config.storage, url_hash)
    except Exception:  # the ledger is only a shortcut: any trouble with it means downloading again
        logger.exception("reading the image ledger for %s failed", url)
        recalled = None
    if recalled is not None:
        stored, digest, image_format = recalled
        return Cached(stored=stored, content_sha256=digest, format=image_format, recalled=True)
    try:
        fetched = fetch(url, config.policy)
    except FetchError as exc:
        return Failed(str(exc), permanent=exc.permanent)
    return store_content(url_hash, url, fetched.content, config)


def store_content(url_hash: str, url: str, content: bytes, config: PipelineConfig) -> Cached | Failed:
    """Verify an image's bytes, store its clean copy and renditions, and remember them in the ledger: what a
    download ends with, and what a local copy (cache_local_copies) goes through. Never raises."""
    digest = hashlib.sha256(content).hexdigest()
    with config.decoding:
        try:
            verified = verify_image(content, max_pixels=config.max_pixels)
        except ImageRejected as exc:
            return Failed(f"rejected: {exc}")
        try:
            stored = store_image(verified, content_sha256=digest, widths=config.widths, storage=config.storage)
        except Exception as exc:  # storage outages, encoder bugs: record, log, carry on with the other URLs
            logger.exception("storing the image from %s failed", url)
            return Failed(f"storing failed: {type(exc).__name__}: {exc}")
    try:
        ledger.remember(config.storage, url_hash, stored=stored, content_sha256=digest, image_format=verified.format)
    except Exception:  # the files are stored and the rows will say so; only the shortcut is missing
        logger.exception("writing the image ledger for %s failed", url)
    return Cached(stored=stored, content_sha256=digest, format=verified.format)


def cache_local_copies(find: Callable[[str], Path | None]) -> CacheReport:
    """Cache images from local files rather than the network (an offline demo, a migration): each URL not cached
    yet for which `find(url)` names a file is verified, stored with its renditions and applied to every row of the
    URL, exactly as a download would be; a file that is no image is recorded as a failure."""
    started = time.perf_counter()
    report = CacheReport()
    _fill_missing_url_hashes()
    config = PipelineConfig.from_settings()
    waiting = Image.objects.exclude(status=Status.CACHED).exclude(url_hash="").order_by("url_hash")
    seen: set[str] = set()
    for url_hash, url in waiting.values_list("url_hash", "url").iterator():
        if url_hash in seen:
            continue
        seen.add(url_hash)
        path = find(url)
        if path is not None:
            _record(url_hash, url, store_content(url_hash, url, path.read_bytes(), config), report)
    report.seconds = time.perf_counter() - started
    return report


def prepare_queue() -> int:
    """Give rows the state their URL already has elsewhere; returns how many rows took a cached copy."""
    _fill_missing_url_hashes()
    reused = share_cached_state()
    share_failed_state()
    return reused


def share_cached_state() -> int:
    """Rows whose URL is cached through another row take the same files, without a download."""
    source = Image.objects.filter(url_hash=OuterRef("url_hash"), status=Status.CACHED).order_by("-fetched_at", "-id")
    rows = Image.objects.exclude(status=Status.CACHED).exclude(url_hash="").filter(Exists(source))
    return rows.update(
        status=Status.CACHED,
        file=Subquery(source.values("file")[:1]),
        renditions=Subquery(source.values("renditions")[:1]),
        content_sha256=Subquery(source.values("content_sha256")[:1]),
        format=Subquery(source.values("format")[:1]),
        fetched_at=Subquery(source.values("fetched_at")[:1]),
        failure_reason="",
        next_attempt_at=None,
    )


def share_failed_state() -> int:
    """New rows for a failing URL join its backoff: re-importing an item must not restart the retries."""
    source = Image.objects.filter(url_hash=OuterRef("url_hash"), status=Status.FAILED).order_by("-attempts", "-id")
    rows = Image.objects.filter(status=Status.PENDING, next_attempt_at__isnull=True).exclude(url_hash="")
    return rows.filter(Exists(source)).update(
        status=Status.FAILED,
        attempts=Subquery(source.values("attempts")[:1]),
        next_attempt_at=Subquery(source.values("next_attempt_at")[:1]),
        failure_reason=Subquery(source.values("failure_reason")[:1]),
    )


def due_url_hashes(*, limit: int | None = None, retry_failed: bool = False) -> list[str]:
    """Distinct URLs (by hash) waiting for a download now."""
    hashes = (
        Image.objects.filter(_due(timezone.now(), retry_failed))
        .exclude(url_hash="")
        .order_by("url_hash")
        .values_list("url_hash", flat=True)
        .distinct()
    )
    return list(hashes[:limit] if limit else hashes)


def claim_due(
    *, limit: int | None = None, retry_failed: bool = False, url_hashes: list[str] | None = None
) -> Iterator[tuple[str, str]]:
    """Yield (url_hash, url) for due URLs, each claimed first; a URL another worker claimed is skipped."""
    seen: set[str] = set()
    claimed = 0
    last_id = 0
    while True:
        rows = Image.objects.filter(_due(timezone.now(), retry_failed), id__gt=last_id).exclude(url_hash="")
        if url_hashes is not None:
            rows = rows.filter(url_hash__in=url_hashes)
        page = list(rows.order_by("id").values_list("id", "url_hash", "url")[:PAGE_SIZE])
        if not page:
            return
        last_id = page[-1][0]
        for _, url_hash, url in page:
            if url_hash in seen:
                continue
            seen.add(url_hash)
            if _claim(url_hash, retry_failed):
                claimed += 1
                yield url_hash, url
                if limit is not None and claimed >= limit:
                    return


def apply_cached(url_hash: str, outcome: Cached) -> int:
    """Every row with this URL now shows the stored copy; returns how many rows."""
    attempts = F("attempts") if outcome.recalled else Least(F("attempts") + 1, Value(MAX_ATTEMPTS_VALUE))
    return Image.objects.filter(url_hash=url_hash).update(
        status=Status.CACHED,
        file=outcome.stored.file_name,
        renditions=outcome.stored.renditions,
        content_sha256=outcome.content_sha256,
        format=outcome.format,
        fetched_at=timezone.now(),
        failure_reason="",
        next_attempt_at=None,
        attempts=attempts,
    )


def apply_failed(url_hash: str, outcome: Failed) -> datetime | None:
    """Record a failure on every row with this URL; returns the next attempt's time, or None when given up."""
    previous = Image.objects.filter(url_hash=url_hash).aggregate(attempts=Max("attempts"))["attempts"] or 0
    attempts = min(previous + 1, MAX_ATTEMPTS_VALUE)
    reason = outcome.reason
    if outcome.permanent or attempts >= settings.IMAGE_FETCH_MAX_ATTEMPTS:
        next_attempt_at = None
        reason += " (permanent; not retried)" if outcome.permanent else f" (gave up after {attempts} attempts)"
    else:
        next_attempt_at = timezone.now() + retry_delay(attempts)
    # A copy cached meanwhile (by another worker) is never downgraded.
    Image.objects.filter(url_hash=url_hash).exclude(status=Status.CACHED).update(
        status=Status.FAILED, attempts=attempts, next_attempt_at=next_attempt_at, failure_reason=reason[:MAX_REASON]
    )
    return next_attempt_at


def _record(url_hash: str, url: str, outcome: Cached | Failed, report: CacheReport) -> None:
    if isinstance(outcome, Cached):
        rows = apply_cached(url_hash, outcome)
        if outcome.recalled:
            report.reused += rows
        else:
            report.fetched += 1
        return
    next_attempt_at = apply_failed(url_hash, outcome)
    report.failed += 1
    if len(report.failures) < MAX_REPORTED_FAILURES:
        report.failures.append((url, outcome.reason))
    if next_attempt_at is not None:
        report.retries.append((url_hash, next_attempt_at))
    logger.info("image %s failed: %s", url, outcome.reason)


def _due(now: datetime, retry_failed: bool) -> Q:
    # For a pending row, `next_attempt_at` is a worker's lease; for a failed one, the backoff (NULL: given up).
    pending = Q(status=Status.PENDING) & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
    failed = Q(status=Status.FAILED) if retry_failed else Q(status=Status.FAILED, next_attempt_at__lte=now)
    return pending | failed


def _claim(url_hash: str, retry_failed: bool) -> bool:
    """Lease a URL's due rows; False when another worker got there first (its lease makes them not due)."""
    now = timezone.now()
    return Image.objects.filter(_due(now, retry_failed), url_hash=url_hash).update(next_attempt_at=now + LEASE) > 0


def _fill_missing_url_hashes() -> None:
    # Rows added outside the importer (the admin's inline, a shell) may lack the hash the queue is keyed on.
    rows = list(Image.objects.filter(url_hash="").only("id", "url"))
    for row in rows:
        row.url_hash = url_identity_hash(row.url)
    Image.objects.bulk_update(rows, ["url_hash"], batch_size=1000)
