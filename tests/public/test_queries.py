"""Every public page costs a fixed number of queries, whatever the number of stories on it."""

import pytest

from articles import selectors
from tests.public.conftest import join_story, make_article, make_provider, make_topic

FUTURE = "9999999999999999_1"  # a river position after every story: an "Older stories" page holding them all

# path -> queries; pinned so that a change in cost is a deliberate change of this table.
COSTS = {
    # The river: topics (menu and card topics), the articles placing the page's stories, those stories' public
    # articles as cards (images, logos, topic ids, source counts), their related links (with the public article
    # each names here, if any).
    "/": 4,
    f"/?before={FUTURE}": 4,
    "/?topic=ai&provider=outlet0.example&period=month&published_after=2000-01-01": 4,  # outlets come with topics
    "/top/": 6,  # pinned stories, candidates, their breadth, quality and heat; then the page's stories as above
    "/top/?page=2": 6,
    "/topics/ai/": 4,
    "/providers/outlet0.example/": 6,  # provider, its logos, then as the river
    "/search/?q=story": 2,
    "/search/?q=": 1,  # the topic navigation
    "/feeds/rss/": 2,
    "/feeds/topics/ai/atom/": 2,
    "/api/articles/": 2,
    "/api/articles/?topic=ai&page=2": 3,  # past page 1: the page's ids, then its rows with their details
    "/api/articles/?quality_min=1&type=article&period=week": 2,
    "/api/stories/": 4,
    f"/api/stories/?topic=ai&page_size=3&before={FUTURE}": 4,
    "/api/stories/?quality_min=1&type=article&period=week": 4,
    "/api/topics/": 2,
    "/api/providers/": 2,
}


@pytest.fixture(autouse=True)
def _page_cache_off(settings):
    settings.CACHES = {**settings.CACHES, "public": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}


def stories(count: int):
    ai = make_topic("AI")
    robots = make_topic("Robots", parent=ai)
    providers = [make_provider(f"outlet{n}.example", f"Outlet {n}") for n in range(3)] + [make_provider()]
    for n in range(count):
        make_article(f"A story {n}", topics=[ai, robots], provider=providers[n % 4], related=n % 3, quality=n)


@pytest.mark.parametrize(("count", "page_size"), [(3, 20), (25, 20), (25, 5)])
@pytest.mark.parametrize(("path", "queries"), COSTS.items())
def test_list_pages_cost_a_fixed_number_of_queries(
    client, db, monkeypatch, django_assert_num_queries, path, queries, count, page_size
):
    # A second page needs more stories than one page holds.
    stories(max(count, 2 * page_size + 1) if "page=2" in path else count)
    monkeypatch.setattr(selectors, "PAGE_SIZE", page_size)
    with django_assert_num_queries(queries):
        assert client.get(path).status_code == 200


@pytest.mark.parametrize("related", [0, 1, 12])
@pytest.mark.parametrize(
    ("path", "queries"), [("/articles/{}/", 7), ("/api/articles/{}/", None), ("/api/stories/{}/", 3)]
)
def test_story_pages_cost_a_fixed_number_of_queries(client, db, django_assert_num_queries, path, queries, related):
    story = make_article("Busy story", topics=[make_topic("AI"), make_topic("Chips")], related=related)
    others = [make_article(f"Report {n}", related=related) for n in range(related)]
    join_story(story, *others)
    if queries is None:
        # The article with its topics, images and provider logos; its related links with their images and outlets'
        # logos, and which of those links are stories public here (the last three skipped without links).
        queries = 8 if related else 5
    # The page: the article as above without its links (4), then its story's public articles as cards and their
    # links (2), and the topic index for the header. The story: the topic index, its articles, their links.
    with django_assert_num_queries(queries):
        assert client.get(path.format(story.story_id if "stories" in path else story.slug)).status_code == 200
