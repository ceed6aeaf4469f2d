"""The cache queue end to end on the file system: one fetch per URL, shared state, failures, retries, concurrency."""

import hashlib
import threading
from datetime import timedelta

import pytest
from django.utils import timezone

from articles.images import services
from articles.images.services import cache_images, retry_delay
from articles.models import Image
from articles.stories.identity import url_identity_hash
from tests.images import samples

pytestmark = pytest.mark.django_db

Status = Image.Status


def rows_for(url: str):
    return Image.objects.filter(url_hash=url_identity_hash(url))


def make_due(url: str) -> None:
    rows_for(url).update(next_attempt_at=timezone.now() - timedelta(seconds=1))


@pytest.fixture
def four_images(server):
    served = {
        "/photo.jpg": samples.photo((1600, 1000), orientation=6),
        "/logo.png": samples.logo_png(),
        "/anim.gif": samples.animated_gif(),
        "/pic.webp": samples.webp(),
    }
    return {server.serve(path, data): data for path, data in served.items()}


def test_each_distinct_url_is_fetched_once_and_shared_by_all_its_rows(server, media, make_images, four_images):
    make_images(list(four_images), copies=3)
    report = cache_images(workers=4)
    assert (report.fetched, report.failed, report.reused) == (4, 0, 0)
    assert set(server.hits.values()) == {1}
    assert Image.objects.count() == 12
    for url, data in four_images.items():
        rows = list(rows_for(url))
        assert len(rows) == 3
        assert {(r.status, r.file.name, r.content_sha256, r.attempts) for r in rows} == {
            (Status.CACHED, rows[0].file.name, hashlib.sha256(data).hexdigest(), 1)
        }
        assert len({str(r.renditions) for r in rows}) == 1
        assert rows[0].fetched_at and not rows[0].next_attempt_at and not rows[0].failure_reason
        for rendition in rows[0].renditions.values():
            assert (media / rendition["name"]).is_file()
        assert (media / rows[0].file.name).is_file()
    assert {r.format for r in Image.objects.all()} == {"JPEG", "PNG", "GIF", "WEBP"}


def test_a_second_run_fetches_nothing(server, media, make_images, four_images):
    make_images(list(four_images), copies=2)
    cache_images()
    hits = dict(server.hits)
    report = cache_images()
    assert (report.fetched, report.failed, report.reused) == (0, 0, 0)
    assert dict(server.hits) == hits


def test_new_rows_for_a_cached_url_take_its_state_without_a_fetch(server, media, make_images, four_images):
    """The importer deletes and recreates an article's image rows when its file changes."""
    make_images(list(four_images))
    cache_images()
    cached = {r.url: (r.file.name, r.renditions) for r in Image.objects.all()}
    Image.objects.all().delete()
    make_images(list(four_images), copies=2)
    report = cache_images()
    assert (report.fetched, report.reused) == (0, 8)
    assert set(server.hits.values()) == {1}
    for image in Image.objects.all():
        assert image.status == Status.CACHED
        assert (image.file.name, image.renditions) == cached[image.url]


def test_display_url_and_size_use_the_renditions(server, media, make_images, four_images, settings):
    url = next(iter(four_images))
    make_images([url])
    cache_images()
    image = rows_for(url).get()
    assert image.display_url("card").startswith(f"/{settings.MEDIA_URL.strip('/')}/images/")
    assert image.display_url("card").endswith("/card-1000.webp")  # 1600x1000 rotated upright: 1000 wide
    assert image.display_size("card") == (1000, 1600)
    assert image.display_size("thumb") == (400, 640)


