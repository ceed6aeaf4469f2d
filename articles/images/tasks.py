"""Image caching as background tasks on Django's tasks framework (django-tasks-db; `manage.py db_worker` runs them).

An import only enqueues `cache_pending_images`, one database row, and never waits for the network. That task
plans the work: it shares known results, then splits the due URLs into batches, one `cache_image_batch`
task each, so any number of workers on any number of machines can share them. A batch's failures that will
be retried are enqueued again to run when their backoff ends.
"""

from collections import defaultdict
from datetime import datetime, timedelta
from itertools import batched

from django.tasks import TaskResult, task

from articles.images.services import cache_images, due_url_hashes, prepare_queue

BATCH_SIZE = 50  # URLs per task: a batch finishes in well under a minute on a healthy network


@task
def cache_pending_images(limit: int | None = None, retry_failed: bool = False) -> dict:
    """Plan: enqueue a batch task for every URL due for a download."""
    return plan_image_caching(limit=limit, retry_failed=retry_failed)


@task
def cache_image_batch(url_hashes: list[str], retry_failed: bool = False) -> dict:
    """Download, verify and store these URLs (those still due when the task runs)."""
    report = cache_images(url_hashes=url_hashes, retry_failed=retry_failed)
    schedule_retries(report.retries)
    return report.as_dict()


def enqueue_image_caching() -> TaskResult:
    """What `import_articles --cache-images` calls: one task row, no network, no scan of the images."""
    return cache_pending_images.enqueue()


def plan_image_caching(*, limit: int | None = None, retry_failed: bool = False) -> dict:
    reused = prepare_queue()
    url_hashes = due_url_hashes(limit=limit, retry_failed=retry_failed)
    tasks = 0
    for chunk in batched(url_hashes, BATCH_SIZE):
        cache_image_batch.enqueue(url_hashes=list(chunk), retry_failed=retry_failed)
        tasks += 1
    return {"reused": reused, "urls": len(url_hashes), "tasks": tasks}


def schedule_retries(retries: list[tuple[str, datetime]]) -> int:
    """Enqueue failed URLs again for when their backoff ends (grouped by the minute); returns the task count."""
    by_minute: dict[datetime, list[str]] = defaultdict(list)
    for url_hash, next_attempt_at in retries:
        by_minute[next_attempt_at.replace(second=0, microsecond=0) + timedelta(minutes=1)].append(url_hash)
    tasks = 0
    for run_after, url_hashes in sorted(by_minute.items()):
        for chunk in batched(url_hashes, BATCH_SIZE):
            cache_image_batch.using(run_after=run_after).enqueue(url_hashes=list(chunk))
            tasks += 1
    return tasks
