"""The change list's planned rows (articles/admin/rows.py) are Django's rows, cell for cell, on every admin list."""

from datetime import timedelta

import pytest
from django.contrib import admin
from django.contrib.admin.templatetags.admin_list import results
from django.utils import timezone

from articles.admin import rows
from articles.models import Article, ImportRun, Topic
from tests.admin.conftest import CHANGELIST, make_article, make_provider, make_user

pytestmark = pytest.mark.django_db


def both(client, url: str) -> tuple[list, list]:
    """(Django's rows, the planned rows) of the change list at `url`, each a list of (cells, form)."""
    response = client.get(url)
    assert response.status_code == 200, url
    cl = response.context["cl"]
    planned = rows.rows(cl)
    assert planned is not None, f"{url}: a column was left to Django"
    return [(list(r), r.form) for r in results(cl)], [(list(r), r.form) for r in planned]


@pytest.fixture
def newsroom(db):
    provider = make_provider("example.com", "Example <News> & Co", logo=True)
    reviewer = make_user("rita", "Editors")
    now = timezone.now()
    articles = [
        make_article('A "quoted" <b>headline</b> & more', provider=provider, topics=("AI", "Robots"), related=2),
        make_article("No outlet, no image, unrated", provider=None, images=0, quality=None, age=timedelta(days=3)),
        make_article("Scheduled", provider=provider, published=True, publish_at=now + timedelta(hours=2)),
        make_article("Live and reviewed", provider=provider, published=True, reviewed_by=reviewer, reviewed_at=now),
        make_article(
            "Reviewed, changed since", provider=provider, reviewed_by=reviewer, reviewed_at=now - timedelta(days=1)
        ),
    ]
    parent = Topic.objects.get(name="AI")
    Topic.objects.filter(name="Robots").update(parent=parent, keywords=["robot", "android", "droid"])
    ImportRun.objects.create(status=ImportRun.Status.FINISHED, started_by="cron", counts={"created": 3})
    return articles


ARTICLE_LISTS = [
    CHANGELIST,
    f"{CHANGELIST}?status=live&quality_band=50-74",  # the headline links carry the filters back
    f"{CHANGELIST}?o=-6.2",
    f"{CHANGELIST}?_popup=1&_to_field=id",  # a popup: no inputs, links say which row they pick
]


@pytest.mark.parametrize("url", ARTICLE_LISTS)
def test_the_article_list_rows_are_djangos(client, newsroom, url):
    client.force_login(make_user("edna", "Editors"))
    django_rows, planned_rows = both(client, url)
    assert planned_rows
    assert planned_rows == django_rows


def test_the_article_list_rows_are_djangos_without_the_right_to_publish(client, newsroom):
    # "published" is then shown, not edited: Django's yes/no icon, drawn as Django draws it.
    client.force_login(make_user("quinn", perms=("articles.view_article", "articles.change_article")))
    django_rows, planned_rows = both(client, CHANGELIST)
    assert any("icon-yes" in cell for cells, _ in planned_rows for cell in cells)
    assert planned_rows == django_rows


@pytest.mark.parametrize("url", [f"{CHANGELIST}?status=draft", "/admin/providers/provider/", "/admin/articles/topic/"])
def test_the_article_provider_and_topic_pages_draw_the_planned_rows(client, newsroom, url, monkeypatch):
    client.force_login(make_user("boss", superuser=True))
    calls = []
    planned = rows.rows
    monkeypatch.setattr(rows, "rows", lambda cl: calls.append(cl) or planned(cl))
    html = client.get(url).content.decode()
    assert calls, "the page's rows were not planned"
    _, planned_rows = both(client, url)
    for cells, _ in planned_rows:
        assert "<tr>" + "".join(cells) + "</tr>" in html


@pytest.mark.parametrize(
    "url",
    [
        "/admin/articles/story/",
        "/admin/articles/image/",
        "/admin/articles/relatedlink/",
        "/admin/articles/topic/",
        "/admin/articles/importrun/",
        "/admin/providers/provider/",
    ],
)
def test_every_other_admin_list_would_get_djangos_rows(client, newsroom, url):
    # Field columns (a date, a foreign key, an auto id, a boolean) and admin methods of every kind.
    client.force_login(make_user("boss", superuser=True))
    django_rows, planned_rows = both(client, url)
    assert planned_rows, url
    assert planned_rows == django_rows


def test_a_column_it_does_not_plan_is_left_to_django(client, newsroom, monkeypatch):
    client.force_login(make_user("boss", superuser=True))
    monkeypatch.setattr(admin.site.get_model_admin(Article), "list_display", ("headline", "provider__name"))
    cl = client.get(CHANGELIST).context["cl"]
    assert rows.rows(cl) is None
    context = rows.result_list(cl)
    assert [list(r) for r in context["results"]] == [list(r) for r in results(cl)]
    assert 'class="field-provider__name"' in "".join(context["results"][0])
