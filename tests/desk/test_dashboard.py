"""The dashboard as the admin's front page (newsroom/admin_site.py, articles/admin/dashboard.py), and what the
Editors group is not shown (task results, import-run internals)."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from articles.models import Article, ImportRun
from tests.admin.conftest import make_article, make_provider, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(db):
    harbor = make_provider("harbor.example", "Harbor Post")
    make_article("Waiting story", provider=harbor, topics=("AI",))
    approved = make_article("Approved story", provider=harbor, topics=("AI",), published=True)
    Article.objects.filter(pk=approved.pk).update(approved_at=timezone.now(), reviewed_at=timezone.now())
    make_article("Going out soon", published=True, publish_at=timezone.now() + timedelta(hours=3))
    failed = ImportRun.objects.create(started_by="command (ci)", status=ImportRun.Status.FAILED, counts={})
    ImportRun.objects.create(started_by="command (ci)", status=ImportRun.Status.FINISHED,
                             counts={"files": 12, "created": 9, "updated": 2, "failed": 1})  # fmt: skip
    cache.clear()
    return {"failed_run": failed}


def test_editors_land_on_the_dashboard_with_figures_and_charts(editor_client, desk):
    response = editor_client.get("/admin/")

    assert response.template_name == "admin/desk/dashboard.html"
    page = response.text
    assert "<strong>2</strong>\n    stories need review" in page  # waiting + the scheduled one, never reviewed
    assert "<strong>1</strong> story goes public within 24 hours" in page and "Going out soon" in page
    assert page.count('<svg class="desk-chart"') == 3
    assert '<title id="chart-approvals-title">Stories approved per day, last 30 days</title>' in page
    assert "Harbor Post" in page and "AI" in page
    assert 'href="/admin/articles/story/review/"' in page and 'href="/admin/apps/"' in page
    assert "1 failed run, 1 failed file" in page
    assert 'href="/admin/articles/importrun/?started=day&amp;outcome=failures"' in page


def test_the_links_lead_to_what_the_panels_count(editor_client, desk):
    failures = editor_client.get("/admin/articles/importrun/?started=day&outcome=failures")
    assert {run.status for run in failures.context["cl"].result_list} == {"failed", "finished"}
    assert len(failures.context["cl"].result_list) == 2
    clean = editor_client.get("/admin/articles/importrun/?outcome=clean")
    assert list(clean.context["cl"].result_list) == []
    queue = editor_client.get("/admin/articles/article/?review=needed")
    assert {a.title for a in queue.context["cl"].result_list} == {"Waiting story", "Going out soon"}


def test_superusers_get_the_dashboard_and_other_staff_the_app_list(client, desk):
    client.force_login(make_user("boss", superuser=True))
    assert client.get("/admin/").template_name == "admin/desk/dashboard.html"
    assert client.get("/admin/django_tasks_database/dbtaskresult/").status_code == 200  # superusers see everything
    client.force_login(make_user("hal", perms=("auth.view_user",)))
    plain = client.get("/admin/")
    assert plain.template_name == "admin/index.html" and "Needs review" not in plain.text


def test_the_plain_app_list_stays_one_click_away(editor_client, desk):
    response = editor_client.get("/admin/apps/")
    assert response.template_name == "admin/index.html"
    assert response.context["title"] == "Apps and models"
    assert [app["app_label"] for app in response.context["app_list"]] == ["articles", "providers"]


def test_the_dashboard_is_a_few_queries_cold_and_fewer_warm(editor_client, desk, django_assert_max_num_queries):
    with django_assert_max_num_queries(16):
        editor_client.get("/admin/")
    with django_assert_max_num_queries(6):  # session, user, permissions: the figures come from the cache
        editor_client.get("/admin/")


def test_the_editors_group_sees_only_editorial_tables(editor_client, desk):
    app_list = editor_client.get("/admin/apps/").context["app_list"]
    models = {model["object_name"] for app in app_list for model in app["models"]}
    assert models == {"Article", "Image", "ImportRun", "RelatedLink", "Story", "Topic", "Provider"}
    for url in ("/admin/django_tasks_database/dbtaskresult/", "/admin/axes/accessattempt/", "/admin/auth/user/"):
        assert editor_client.get(url).status_code == 403, url


def test_import_run_internals_are_for_importers(editor_client, client, desk):
    run = ImportRun.objects.create(
        started_by="command (deploy)", paths=["/srv/feeds/secret-partner/"], options={"jobs": 4, "base_url": ""},
        counts={"files": 3},
    )  # fmt: skip
    url = f"/admin/articles/importrun/{run.pk}/change/"
    page = editor_client.get(url).text
    assert "/srv/feeds/secret-partner/" not in page and "--jobs" not in page
    assert "files: 3" in page
    client.force_login(make_user("ivan", "Importers"))
    page = client.get(url).text
    assert "/srv/feeds/secret-partner/" in page and "--jobs" in page
