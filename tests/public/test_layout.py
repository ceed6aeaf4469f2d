"""Layout in a real browser at a phone's, a laptop's and a wide desktop's width: no sideways scrolling on any
reader page, and More coverage headlines get room to be read, with or without an image beside them."""

import pytest

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = (375, 1280, 1920)
PAGES = {
    "home": "/",
    "home, filtered": "/?topic=ai-in-robotics&period=custom&published_after=2020-01-01",
    "top": "/top/",
    "article": "/articles/warehouse-robots/",
    "article with a long headline": "/articles/edge-accelerator/",
    "topic": "/topics/ai/",
    "sub-topic": "/topics/ai-in-robotics/",
    "outlet": "/providers/dailyledger.example.com/",
    "search": "/search/?q=robots",
    "search without matches": "/search/?q=" + "nothing-matches-this-rather-long-query-" * 3,
}
MIN_HEADLINE_WIDTH = 150  # px: about three words a line; one word a line is what readers reported


@pytest.mark.parametrize("width", WIDTHS)
def test_no_page_scrolls_sideways(page, live_server, reader_world, width):
    page.set_viewport_size({"width": width, "height": 900})
    overflowing = {}
    for name, path in PAGES.items():
        page.goto(f"{live_server.url}{path}")
        scroll_width, inner_width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        if scroll_width > inner_width:
            overflowing[name] = (scroll_width, inner_width)
    assert overflowing == {}


@pytest.mark.parametrize("width", WIDTHS)
def test_coverage_headlines_have_room_with_or_without_an_image(page, live_server, reader_world, width):
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server.url}/articles/warehouse-robots/")
    rows = page.evaluate(
        """() => [...document.querySelectorAll('#coverage .coverage-item')].map(row => ({
               image: [...row.querySelectorAll('img')].some(img => !img.closest('.provider')),
               headline: row.querySelector('h3').getBoundingClientRect().width,
           }))"""
    )
    assert {row["image"] for row in rows} == {True, False}  # both kinds are on the page
    narrow = [row for row in rows if row["headline"] < MIN_HEADLINE_WIDTH]
    assert narrow == [], rows
