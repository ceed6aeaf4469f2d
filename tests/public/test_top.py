"""Top stories: editors' pins first, then breadth, quality and heat with age decay over the newest stories; always a
full page when there are enough public stories, however old."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from articles.models import RelatedLink, Story
from articles.stories import services, top
from articles.stories.top import top_score, top_story_ids
from tests.public.conftest import join_story, make_article, make_provider

pytestmark = pytest.mark.django_db
NOW = timezone.now()


def titles(client, path: str = "/top/") -> list[str]:
    return re.findall(r'<h2 class="card-title"><a href="[^"]+">([^<]+)</a>', client.get(path).content.decode())


def test_quality_heat_and_age_rank_stories(client):
    make_article("Fresh and fine", quality=50, published_at=NOW)
    make_article("Old but great", quality=200, heat=100, published_at=NOW - timedelta(hours=40))
    make_article("Fresh and great", quality=120, published_at=NOW - timedelta(hours=1))
    make_article("Too old to matter", quality=1000, published_at=NOW - timedelta(days=30))
    assert titles(client) == ["Fresh and great", "Fresh and fine", "Old but great", "Too old to matter"]


def test_the_page_is_full_however_old_the_newest_stories_are(client, settings):
    start = NOW - timedelta(days=180)
    for n in range(25):
        make_article(f"Weekly story {n}", quality=n % 7, published_at=start - timedelta(weeks=n))
    first, second = titles(client), titles(client, "/top/?page=2")
    assert len(first) == 20 and len(second) == 5
    assert set(first) | set(second) == {f"Weekly story {n}" for n in range(25)}
    assert 'rel="next" href="?page=2">Lower ranked' in client.get("/top/").content.decode()
    assert client.get("/top/?page=3").status_code == 404


def test_breadth_counts_distinct_outlets_of_public_articles_and_their_coverage(client):
    at = NOW - timedelta(hours=3)
    make_article("One outlet", quality=60, published_at=at)
    wide = make_article("Three outlets", quality=40, published_at=at - timedelta(minutes=1), related=1)  # +1 outlet
    join_story(wide, make_article("Second outlet", quality=10, published_at=at, provider=make_provider("b.example")))
    assert titles(client)[:1] == ["Three outlets"]
    # Links of an unpublished article, and a second link from an outlet already counted, add nothing.
    hidden = make_article("Hidden report", published=False, published_at=at, provider=make_provider("c.example"),
                          related=3)  # fmt: skip
    lone = make_article("Lone with echoes", quality=60, published_at=at + timedelta(minutes=1))
    join_story(lone, hidden)
    RelatedLink.objects.create(article=lone, position=0, web_url="https://x.example/1", title="Echo",
                               provider=make_provider())  # fmt: skip
    stats = top._stats([lone.story_id, wide.story_id])
    assert len(stats[lone.story_id][2]) == 1 and len(stats[wide.story_id][2]) == 3
    assert stats[lone.story_id][:2] == (60, None)  # the hidden report's quality does not count either


def test_editors_pins_come_first_newest_pin_first(client):
    editor = get_user_model().objects.create_user("edna", is_staff=True)
    stories = [make_article(f"Story {n}", quality=100 - n, published_at=NOW - timedelta(days=n)) for n in range(5)]
    ghost = make_article("Unpublished pinned", published=False)
    services.pin_to_top(stories=Story.objects.filter(pk=stories[3].story_id), by=editor, at=NOW)
    services.pin_to_top(stories=Story.objects.filter(pk=stories[4].story_id), by=editor, at=NOW + timedelta(1))
    services.pin_to_top(stories=Story.objects.filter(pk=ghost.story_id), by=editor, at=NOW + timedelta(2))
    assert titles(client) == ["Story 4", "Story 3", "Story 0", "Story 1", "Story 2"]
    assert top_story_ids()[:2] == [stories[4].story_id, stories[3].story_id]


def test_candidates_are_the_newest_stories_only(client, monkeypatch):
    monkeypatch.setattr(top, "TOP_CANDIDATES", 3)
    for n in range(5):
        make_article(f"Story {n}", quality=10 * n, published_at=NOW - timedelta(hours=n))
    # The two oldest would rank first by quality; they are not candidates.
    assert titles(client) == ["Story 2", "Story 1", "Story 0"]


def test_a_story_is_ranked_once_with_its_public_lead(client):
    lead = make_article("Hidden lead", published=False, quality=500)
    join_story(lead, make_article("Public member", quality=5), make_article("Other member", quality=1))
    assert titles(client) == ["Public member"]
    assert "Other member" in client.get("/top/").content.decode()  # as its coverage


def test_top_score():
    hour = timedelta(hours=1)
    assert top_score(quality=100, heat=0, outlets=1, age=hour) > top_score(
        quality=100, heat=0, outlets=1, age=10 * hour
    )
    assert top_score(quality=100, heat=50, outlets=1, age=hour) > top_score(quality=100, heat=0, outlets=1, age=hour)
    # A second outlet doubles a story's weight; four outlets triple it.
    one = top_score(quality=10, heat=None, outlets=1, age=hour)
    assert top_score(quality=10, heat=None, outlets=2, age=hour) == pytest.approx(2 * one)
    assert top_score(quality=10, heat=None, outlets=4, age=hour) == pytest.approx(3 * one)
    assert top_score(quality=None, heat=None, outlets=0, age=timedelta(0)) > 0
