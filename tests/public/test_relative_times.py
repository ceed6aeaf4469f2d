"""Ages ("3 hours ago") follow one rule on the server (articles/templatetags/newsroom.py) and in the browser
(static/newsroom.js, which keeps cached pages true): both are held to this one table of cases."""

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from articles.templatetags.newsroom import relative_age
from tests.public.conftest import make_article

MINUTE, HOUR, DAY = 60, 3600, 86400
# (seconds of age, label): whole units of the largest unit that fits, rounded down.
CASES = [
    (-3 * HOUR, "just now"),  # in the future (a clock a little ahead): never "in 3 hours"
    (0, "just now"),
    (59, "just now"),
    (60, "1 minute ago"),
    (119, "1 minute ago"),
    (59 * MINUTE + 59, "59 minutes ago"),
    (HOUR, "1 hour ago"),
    (2 * HOUR - 1, "1 hour ago"),
    (23 * HOUR + 59 * MINUTE, "23 hours ago"),
    (DAY, "1 day ago"),
    (36 * HOUR, "1 day ago"),
    (6 * DAY + 23 * HOUR, "6 days ago"),
    (7 * DAY, "1 week ago"),
    (11 * DAY, "1 week ago"),  # the case that disagreed: the browser rounded to "2 weeks"
    (13 * DAY + 23 * HOUR, "1 week ago"),
    (14 * DAY, "2 weeks ago"),
    (29 * DAY, "4 weeks ago"),
    (30 * DAY, "1 month ago"),
    (45 * DAY, "1 month ago"),
    (364 * DAY, "12 months ago"),
    (365 * DAY, "1 year ago"),
    (3 * 365 * DAY + 100 * DAY, "3 years ago"),
]
NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(("seconds", "label"), CASES)
def test_server_rule(seconds, label):
    assert relative_age(NOW - timedelta(seconds=seconds), NOW) == label


@pytest.mark.django_db(transaction=True)
def test_browser_rule_is_the_same(page, live_server):
    page.goto(f"{live_server.url}/")
    labels = page.evaluate(
        """([now, cases]) => cases.map(([seconds]) =>
               Newsroom.relativeAge(new Date(now - seconds * 1000), new Date(now)))""",
        [NOW.timestamp() * 1000, CASES],
    )
    assert list(zip([seconds for seconds, _ in CASES], labels, strict=True)) == [(s, label) for s, label in CASES]


@pytest.mark.django_db(transaction=True)
def test_the_page_keeps_the_servers_label_once_the_script_has_run(page, live_server):
    make_article("Eleven days old", published_at=datetime.now(UTC) - timedelta(days=11, minutes=5))
    page.goto(f"{live_server.url}/")
    page.wait_for_function("typeof Newsroom === 'object'")
    expect(page.locator("article.river-story [data-relative]")).to_have_text("1 week ago")
