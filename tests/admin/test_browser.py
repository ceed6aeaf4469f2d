"""End to end in Debian's Chromium: an editor filters, bulk-publishes two stories, edits quality inline,
and the stories are then on the public site."""

import re

import pytest

from articles.models import Article
from tests.admin.conftest import make_article, make_provider, make_user

pytestmark = [pytest.mark.django_db(transaction=True)]
PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True)
def _unhashed_static_names(settings):
    # The live server's static handler finds files by their source names; the production manifest storage
    # would ask it for hashed names (collected files that only WhiteNoise, behind that handler, knows).
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def test_editor_filters_publishes_and_rates_then_readers_see_the_stories(live_server, page):
    harbor = make_provider("harborpost.example", "Harbor Post")
    other = make_provider("otherpaper.example", "Other Paper")
    first = make_article("Harbor opens a robot-run ferry terminal", provider=harbor, quality=40)
    second = make_article("Harbor council debates camera analytics", provider=harbor, quality=55)
    make_article("Harbor budget passes without debate", provider=harbor, quality=20)
    make_article("Elsewhere: a story from another outlet", provider=other)
    editor = make_user("edna", "Editors")

    page.goto(f"{live_server.url}/admin/login/?next=/admin/articles/article/")
    page.fill("#id_username", "edna")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(r"/admin/articles/article/$"))

    # Filter: not yet published, then the provider through its autocomplete.
    page.click("#changelist-filter a:text-is('Not published')")
    page.wait_for_url(re.compile(r"status=draft"))
    page.click("[data-filter-title='provider'] .select2-selection")
    page.fill(".select2-search__field", "harbor")
    page.click(".select2-results__option:has-text('Harbor Post')")
    page.wait_for_url(re.compile(rf"provider={harbor.pk}"))
    assert "status=draft" in page.url
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 3

    # Bulk-publish two of them.
    for article in (first, second):
        page.check(f"input[name=_selected_action][value='{article.pk}']")
    page.select_option("select[name=action]", "publish")
    page.click("button[name=index]")
    page.wait_for_selector(".messagelist .success")
    assert page.locator(".messagelist .success").inner_text() == "Published 2 articles."

    # Edit quality inline (the draft filter is still on: show everything from this provider).
    page.goto(f"{live_server.url}/admin/articles/article/?provider={harbor.pk}")
    row = page.locator("#result_list tbody tr", has=page.locator(f"input[name=_selected_action][value='{first.pk}']"))
    row.locator("input[name$='-quality']").fill("95")
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist .success")
    assert "1 article was changed successfully." in page.locator(".messagelist").inner_text()

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.quality == 95 and first.published and second.published
    assert first.reviewed_by == editor and sorted(first.editor_locked) == ["published", "quality"]

    # Readers see both stories.
    for article in (first, second):
        response = page.goto(f"{live_server.url}{article.get_absolute_url()}")
        assert response.status == 200
        assert page.locator("h1").first.inner_text() == article.title
    assert set(Article.objects.public()) == {first, second}
