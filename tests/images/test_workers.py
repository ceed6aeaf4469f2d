"""Two task workers (`manage.py db_worker` processes, as on two machines) given the same images fetch each URL once.

The overlap is certain, not hoped for: the image server holds every response until both workers are running a
batch of the same URLs, so each has claimed what it could while the other's downloads are still in flight.
"""

import threading

import pytest
from django_tasks_db.models import DBTaskResult

from articles.images.tasks import cache_image_batch
from articles.models import Image
from harness.services import TaskWorker, wait_until
from tests.images import samples
from tests.images.server import send
from tests.servers import site_env

pytestmark = pytest.mark.django_db(transaction=True)
URLS = 20


def test_two_task_workers_fetch_each_image_once(server, make_images, tmp_path):
    gate = threading.Event()
    body = samples.photo((320, 200), seed=5)

    def held(request):
        gate.wait(timeout=60)
        send(request, body, "image/jpeg")

    urls = []
    for n in range(URLS):
        server.routes[f"/held-{n}.jpg"] = held
        urls.append(server.url(f"/held-{n}.jpg"))
    make_images(urls, copies=3)
    hashes = sorted(set(Image.objects.values_list("url_hash", flat=True)))
    # Two batches of the same URLs, as two overlapping plans (two imports' --cache-images) would enqueue them.
    for _ in range(2):
        cache_image_batch.enqueue(url_hashes=hashes)

    env = site_env(
        IMAGE_FETCH_ALLOWED_HOSTS=server.allowed, IMAGE_FETCH_WORKERS="4", MEDIA_ROOT=str(tmp_path / "media")
    )
    with TaskWorker(env, interval=0.05), TaskWorker(env, interval=0.05):
        running = DBTaskResult.objects.filter(status="RUNNING")
        wait_until(lambda: running.count() == 2, timeout=60, what="both workers running a batch")
        # Each worker downloads 4 at a time and every response is held: 8 requests means both are fetching.
        wait_until(lambda: sum(server.hits.values()) >= 8, timeout=60, what="both workers' downloads in flight")
        gate.set()
        wait_until(
            lambda: DBTaskResult.objects.filter(status="SUCCESSFUL").count() == 2, timeout=120, what="both batches"
        )

    assert len(server.hits) == URLS
    assert set(server.hits.values()) == {1}  # not one URL downloaded twice
    assert set(Image.objects.values_list("status", flat=True)) == {Image.Status.CACHED}
    fetched = [task.return_value["fetched"] for task in DBTaskResult.objects.all()]
    assert sum(fetched) == URLS and all(fetched), fetched  # both workers did part of the work