def test_failures_are_recorded_and_never_stop_the_run(server, media, make_images, settings):
    settings.IMAGE_FETCH_READ_TIMEOUT = 0.3
    settings.IMAGE_FETCH_MAX_BYTES = 512 * 1024
    good = server.serve("/good.jpg", samples.photo())
    expected = {
        server.serve("/text.jpg", samples.TEXT_NAMED_JPG): "not a JPEG, PNG, GIF or WebP image",
        server.serve("/evil.svg", samples.SVG_WITH_SCRIPT, "image/svg+xml"): "SVG",
        server.serve("/script.jpg", samples.SVG_WITH_SCRIPT): "SVG",
        server.serve("/truncated.jpg", samples.truncated_jpeg()): "damaged or truncated JPEG",
        server.serve("/bomb.png", samples.png_bomb(), "image/png"): "too many pixels",
        server.stall("/slow.jpg", seconds=1.5): "timed out",
        server.stream("/huge.jpg", total=4 * 1024 * 1024): "exceeds the 524288-byte limit",
        server.redirect("/private.jpg", "http://192.168.0.10/x.jpg"): "private address",
        server.url("/missing.jpg"): "HTTP 404",
    }
    make_images([good, *expected], copies=2)
    before = timezone.now()
    report = cache_images(workers=8)
    assert (report.fetched, report.failed) == (1, len(expected))
    assert set(rows_for(good).values_list("status", flat=True)) == {Status.CACHED}
    for url, reason in expected.items():
        for row in rows_for(url):
            assert row.status == Status.FAILED
            assert reason in row.failure_reason, (url, row.failure_reason)
            assert row.attempts == 1
            assert before + timedelta(minutes=5) <= row.next_attempt_at <= timezone.now() + timedelta(minutes=5)
            assert not row.file and not row.renditions
    assert sorted(url for url, _ in report.failures) == sorted(expected)


def test_a_refused_url_is_given_up_at_once(server, media, make_images):
    url = "https://user:secret@img.example.com/a.jpg"
    make_images([url])
    report = cache_images()
    row = rows_for(url).get()
    assert (report.failed, row.status, row.attempts, row.next_attempt_at) == (1, Status.FAILED, 1, None)
    assert "credentials" in row.failure_reason and "not retried" in row.failure_reason


def test_failed_urls_are_retried_with_backoff_until_they_succeed(server, media, make_images):
    url = server.flaky("/flaky.jpg", samples.photo(), failures=2)
    make_images([url], copies=2)

    report = cache_images()
    assert report.failed == 1 and report.retries[0][0] == url_identity_hash(url)
    row = rows_for(url).first()
    assert (row.status, row.attempts, row.failure_reason) == (Status.FAILED, 1, "HTTP 503")
    assert row.next_attempt_at - timezone.now() == pytest.approx(timedelta(minutes=5), abs=timedelta(seconds=30))

    assert cache_images().failed == 0 and server.hits["/flaky.jpg"] == 1  # in backoff: left alone

    make_due(url)
    cache_images()
    row = rows_for(url).first()
    assert (row.status, row.attempts) == (Status.FAILED, 2)
    assert row.next_attempt_at - timezone.now() == pytest.approx(timedelta(minutes=10), abs=timedelta(seconds=30))

    make_due(url)
    report = cache_images()
    assert (report.fetched, server.hits["/flaky.jpg"]) == (1, 3)
    assert {(r.status, r.attempts, r.failure_reason, r.next_attempt_at) for r in rows_for(url)} == {
        (Status.CACHED, 3, "", None)
    }


def test_retry_failed_ignores_the_backoff(server, media, make_images):
    url = server.flaky("/flaky.jpg", samples.photo(), failures=1)
    make_images([url])
    cache_images()
    assert cache_images().fetched == 0
    assert cache_images(retry_failed=True).fetched == 1
    assert rows_for(url).get().status == Status.CACHED


def test_gives_up_after_the_maximum_attempts(server, media, make_images, settings):
    settings.IMAGE_FETCH_MAX_ATTEMPTS = 2
    url = server.url("/gone.jpg")
    make_images([url])
    cache_images()
    make_due(url)
    report = cache_images()
    row = rows_for(url).get()
    assert (row.status, row.attempts, row.next_attempt_at) == (Status.FAILED, 2, None)
    assert row.failure_reason == "HTTP 404 (gave up after 2 attempts)"
    assert report.retries == []
    assert cache_images().failed == 0 and server.hits["/gone.jpg"] == 2
    # An operator can still ask for one more try.
    assert cache_images(retry_failed=True).failed == 1 and server.hits["/gone.jpg"] == 3


