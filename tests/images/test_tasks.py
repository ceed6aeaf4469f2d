"""Background work: an import enqueues image caching (no network); django-tasks-db's `db_worker` does it."""

import signal
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from articles.images.tasks import BATCH_SIZE, plan_image_caching
from articles.models import Image
from articles.stories.identity import url_identity_hash
from tests.factories import item_data, write_items
from tests.images import samples

# The worker claims tasks in its own transactions, as in production: data must really be committed.
pytestmark = pytest.mark.django_db(transaction=True)

PLAN = "articles.images.tasks.cache_pending_images"
BATCH = "articles.images.tasks.cache_image_batch"


def run_worker() -> None:
    """`db_worker --batch`: run every task that is ready, then exit."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    try:
        call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", "--interval", "0", stdout=StringIO())
    finally:
        for sig, handler in saved.items():  # the worker installs its own shutdown handlers
            signal.signal(sig, handler)


def test_import_enqueues_image_caching_and_the_worker_does_it(server, media, tmp_path):
    lead = {n: server.serve(f"/lead-{n}.jpg", samples.photo((900, 600), seed=n)) for n in range(3)}
    shared = server.serve("/shared.png", samples.logo_png(), "image/png")
    items = {
        f"item-{n}.md": item_data(
            n,
            images=[{"url": lead[n], "width": 900, "height": 600}, {"url": shared}],
            related=[
                {"title": f"Coverage {n}", "webUrl": f"https://other.example.org/{n}", "images": [{"url": shared}]}
            ],
        )
        for n in range(3)
    }
    paths = write_items(tmp_path / "batch", items)

    out = StringIO()
    call_command("import_articles", *map(str, paths), "--cache-images", "--jobs", "1", stdout=out)
    assert "Image caching enqueued" in out.getvalue()
    assert sum(server.hits.values()) == 0  # the import never waits for the network
    assert DBTaskResult.objects.get().task_path == PLAN
    assert Image.objects.filter(status=Image.Status.PENDING).count() == 9

    run_worker()
    assert set(Image.objects.values_list("status", flat=True)) == {Image.Status.CACHED}
    assert set(server.hits.values()) == {1} and len(server.hits) == 4  # the shared image once, for 6 rows
    plan = DBTaskResult.objects.get(task_path=PLAN)
    assert (plan.status, plan.return_value) == ("SUCCESSFUL", {"reused": 0, "urls": 4, "tasks": 1})
    batch = DBTaskResult.objects.get(task_path=BATCH)
    assert batch.status == "SUCCESSFUL"
    assert (batch.return_value["fetched"], batch.return_value["failed"]) == (4, 0)


def test_no_flag_or_a_dry_run_enqueues_nothing(server, media, tmp_path):
    paths = write_items(tmp_path / "batch", {"a.md": item_data(1), "b.md": item_data(2)})
    call_command("import_articles", str(paths[0]), "--jobs", "1", stdout=StringIO())
    call_command("import_articles", str(paths[1]), "--cache-images", "--dry-run", "--jobs", "1", stdout=StringIO())
    assert not DBTaskResult.objects.exists()


def test_due_urls_are_split_into_batches(server, media, make_images):
    make_images([f"https://img.example.com/{n}.jpg" for n in range(BATCH_SIZE + 5)], copies=2)
    assert plan_image_caching() == {"reused": 0, "urls": BATCH_SIZE + 5, "tasks": 2}
    sizes = sorted(len(t.args_kwargs["kwargs"]["url_hashes"]) for t in DBTaskResult.objects.filter(task_path=BATCH))
    assert sizes == [5, BATCH_SIZE]


def test_a_failed_url_is_enqueued_again_for_when_its_backoff_ends(server, media, make_images):
    url = server.flaky("/flaky.jpg", samples.photo(), failures=1)
    make_images([url])
    plan_image_caching()
    run_worker()
    row = Image.objects.get()
    assert row.status == Image.Status.FAILED
    retry = DBTaskResult.objects.get(task_path=BATCH, status="READY")
    assert retry.args_kwargs["kwargs"]["url_hashes"] == [url_identity_hash(url)]
    assert row.next_attempt_at <= retry.run_after <= row.next_attempt_at + timedelta(minutes=1)

    run_worker()  # not yet due: the worker leaves it alone
    assert server.hits["/flaky.jpg"] == 1

    past = timezone.now() - timedelta(seconds=1)  # let the backoff pass
    Image.objects.update(next_attempt_at=past)
    DBTaskResult.objects.filter(pk=retry.pk).update(run_after=past)
    run_worker()
    assert Image.objects.get().status == Image.Status.CACHED
    assert server.hits["/flaky.jpg"] == 2
