"""`manage.py load_demo` (what `make run` serves): sample_data/ imported with its times moved to the present,
the files untouched, and the same result when run again."""

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from articles.demo import demo_shift, shift_demo_to_present
from articles.ingest.batch import find_item_files
from articles.ingest.parser import parse_file
from articles.models import Article, RelatedLink
from articles.stories.identity import url_identity_hash
from tests.conftest import REPO
from tests.factories import run_command

SAMPLE = REPO / "sample_data"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def sample_records():
    return [parse_file(path).record for path in find_item_files([SAMPLE / "news"])]


def fingerprint() -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(SAMPLE.rglob("*")) if p.is_file()}


def stored_times() -> dict[str, datetime]:
    times = dict(Article.objects.values_list("web_url_hash", "published_at"))
    times |= {f"{a}:{p}": t for a, p, t in RelatedLink.objects.values_list("article__web_url_hash", "position",
                                                                             "published_at")}  # fmt: skip
    return times


def test_demo_shift_lands_the_newest_time_one_to_two_hours_ago():
    now = datetime(2026, 12, 5, 19, 5, tzinfo=UTC)
    for newest in (datetime(2026, 11, 24, 9, 0, tzinfo=UTC), datetime(2026, 12, 5, 18, 30, tzinfo=UTC),
                   datetime(2027, 1, 1, tzinfo=UTC), now - timedelta(hours=2)):  # fmt: skip
        shift = demo_shift(newest, now)
        assert shift % timedelta(hours=1) == timedelta(0)
        assert timedelta(hours=1) <= now - (newest + shift) < timedelta(hours=2), newest


@pytest.mark.django_db
def test_load_demo_moves_the_demo_to_the_present_and_leaves_the_files_alone(client, media):
    before = fingerprint()
    output = run_command("load_demo")
    assert "12 created" in output and "12 stories" in output
    assert fingerprint() == before

    records = sample_records()
    newest_file_time = max(
        [r.published_at for r in records]
        + [link.published_at for r in records for link in r.related if link.published_at]
    )
    times = stored_times()
    delta = max(times.values()) - newest_file_time
    # Every time moved by the same whole number of hours: the demo's spacing is kept.
    for record in records:
        identity = url_identity_hash(record.web_url)
        assert times[identity] == record.published_at + delta
        for position, link in enumerate(record.related):
            assert times[f"{identity}:{position}"] == link.published_at + delta
    assert timedelta(hours=1) <= timezone.now() - max(times.values()) < timedelta(hours=2, minutes=1)
    assert max(times.values()) <= timezone.now()

    # What the demo is for: recent filters and Top have stories to show (Top ranks the last days' stories).
    for path, least in (("/?period=day", 1), ("/?period=week", 3), ("/top/", 1)):
        html = client.get(path).content.decode()
        assert html.count('class="card-title"') >= least, path


@pytest.mark.django_db
def test_load_demo_twice_gives_the_same_demo(media):
    run_command("load_demo")
    first = stored_times()
    output = run_command("load_demo")
    assert "12 unchanged" in output and Article.objects.count() == 12
    second = stored_times()
    # The same values, or all one hour later if the clock passed an hour between the two runs.
    moved = {second[key] - first[key] for key in first}
    assert moved in ({timedelta(0)}, {timedelta(hours=1)})


@pytest.mark.django_db
def test_shift_is_exactly_repeatable_for_one_moment(media):
    run_command("load_demo")
    now = datetime(2030, 1, 1, 12, 30, tzinfo=UTC)
    shift = shift_demo_to_present(records=sample_records(), now=now)
    first = stored_times()
    assert shift_demo_to_present(records=sample_records(), now=now) == shift
    assert stored_times() == first and shift.stories == 12


def test_load_demo_refuses_a_folder_without_news(tmp_path, db):
    with pytest.raises(Exception, match="not a directory"):
        run_command("load_demo", path=str(tmp_path))


@pytest.mark.django_db
def test_the_demos_local_images_are_cached_like_downloads(media):
    from articles.models import Image

    run_command("load_demo")
    article_images = Image.objects.filter(article__isnull=False)
    logos = Image.objects.filter(provider__isnull=False)
    assert article_images.count() == 9 and logos.count() == 7  # three demo stories have no image
    for image in [*article_images, *logos]:
        # Verified, stored with renditions, and said so: the admin shows "Cached", never "Pending".
        assert image.status == Image.Status.CACHED, image.url
        assert image.file and set(image.renditions) == {"thumb", "card"} and image.content_sha256
        assert image.display_url("thumb").startswith("/media/images/")
    # Loading again downloads nothing new and changes no state.
    states = dict(Image.objects.values_list("url_hash", "content_sha256"))
    run_command("load_demo")
    assert dict(Image.objects.values_list("url_hash", "content_sha256")) == states
