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
    page.goto(f"{live_server.url}/articles/warehouse-robots-harbor-post/")
    rows = page.evaluate(
        """() => [...document.querySelectorAll('#coverage .coverage-item')].map(row => ({
               image: [...row.querySelectorAll('img')].some(img => !img.closest('.provider')),
               headline: row.querySelector('h3').getBoundingClientRect().width,
               left: Math.round(row.getBoundingClientRect().left),
               lead: row.classList.contains('is-lead'),
           }))"""
    )
    assert {row["image"] for row in rows} == {True, False}  # both kinds are on the page
    assert [row["lead"] for row in rows][:1] == [True]  # the story's lead, marked, first
    narrow = [row for row in rows if row["headline"] < MIN_HEADLINE_WIDTH]
    assert narrow == [], rows
    # The coverage uses the width: two columns of cards on a laptop or wider, one on a phone.
    assert len({row["left"] for row in rows}) == (1 if width < 800 else 2), rows


RIVERS = {"home": "/", "top": "/top/", "topic": "/topics/ai/", "outlet": "/providers/dailyledger.example.com/"}


@pytest.mark.parametrize("width", WIDTHS)
def test_river_coverage_headlines_have_room(page, live_server, reader_world, width):
    page.set_viewport_size({"width": width, "height": 900})
    found = {}
    for name, path in RIVERS.items():
        page.goto(f"{live_server.url}{path}")
        found[name] = page.evaluate(
            """() => [...document.querySelectorAll('.river-coverage li')].map(
                   line => line.querySelector('.headline').getBoundingClientRect().width)"""
        )
    assert all(found.values()), found  # every river shows the warehouse story's coverage
    narrow = {name: widths for name, widths in found.items() if min(widths) < MIN_HEADLINE_WIDTH}
    assert narrow == {}
