"""Every public page costs a fixed number of queries, whatever the number of stories on it."""

import pytest

from articles import selectors
from tests.public.conftest import make_article, make_provider, make_topic

# path -> queries; pinned so that a change in cost is a deliberate change of this table.
COSTS = {
    "/": 2,  # topics (menu and card topics), cards with images, logos, topic ids and source counts
    "/?page=2": 2,
    "/?topic=ai&provider=outlet0.example&period=month&published_after=2000-01-01": 2,  # outlets come with topics
    "/top/": 3,  # candidates, cards, topics
    "/topics/ai/": 2,
    "/providers/outlet0.example/": 4,  # provider, its logos, topics, cards
    "/search/?q=story": 2,
    "/search/?q=": 1,  # the topic navigation
    "/feeds/rss/": 2,
    "/feeds/topics/ai/atom/": 2,
    "/api/articles/": 2,
    "/api/articles/?topic=ai&page=2": 2,
    "/api/articles/?quality_min=1&type=article&period=week": 2,
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
    stories(max(count, page_size + 1) if "page=2" in path else count)
    monkeypatch.setattr(selectors, "PAGE_SIZE", page_size)
    with django_assert_num_queries(queries):
        assert client.get(path).status_code == 200


@pytest.mark.parametrize("related", [0, 1, 12])
@pytest.mark.parametrize("path", ["/articles/{}/", "/api/articles/{}/"])
def test_story_pages_cost_a_fixed_number_of_queries(client, db, django_assert_num_queries, path, related):
    story = make_article("Busy story", topics=[make_topic("AI"), make_topic("Chips")], related=related)
    # The story with its topics, images and provider logos; More coverage with its images and outlets'
    # logos; and which of those links are stories public here (the last three skipped without coverage);
    # on the page, the topic index for the header's topic navigation.
    with django_assert_num_queries((8 if related else 5) + path.startswith("/articles/")):
        assert client.get(path.format(story.slug)).status_code == 200
