"""The review queue (articles/desk/queue.py): which stories wait, in which order, and how cheaply that is read."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from articles.desk import queue
from articles.models import Article
from tests.admin.conftest import make_article
from tests.desk.conftest import together

pytestmark = pytest.mark.django_db


def waiting(title: str, hours_ago: float, *, imported_hours_ago: float = 1) -> Article:
    article = make_article(title, age=timedelta(hours=hours_ago))
    Article.objects.filter(pk=article.pk).update(last_imported_at=timezone.now() - timedelta(hours=imported_hours_ago))
    return article


def reviewed(title: str, hours_ago: float) -> Article:
    article = make_article(title, age=timedelta(hours=hours_ago))
    Article.objects.filter(pk=article.pk).update(reviewed_at=timezone.now())
    return article


@pytest.fixture
def stories(db):
    """Stories by the age of their articles: A waits with two (1 h and 8 h), E was reviewed and changed upstream
    since (2 h), B waits (3 h), C was reviewed (5 h), D waits (9 h) and was imported longest ago."""
    a = together(waiting("A newest", 1), waiting("A older", 8))
    b = together(waiting("B", 3))
    c = together(reviewed("C", 5))
    d = together(waiting("D", 9, imported_hours_ago=30))
    e_article = reviewed("E", 2)
    Article.objects.filter(pk=e_article.pk).update(
        reviewed_at=timezone.now() - timedelta(days=2), last_imported_at=timezone.now() - timedelta(hours=5)
    )
    return {"A": a, "B": b, "C": c, "D": d, "E": e_article.story}


def walk(start, step) -> list[int]:
    ids, place = [], start
    while place is not None:
        ids.append(place.story_id)
        place = step(place)
    return ids


def test_the_queue_holds_each_waiting_story_once_newest_first(stories):
    s = {name: story.pk for name, story in stories.items()}

    forward = walk(queue.next_place(), queue.next_place)
    backward = walk(queue.place_of(s["D"]), queue.previous_place)

    assert forward == [s["A"], s["E"], s["B"], s["D"]]  # A comes once, at its newest waiting article
    assert backward == list(reversed(forward))


def test_a_reviewed_story_still_has_a_place_to_step_from(stories):
    s = {name: story.pk for name, story in stories.items()}
    place = queue.place_of(s["C"])  # C waits for nothing; its place is its newest article (5 h)
    assert queue.next_place(place).story_id == s["D"]
    assert queue.previous_place(place).story_id == s["B"]


def test_a_story_partly_decided_moves_to_its_next_waiting_article(stories):
    s = {name: story.pk for name, story in stories.items()}
    newest = Article.objects.get(title="A newest")
    Article.objects.filter(pk=newest.pk).update(reviewed_at=timezone.now())

    assert walk(queue.next_place(), queue.next_place) == [s["E"], s["B"], s["A"], s["D"]]


def test_counting_and_the_longest_wait(stories):
    s = {name: story.pk for name, story in stories.items()}
    assert queue.count_stories() == 4  # A (two waiting articles) counts once; C waits for nothing
    assert queue.count_stories(cap=2) == 3  # more than 2
    longest = queue.longest_waiting()
    assert longest.story_id == s["D"]
    assert timedelta(hours=29) < timezone.now() - longest.since < timedelta(hours=31)
    assert queue.story_needs_review(s["E"]) and not queue.story_needs_review(s["C"])


def test_an_empty_queue(db):
    reviewed("Only reviewed", 1)
    assert queue.next_place() is None
    assert queue.count_stories() == 0
    assert queue.longest_waiting() is None


def plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        # Tiny tables: ask whether an index *can* answer in the query's order, not whether it is worth it here.
        for method in ("seqscan", "bitmapscan", "sort"):
            cursor.execute(f"SET LOCAL enable_{method} = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_the_partial_indexes_answer_the_queue(stories):
    if connection.vendor != "postgresql":
        pytest.skip("plans are PostgreSQL's")
    place = queue.place_of(stories["B"].pk)
    heads = queue._heads().filter(published_at__lte=place.published_at).order_by("-published_at", "-id")
    assert "article_review_latest" in plan(heads[:1])
    stories = queue.waiting_articles().order_by("story_id").values("story_id").distinct()
    assert "article_review_story" in plan(stories[: queue.COUNT_CAP + 1])
    assert "article_review_waiting" in plan(queue.waiting_articles().order_by("last_imported_at")[:1])
