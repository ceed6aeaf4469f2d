"""The dashboard's figures: one function per question an editor asks, each one or two aggregate queries.

Every query reads an index range bounded by time or by the review queue (never the whole table), and the
dashboard keeps each answer for a minute (`cached`). "Stories" are story clusters: a story counts once however
many of its articles match.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.core.cache import cache
from django.db.models import Count, IntegerField, Q, Sum
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Now, TruncDate
from django.utils import timezone

from articles.desk import queue
from articles.models import Article, ArticleTopic, ImportRun

CACHE_SECONDS = 60
CHART_DAYS = 30
CHART_ROWS = 12  # topics and outlets drawn; the rest are left out (the change list has them all)


def cached(name: str, compute: Callable[[], object], seconds: int = CACHE_SECONDS):
    """`compute()`, kept in the shared cache for `seconds`: the dashboard is a glance, not a ledger."""
    key = f"desk:figure:{name}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, seconds)
    return value


@dataclass(frozen=True, slots=True)
class ReviewQueue:
    stories: int  # counted up to queue.COUNT_CAP + 1
    longest: queue.Waiting | None

    @property
    def more_than_counted(self) -> bool:
        return self.stories > queue.COUNT_CAP


def review_queue() -> ReviewQueue:
    return ReviewQueue(queue.count_stories(), queue.longest_waiting())


@dataclass(frozen=True, slots=True)
class ScheduledArticle:
    article_id: int
    story_id: int
    title: str
    provider: str
    publish_at: datetime


@dataclass(frozen=True, slots=True)
class Scheduled:
    stories: int
    next: list[ScheduledArticle]


def scheduled(*, now: datetime, hours: int = 24, listed: int = 5) -> Scheduled:
    """Approved stories that go public within `hours`, and the first few articles due."""
    due = Article.objects.filter(published=True, publish_at__gt=now, publish_at__lte=now + timedelta(hours=hours))
    stories = due.order_by().values("story_id").distinct().count()
    rows = due.order_by("publish_at", "id").values("id", "story_id", "title", "provider__name", "publish_at")[:listed]
    return Scheduled(
        stories,
        [
            ScheduledArticle(r["id"], r["story_id"], r["title"], r["provider__name"] or "", r["publish_at"])
            for r in rows
        ],
    )


@dataclass(frozen=True, slots=True)
class ImportWindow:
    label: str
    since: datetime
    runs: int
    failed_runs: int
    files: int
    created: int
    updated: int
    failed_files: int

    @property
    def failures(self) -> int:
        return self.failed_runs + self.failed_files


def _counted(name: str, window: Q):
    # Per-run counts live in the run's JSON (`counts`); summed in the database, a missing key counts nothing.
    return Sum(Cast(KT(f"counts__{name}"), IntegerField()), filter=window, default=0)


def imports(*, now: datetime) -> list[ImportWindow]:
    """Import runs (dry runs aside) of the last 24 hours and 7 days, their files and their failures."""
    windows = [("Last 24 hours", now - timedelta(hours=24)), ("Last 7 days", now - timedelta(days=7))]
    aggregates = {}
    for n, (_, since) in enumerate(windows):
        window = Q(started_at__gte=since)
        aggregates |= {
            f"runs{n}": Count("id", filter=window),
            f"failed_runs{n}": Count("id", filter=window & Q(status=ImportRun.Status.FAILED)),
            **{f"{name}{n}": _counted(name, window) for name in ("files", "created", "updated", "failed")},
        }
    # Not `exclude(options__dry_run=True)`: SQL's NOT over a missing key would drop runs that never said.
    real = Q(options__dry_run__isnull=True) | Q(options__dry_run=False)
    runs = ImportRun.objects.filter(real, started_at__gte=windows[-1][1])
    totals = runs.aggregate(**aggregates)
    return [
        ImportWindow(
            label,
            since,
            totals[f"runs{n}"],
            totals[f"failed_runs{n}"],
            totals[f"files{n}"],
            totals[f"created{n}"],
            totals[f"updated{n}"],
            totals[f"failed{n}"],
        )
        for n, (label, since) in enumerate(windows)
    ]


@dataclass(frozen=True, slots=True)
class DayCount:
    day: date
    count: int


def first_chart_day(now: datetime, days: int = CHART_DAYS) -> date:
    return timezone.localtime(now).date() - timedelta(days=days - 1)


def approvals_per_day(*, now: datetime, days: int = CHART_DAYS) -> list[DayCount]:
    """Stories editors approved (published or scheduled) on each of the last `days` days, today included.

    An article counts on the day of its latest approval; a story counts once a day however many of its articles.
    """
    start = first_chart_day(now, days)
    since = timezone.make_aware(datetime.combine(start, time.min))
    rows = (
        Article.objects.filter(approved_at__gte=since)
        .annotate(day=TruncDate("approved_at"))
        .order_by()
        .values("day")
        .annotate(stories=Count("story_id", distinct=True))
    )
    counts = {row["day"]: row["stories"] for row in rows}
    return [DayCount(day, counts.get(day, 0)) for day in (start + timedelta(days=n) for n in range(days))]


@dataclass(frozen=True, slots=True)
class Share:
    """A topic's or an outlet's stories in the chart window, and how many of them readers can see."""

    id: int
    label: str
    stories: int
    public: int


def _public(prefix: str = "") -> Q:
    # Article.objects.public()'s rule, through a relation.
    return Q(**{f"{prefix}published": True}) & (
        Q(**{f"{prefix}publish_at__isnull": True}) | Q(**{f"{prefix}publish_at__lte": Now()})
    )


def stories_per_topic(*, now: datetime, days: int = CHART_DAYS, rows: int = CHART_ROWS) -> list[Share]:
    """The topics with the most stories published (upstream) in the last `days` days."""
    since = now - timedelta(days=days)
    links = ArticleTopic.objects.filter(article__published_at__gte=since).order_by()
    grouped = links.values("topic_id", "topic__name").annotate(
        stories=Count("article__story_id", distinct=True),
        public=Count("article__story_id", distinct=True, filter=_public("article__")),
    )
    top = grouped.order_by("-stories", "topic__name")[:rows]
    return [Share(r["topic_id"], r["topic__name"], r["stories"], r["public"]) for r in top]


def stories_per_outlet(*, now: datetime, days: int = CHART_DAYS, rows: int = CHART_ROWS) -> list[Share]:
    """The outlets with the most stories published (upstream) in the last `days` days."""
    since = now - timedelta(days=days)
    articles = Article.objects.filter(published_at__gte=since, provider__isnull=False).order_by()
    grouped = articles.values("provider_id", "provider__name").annotate(
        stories=Count("story_id", distinct=True), public=Count("story_id", distinct=True, filter=_public())
    )
    top = grouped.order_by("-stories", "provider__name")[:rows]
    return [Share(r["provider_id"], r["provider__name"], r["stories"], r["public"]) for r in top]
