"""Roles from migration 0004: what Editors and Importers may do in the admin, enforced on every route."""

import pytest
from django.contrib.auth.models import Group

from articles.models import Article, ImportRun, Topic
from providers.models import Provider
from tests.admin.conftest import CHANGELIST, action, make_article, make_provider, make_user

pytestmark = pytest.mark.django_db


def perms(group: str) -> set[str]:
    return {
        f"{p.content_type.app_label}.{p.codename}"
        for p in Group.objects.get(name=group).permissions.select_related("content_type")
    }


def test_the_roles_migration_creates_both_groups():
    editors = perms("Editors")
    assert {
        "articles.view_article", "articles.change_article", "articles.publish_article",
        "articles.view_relatedlink", "articles.change_relatedlink", "articles.view_image", "articles.change_image",
        "articles.view_topic", "articles.change_topic", "providers.view_provider", "providers.change_provider",
    } <= editors  # fmt: skip
    assert not {p for p in editors if p.split(".")[1].startswith("delete_")}
    assert not {p for p in editors if p.startswith("auth.")}
    assert "articles.run_import" not in editors
    importers = perms("Importers")
    assert {"articles.run_import", "articles.view_importrun", "articles.view_article"} <= importers
    assert not {"articles.change_article", "articles.publish_article"} & importers


@pytest.mark.parametrize(
    ("url", "editor_status"),
    [
        (CHANGELIST, 200),
        ("/admin/articles/topic/", 200),
        ("/admin/articles/image/", 200),
        ("/admin/articles/relatedlink/", 200),
        ("/admin/providers/provider/", 200),
        ("/admin/articles/importrun/", 200),
        ("/admin/auth/user/", 403),
        ("/admin/auth/group/", 403),
        ("/admin/articles/article/add/", 403),
    ],
)
def test_editor_routes(client, editor, url, editor_status):
    client.force_login(editor)
    assert client.get(url).status_code == editor_status


def test_editor_cannot_delete(client, editor):
    client.force_login(editor)
    article = make_article()
    assert client.get(f"/admin/articles/article/{article.pk}/delete/").status_code == 403
    assert client.post(f"/admin/articles/article/{article.pk}/delete/", {"post": "yes"}).status_code == 403
    response = client.post(CHANGELIST, {"action": "delete_selected", "index": "0", "_selected_action": [article.pk]})
    assert Article.objects.filter(pk=article.pk).exists()
    assert response.status_code in (200, 302)
    provider = make_provider("dup.example")
    assert client.get(f"/admin/providers/provider/{provider.pk}/delete/").status_code == 403
    topic = Topic.objects.create(name="AI", slug="ai")
    assert client.get(f"/admin/articles/topic/{topic.pk}/delete/").status_code == 403


def test_editor_can_publish_and_edit(client, editor):
    client.force_login(editor)
    article = make_article()
    action(client, "publish", [article])
    assert Article.objects.get(pk=article.pk).published
    assert client.get(f"/admin/articles/article/{article.pk}/change/").context["has_change_permission"]


def test_editor_cannot_merge_providers(client, editor):
    client.force_login(editor)
    a, b = make_provider("a.example"), make_provider("b.example")
    assert client.get("/admin/providers/provider/").context["action_form"] is None  # merging also deletes
    client.post(
        "/admin/providers/provider/",
        {"action": "merge_providers", "index": "0", "_selected_action": [a.pk, b.pk], "post": "yes", "keep": a.pk},
    )
    assert Provider.objects.filter(pk=b.pk).exists()


def test_importer_reads_articles_but_cannot_change_or_publish(client, importer):
    client.force_login(importer)
    article = make_article()
    response = client.get(CHANGELIST)
    assert response.status_code == 200
    assert response.context["cl"].formset is None  # no inline editing
    assert response.context["action_form"] is None  # no bulk actions
    client.post(CHANGELIST, {"action": "publish", "index": "0", "_selected_action": [article.pk]})
    assert not Article.objects.get(pk=article.pk).published
    change = client.get(f"/admin/articles/article/{article.pk}/change/")
    assert change.status_code == 200 and not change.context["has_change_permission"]
    assert client.post(f"/admin/articles/article/{article.pk}/change/", {"published": "on"}).status_code == 403
    assert client.get("/admin/articles/importrun/").status_code == 200
    assert client.get("/admin/auth/user/").status_code == 403


def test_staff_without_publish_permission_sees_published_read_only(client):
    reviewer = make_user("rita", perms=("articles.view_article", "articles.change_article"))
    client.force_login(reviewer)
    article = make_article()
    form = client.get(f"/admin/articles/article/{article.pk}/change/").context["adminform"].form
    assert "published" not in form.fields and "publish_at" not in form.fields and "quality" in form.fields
    response = action(client, "publish", [article])
    assert not Article.objects.get(pk=article.pk).published
    assert "No action selected." in [str(m) for m in response.context["messages"]]


def test_articles_are_never_added_by_hand(client, boss):
    client.force_login(boss)  # even a superuser: an article's identity comes from its import
    assert client.get("/admin/articles/article/add/").status_code == 403
    assert not client.get(CHANGELIST).context["has_add_permission"]


def test_staff_without_any_permission_is_refused_and_strangers_must_log_in(client):
    article = make_article()
    anonymous = client.get(CHANGELIST)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/admin/login/")
    client.force_login(make_user("olga"))
    assert client.get(CHANGELIST).status_code == 403
    assert client.get(f"/admin/articles/article/{article.pk}/change/").status_code == 403
    assert client.get("/admin/articles/importrun/").status_code == 403
    ImportRun.objects.create(started_by="command (ci)")
    assert client.get("/admin/").status_code == 200