def test_new_rows_for_a_failing_url_join_its_backoff(server, media, make_images):
    url = server.url("/missing.jpg")
    make_images([url])
    cache_images()
    failed = rows_for(url).get()
    make_images([url], copies=2)  # a re-import
    assert cache_images().failed == 0
    assert server.hits["/missing.jpg"] == 1
    assert {(r.status, r.attempts, r.next_attempt_at) for r in rows_for(url)} == {
        (Status.FAILED, 1, failed.next_attempt_at)
    }


def test_retry_delay_doubles_from_five_minutes_up_to_a_day():
    assert [retry_delay(n) for n in (1, 2, 3, 4)] == [timedelta(minutes=m) for m in (5, 10, 20, 40)]
    assert retry_delay(9) == timedelta(minutes=5 * 256)
    assert retry_delay(10) == timedelta(days=1)
    assert retry_delay(10_000) == timedelta(days=1)


def test_downloads_run_concurrently_in_a_bounded_pool(server, media, make_images):
    # Each response waits until four requests wait together: only a pool of four running at once gets them all
    # at the first try (a broken barrier, after 10 s, would mean fewer came together).
    together = threading.Barrier(4, timeout=10)
    urls = [server.serve(f"/slow-{i}.jpg", samples.photo((400, 300), seed=i), barrier=together) for i in range(12)]
    make_images(urls)
    report = cache_images(workers=4)
    assert report.fetched == 12
    assert not together.broken
    assert server.max_active == 4  # concurrent, never more than the pool


def test_limit_caps_the_number_of_urls(server, media, make_images):
    urls = [server.serve(f"/p{i}.jpg", samples.photo((300, 200), seed=i)) for i in range(5)]
    make_images(urls, copies=2)
    assert cache_images(limit=2).fetched == 2
    assert Image.objects.filter(status=Status.PENDING).count() == 6
    assert cache_images().fetched == 3


def test_a_url_claimed_by_another_worker_is_left_alone(server, media, make_images):
    url = server.serve("/photo.jpg", samples.photo())
    make_images([url], copies=2)
    assert services._claim(url_identity_hash(url), retry_failed=False)  # "another worker" holds the lease
    assert not services._claim(url_identity_hash(url), retry_failed=False)
    assert cache_images().fetched == 0 and server.hits["/photo.jpg"] == 0
    rows_for(url).update(next_attempt_at=timezone.now() - timedelta(seconds=1))  # that worker died: lease expired
    assert cache_images().fetched == 1


def test_rows_added_without_a_url_hash_are_queued_too(server, media, make_images):
    url = server.serve("/photo.jpg", samples.photo())
    make_images([url])
    rows_for(url).update(url_hash="")
    assert cache_images().fetched == 1
    assert Image.objects.get().url_hash == url_identity_hash(url)


def test_a_storage_failure_is_recorded_like_any_other(server, media, make_images, monkeypatch):
    url = server.serve("/photo.jpg", samples.photo())
    make_images([url])

    def broken_save(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("django.core.files.storage.FileSystemStorage.save", broken_save)
    report = cache_images()
    assert report.failed == 1
    assert rows_for(url).get().failure_reason == "storing failed: OSError: disk full"


def test_a_damaged_ledger_entry_or_missing_files_mean_downloading_again(server, media, make_images):
    url = server.serve("/photo.jpg", samples.photo())
    make_images([url])
    cache_images()
    entry = media / "images" / "urls" / url_identity_hash(url)[:2] / f"{url_identity_hash(url)}.json"
    assert entry.is_file()

    Image.objects.all().delete()
    make_images([url])
    entry.write_text('{"file": "../../etc/passwd", "renditions": {}, "sha256": "x", "format": "JPEG"}')
    assert cache_images().fetched == 1
    assert rows_for(url).get().file.name.startswith("images/")

    Image.objects.all().delete()
    make_images([url])
    for path in (media / "images").rglob("card-*.webp"):
        path.unlink()
    assert cache_images().fetched == 1
    assert server.hits["/photo.jpg"] == 3
