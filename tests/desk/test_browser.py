"""The desk end to end in Debian's Chromium: an editor logs in, lands on the dashboard, reviews with the keyboard
only (publishes one story, rates another), and readers see the result; the article list fits a laptop's screen."""

import re

import pytest

from articles.models import Article, ReviewDecision
from tests.admin.conftest import make_article, make_provider, make_user
from tests.desk.conftest import together

pytestmark = [pytest.mark.django_db(transaction=True)]
PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True)
def _unhashed_static_names(settings):
    # The live server's static handler finds files by their source names (see tests/admin/test_browser.py).
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def newsroom(db):
    harbor, ledger = make_provider("harbor.example", "Harbor Post"), make_provider("ledger.example", "Daily Ledger")
    ferry = make_article("Harbor opens a robot-run ferry terminal", provider=harbor, quality=40, topics=("AI",))
    repost = make_article("Robot-run ferry terminal opens in the harbor", provider=ledger, quality=35)
    together(ferry, repost)
    council = make_article("Council debates camera analytics", provider=ledger, quality=55, topics=("AI",))
    Article.objects.filter(pk=council.pk).update(published_at=ferry.published_at.replace(year=2020))
    make_user("edna", "Editors")
    return {"ferry": ferry, "repost": repost, "council": council}


def log_in(page, base_url: str) -> None:
    page.goto(f"{base_url}/admin/login/?next=/admin/")
    page.fill("#id_username", "edna")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(r"/admin/$"))


def test_an_editor_reviews_with_the_keyboard_and_readers_see_the_result(live_server, page, newsroom):
    ferry, repost, council = newsroom["ferry"], newsroom["repost"], newsroom["council"]
    log_in(page, live_server.url)

    # The dashboard: figures and charts.
    assert page.locator("h1").first.inner_text() == "Editorial desk"
    queue = page.locator("section", has=page.locator("h2", has_text="Needs review"))
    assert queue.locator(".desk-figure strong").inner_text() == "2"
    assert page.locator("svg.desk-chart").count() == 3
    assert page.locator("#chart-topic-title").inner_html() == "Stories per topic, last 30 days"
    assert page.locator("svg.desk-chart .bar-row").count() >= 2  # AI among the topics; both outlets

    page.click("text=Start reviewing")
    page.wait_for_url(re.compile(rf"/admin/articles/story/{ferry.story_id}/review/$"))
    assert page.locator("h1").inner_text() == ferry.title

    # Keyboard only from here: "p" publishes the ferry story (both its articles) and moves on.
    with page.expect_navigation():
        page.keyboard.press("p")
    page.wait_for_url(re.compile(rf"/admin/articles/story/{council.story_id}/review/$"))
    assert page.locator(".messagelist .success").inner_text() == f"Published 2 articles of story {ferry.story_id}."
    # "7" rates the council story 70 and stays on it.
    with page.expect_navigation():
        page.keyboard.press("7")
    assert (
        page.locator(".messagelist .success").inner_text()
        == f"Rated 1 article of story {council.story_id}: quality 70."
    )
    assert "Your last decision:" in page.locator(".desk-undo").inner_text()

    council.refresh_from_db()
    assert council.quality == 70 and "quality" in council.editor_locked and not council.published
    assert list(ReviewDecision.objects.order_by("id").values_list("action", flat=True)) == ["publish", "quality"]

    # Readers see the published story, and not the one only rated.
    for article in (ferry, repost):
        response = page.goto(f"{live_server.url}{article.get_absolute_url()}")
        assert response.status == 200
        assert page.locator("h1").first.inner_text() == article.title
    page.goto(f"{live_server.url}/")
    assert page.get_by_text(ferry.title).count() >= 1
    assert page.goto(f"{live_server.url}{council.get_absolute_url()}").status == 404


REQUIRED = ("column-headline", "column-provider_name", "column-published_time", "column-publication",
            "column-published", "column-quality", "column-topic_names")  # fmt: skip
WIDE_ONLY = ("column-lead_image", "column-related_count", "column-story_column")


def list_layout(page) -> dict:
    return page.evaluate(
        """() => {
            const results = document.querySelector('#changelist-form .results');
            const visible = [...document.querySelectorAll('#result_list thead th')]
                .filter(th => th.getBoundingClientRect().width > 0)
                .map(th => [...th.classList].find(c => c.startsWith('column-')) || th.className);
            const title = document.querySelector('#result_list th.column-headline').getBoundingClientRect();
            return {
                page: document.documentElement.scrollWidth - document.documentElement.clientWidth,
                table: results.scrollWidth - results.clientWidth,
                title: title.width,
                titleRight: title.right,
                visible: visible,
                sidebarOpen: document.getElementById('main').classList.contains('shifted'),
            };
        }"""
    )


@pytest.mark.parametrize(("width", "height"), [(1280, 800), (1920, 1080)])
def test_the_article_list_fits_the_screen(live_server, browser, newsroom, width, height):
    for n in range(30):  # long titles, several topics: the worst case for the table's width
        make_article(
            f"A long headline number {n} about a regional hospital network that tested an AI second reader for "
            f"fractures and reports fewer misses", topics=("AI", "AI in Healthcare", "Computer Vision"), related=1,
        )  # fmt: skip
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    try:
        log_in(page, live_server.url)
        page.goto(f"{live_server.url}/admin/articles/article/")
        layout = list_layout(page)
        assert layout["page"] == 0 and layout["table"] == 0, layout  # no sideways scroll, page or table
        assert layout["title"] >= 200, layout
        assert set(REQUIRED) <= set(layout["visible"]), layout
        assert "column-review" in layout["visible"]
        assert (set(WIDE_ONLY) <= set(layout["visible"])) == (width >= 1600), layout
        assert not layout["sidebarOpen"]  # collapsed by default on this page

        # Opened here, it stays open here; other pages keep the shared default (open).
        page.click("#toggle-nav-sidebar")
        page.reload()
        assert list_layout(page)["sidebarOpen"]
        page.goto(f"{live_server.url}/admin/articles/topic/")
        assert page.evaluate("document.getElementById('main').classList.contains('shifted')")
        page.click("#toggle-nav-sidebar")  # closed elsewhere: the list keeps its own choice
        page.goto(f"{live_server.url}/admin/articles/article/")
        assert list_layout(page)["sidebarOpen"]
    finally:
        context.close()
