"""A reader in a real browser (Debian Chromium, headless): home, a topic filter, a story, More coverage, search."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.public.conftest import make_article, make_provider, make_topic

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def stories():
    ai = make_topic("AI")
    robots = make_topic("Robots", parent=ai)
    chips = make_topic("Chips", parent=ai)
    follow_up = make_article("Laundry robots reach the shops", topics=[robots], provider=make_provider("shop.example"))
    lead = make_article(
        "Robots learn to fold laundry",
        topics=[robots],
        related=2,
        quality=90,
        published_at=timezone.now() - timedelta(hours=26),
    )
    make_article("A faster chip for phones", topics=[chips])
    make_article("An unpublished robot draft", topics=[robots], published=False)
    link = lead.related_links.order_by("-quality").first()
    link.title, link.web_url = "Laundry robots reach the shops", follow_up.web_url
    link.save()
    return {"lead": lead, "follow_up": follow_up}


def test_a_reader_filters_opens_follows_coverage_and_searches(page, live_server, stories):
    make_topic("Natural Language Processing")  # a long name widens the topic menu
    csp_violations = []
    page.on("console", lambda message: "Content Security Policy" in message.text and csp_violations.append(message))

    page.goto(f"{live_server.url}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Latest stories")
    cards = page.locator("article.river-story")
    expect(cards).to_have_count(3)
    expect(page.get_by_text("An unpublished robot draft")).to_have_count(0)

    # No sideways scrolling, with the filters beside the stories (wide) or below them (a phone).
    viewport = page.viewport_size
    for width in (1200, 375):
        page.set_viewport_size({"width": width, "height": 800})
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), width
    page.set_viewport_size(viewport)

    # Filter by a topic: a bookmarkable URL, and only that topic's stories.
    page.get_by_label("Topic", exact=True).select_option("robots")
    page.get_by_role("button", name="Apply").click()
    # Fields left empty stay out of the URL.
    expect(page).to_have_url(f"{live_server.url}/?topic=robots")
    expect(cards).to_have_count(2)
    expect(page.get_by_label("Topic", exact=True)).to_have_value("robots")

    # Open a story, then follow More coverage to a story that is public here too.
    page.get_by_role("link", name="Robots learn to fold laundry", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Robots learn to fold laundry")
    expect(page.get_by_role("link", name="Read at Example News")).to_have_attribute("rel", "noopener noreferrer")
    coverage = page.get_by_role("region", name="More coverage")
    expect(coverage.get_by_role("listitem")).to_have_count(2)
    coverage.get_by_role("link", name="Laundry robots reach the shops").click()
    expect(page).to_have_url(f"{live_server.url}/articles/{stories['follow_up'].slug}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Laundry robots reach the shops")

    # Search from the header, with the matches highlighted.
    search = page.get_by_role("searchbox", name="Search stories").first
    search.fill("laundry")
    search.press("Enter")
    expect(page).to_have_url(re.compile(r"/search/\?q=laundry"))
    expect(page.locator("article.card")).to_have_count(2)  # search lists articles
    expect(page.locator("mark").first).to_have_text(re.compile("laundry", re.IGNORECASE))
    assert csp_violations == []


def test_styles_and_script_load_under_the_content_security_policy(page, live_server, stories):
    problems = []
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(f"{live_server.url}/articles/{stories['lead'].slug}/")
    expect(page.locator(".brand")).to_have_css("font-weight", "800")
    # newsroom.js (nonce and 'self') ran: it keeps the ages fresh by the server's own rule.
    assert page.evaluate("typeof Newsroom.relativeAge") == "function"
    expect(page.locator("[data-relative]").first).to_have_text("1 day ago")
    assert problems == []


def test_keyboard_users_can_skip_to_the_content(page, live_server, stories):
    page.goto(f"{live_server.url}/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main#content")).to_be_focused()
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.closest('main') !== null")
    assert focused


def test_a_reader_picks_a_date_preset_or_custom_dates(page, live_server, stories):
    make_article("A story from last month", published_at=timezone.now() - timedelta(days=20))
    page.goto(f"{live_server.url}/")
    dates = page.get_by_label("From")
    expect(dates).to_be_hidden()  # custom dates show only with "Custom dates" chosen

    page.get_by_label("Past week").check()
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(f"{live_server.url}/?period=week")
    expect(page.get_by_text("A story from last month")).to_have_count(0)
    expect(page.locator("article.river-story")).to_have_count(3)

    page.get_by_label("Custom dates").check()
    expect(dates).to_be_visible()
    dates.fill("2000-01-01")
    page.get_by_label("Outlet").select_option(label="Example News")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(f"{live_server.url}/?provider=example.com&period=custom&published_after=2000-01-01")
    expect(page.get_by_text("A story from last month")).to_have_count(1)
    expect(page.get_by_label("From")).to_have_value("2000-01-01")

    page.go_back()  # the form is usable again, not left disabled by the last submission
    expect(page.get_by_label("Past week")).to_be_enabled()
    expect(page.get_by_label("Any time")).to_be_enabled()
