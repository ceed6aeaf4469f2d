"""`manage.py cache_images`: options and what it prints."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django_tasks_db.models import DBTaskResult

from articles.models import Image
from tests.images import samples

pytestmark = pytest.mark.django_db


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("cache_images", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_prints_counts_and_rate(server, media, make_images):
    good = [server.serve(f"/p{n}.jpg", samples.photo((600, 400), seed=n)) for n in range(3)]
    bad = server.serve("/text.jpg", samples.TEXT_NAMED_JPG)
    make_images([*good, bad], copies=2)
    out, err = run("--workers", "2", "-v", "2")
    assert "3 fetched, 0 reused, 1 failed in " in out and " images/s)" in out
    assert f"failed: {bad}: rejected: not a JPEG, PNG, GIF or WebP image" in err
    out, _ = run()
    assert out.startswith("0 fetched, 0 reused, 0 failed")


def test_limit_and_retry_failed(server, media, make_images):
    urls = [server.serve(f"/p{n}.jpg", samples.photo((300, 200), seed=n)) for n in range(3)]
    flaky = server.flaky("/flaky.jpg", samples.photo(), failures=1)
    make_images([flaky, *urls])
    out, _ = run("--limit", "1")
    assert out.startswith("0 fetched, 0 reused, 1 failed")
    out, _ = run("--limit", "2")
    assert out.startswith("2 fetched")
    out, _ = run("--retry-failed")
    assert out.startswith("2 fetched")
    assert set(Image.objects.values_list("status", flat=True)) == {Image.Status.CACHED}


def test_enqueue_leaves_the_work_to_the_worker(server, media, make_images):
    make_images([server.serve("/p.jpg", samples.photo())], copies=3)
    out, _ = run("--enqueue")
    assert "Enqueued 1 URLs in 1 tasks" in out and "db_worker" in out
    assert DBTaskResult.objects.count() == 1
    assert server.hits["/p.jpg"] == 0


@pytest.mark.parametrize("args", [["--workers", "0"], ["--workers", "65"], ["--limit", "-1"], ["--limit", "x"]])
def test_bad_options_are_usage_errors(args):
    with pytest.raises(CommandError):
        call_command("cache_images", *args)
