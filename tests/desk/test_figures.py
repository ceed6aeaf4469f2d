"""The dashboard's figures (articles/desk/figures.py), each from constructed data, to the exact number."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from articles.desk import figures
from articles.models import Article, ImportRun
from tests.admin.conftest import make_article, make_provider
from tests.desk.conftest import together

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 24, 14, 2, tzinfo=UTC)


def test_the_review_queue_figure(db):
    one, two = make_article("Waiting one"), make_article("Waiting two")
    together(one, two)
    make_article("Waiting alone")
    Article.objects.filter(pk=make_article("Reviewed").pk).update(reviewed_at=timezone.now())

    figure = figures.review_queue()

    assert figure.stories == 2 and not figure.more_than_counted
    assert figure.longest.story_id in {one.story_id, Article.objects.get(title="Waiting alone").story_id}


def test_scheduled_counts_stories_going_public_within_a_day(db):
    a = make_article("Due first", published=True, publish_at=NOW + timedelta(hours=1))
    b = make_article("Due later, same story", published=True, publish_at=NOW + timedelta(hours=2))
    together(a, b)
    make_article("Another story, due in 23 h", published=True, publish_at=NOW + timedelta(hours=23))
    make_article("Due in 30 h", published=True, publish_at=NOW + timedelta(hours=30))
    make_article("Already public", published=True, publish_at=NOW - timedelta(hours=1))

    scheduled = figures.scheduled(now=NOW, listed=2)

    assert scheduled.stories == 2
    assert [(item.title, item.publish_at) for item in scheduled.next] == [
        ("Due first", NOW + timedelta(hours=1)),
        ("Due later, same story", NOW + timedelta(hours=2)),
    ]


def run(started: datetime, status=ImportRun.Status.FINISHED, *, dry_run=None, **counts) -> ImportRun:
    options = {} if dry_run is None else {"dry_run": dry_run}  # a run that does not say was no dry run
    imported = ImportRun.objects.create(started_by="test", status=status, counts=counts, options=options)
    ImportRun.objects.filter(pk=imported.pk).update(started_at=started)  # auto_now_add set it to now
    return imported


def test_imports_of_the_last_day_and_week_with_their_failures(db):
    run(NOW - timedelta(hours=1), files=10, created=8, updated=1, unchanged=0, failed=1)
    run(NOW - timedelta(hours=23), dry_run=False, files=4, created=0, updated=4, failed=0)
    run(NOW - timedelta(days=2), ImportRun.Status.FAILED)  # killed: no counts
    run(NOW - timedelta(days=3), files=7, created=7)  # an older run without a "failed" key
    run(NOW - timedelta(hours=2), dry_run=True, files=5, failed=5)  # validated, wrote nothing: not an import
    run(NOW - timedelta(days=8), files=100, created=100, failed=3)

    day, week = figures.imports(now=NOW)

    assert (day.label, day.runs, day.failed_runs, day.files, day.created, day.updated, day.failed_files) == (
        "Last 24 hours", 2, 0, 14, 8, 5, 1,
    )  # fmt: skip
    assert (week.label, week.runs, week.failed_runs, week.files, week.created, week.updated, week.failed_files) == (
        "Last 7 days", 4, 1, 21, 15, 5, 1,
    )  # fmt: skip
    assert (day.failures, week.failures) == (1, 2)


def approved(title: str, when: datetime, **fields) -> Article:
    article = make_article(title, **fields)
    Article.objects.filter(pk=article.pk).update(approved_at=when)
    return article


def test_approvals_per_day_count_stories_on_the_day_of_their_approval(db):
    morning, evening = NOW.replace(hour=8), NOW.replace(hour=20) - timedelta(days=1)
    a = approved("A", morning)
    b = approved("A again, same story", morning + timedelta(hours=1))
    together(a, b)
    approved("B", morning)
    approved("C, yesterday", evening)
    approved("D, 29 days ago", NOW - timedelta(days=29))
    approved("E, 30 days ago: outside", NOW - timedelta(days=30))
    make_article("Never approved")

    days = figures.approvals_per_day(now=NOW)

    assert len(days) == 30
    assert (days[0].day, days[-1].day) == (date(2026, 10, 26), date(2026, 11, 24))
    counts = {day.day: day.count for day in days if day.count}
    assert counts == {date(2026, 11, 24): 2, date(2026, 11, 23): 1, date(2026, 10, 26): 1}


def test_stories_per_topic_in_the_last_30_days(db):
    recent = NOW - timedelta(days=2)
    a = make_article("AI story", topics=("AI", "Robotics"), published=True)
    b = make_article("AI story, other outlet", topics=("AI",))
    together(a, b)
    make_article("AI, another story", topics=("AI",))
    make_article(
        "Scheduled robotics", topics=("Robotics",), published=True, publish_at=timezone.now() + timedelta(days=1)
    )
    make_article("Old AI", topics=("AI",))
    Article.objects.update(published_at=recent)
    Article.objects.filter(title="Old AI").update(published_at=NOW - timedelta(days=30, minutes=1))

    shares = figures.stories_per_topic(now=NOW)

    assert [(s.label, s.stories, s.public) for s in shares] == [("AI", 2, 1), ("Robotics", 2, 1)]
    assert [(s.label, s.stories) for s in figures.stories_per_topic(now=NOW, rows=1)] == [("AI", 2)]


def test_stories_per_outlet_in_the_last_30_days(db):
    harbor, ledger = make_provider("harbor.example", "Harbor Post"), make_provider("ledger.example", "Daily Ledger")
    a = make_article("Ferry", provider=harbor, published=True)
    b = make_article("Ferry, again", provider=harbor)  # a repost in the same story counts once
    together(a, b)
    make_article("Budget", provider=harbor)
    make_article("Ferry, the Ledger's", provider=ledger, published=True)
    make_article("No outlet")
    make_article("Old", provider=ledger)
    Article.objects.update(published_at=NOW - timedelta(days=1))
    Article.objects.filter(title="Old").update(published_at=NOW - timedelta(days=30, minutes=1))

    shares = figures.stories_per_outlet(now=NOW)

    assert [(s.id, s.label, s.stories, s.public) for s in shares] == [
        (harbor.pk, "Harbor Post", 2, 1),
        (ledger.pk, "Daily Ledger", 1, 1),
    ]


def test_figures_are_computed_once_a_minute(db):
    cache.clear()
    calls = []

    def compute():
        calls.append(1)
        return len(calls)

    assert figures.cached("test-figure", compute) == 1
    assert figures.cached("test-figure", compute) == 1
    assert len(calls) == 1
    cache.delete("desk:figure:test-figure")
    assert figures.cached("test-figure", compute) == 2
