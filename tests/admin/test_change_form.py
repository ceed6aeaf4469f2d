"""The article form: fieldsets, read-only import data, ordered inlines, history, view on site, preview."""

from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles.models import Article, Topic
from tests.admin.conftest import make_article, make_provider, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(client, editor):
    client.force_login(editor)
    return client


def change_url(article) -> str:
    return f"/admin/articles/article/{article.pk}/change/"


def preview_url(article) -> str:
    return f"/admin/articles/article/{article.pk}/preview/"


def form_data(response, **changes) -> dict:
    """The change form's current values as POST data (inline management forms included), plus `changes`."""
    data = {}
    form = response.context["adminform"].form
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if name == "topics":
            data[name] = [str(t.pk) for t in value or []]
        elif name == "provider":
            data[name] = str(value or "")
        elif hasattr(value, "strftime"):
            data[f"{name}_0"], data[f"{name}_1"] = value.strftime("%Y-%m-%d"), value.strftime("%H:%M:%S")
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        elif value is not None:
            data[name] = str(value)
    for formset in response.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        for name in management.fields:
            data[f"{management.prefix}-{name}"] = management.initial.get(name, "")
        data[f"{management.prefix}-TOTAL_FORMS"] = str(formset.formset.total_form_count())
        for i, inline in enumerate(formset.formset.forms):
            data[f"{inline.prefix}-id"] = str(inline.instance.pk)
            data[f"{inline.prefix}-{formset.formset.fk.name}"] = str(response.context["original"].pk)
            assert i == int(inline.prefix.rsplit("-", 1)[1])
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def test_fieldsets_inlines_and_read_only_import_data(client):
    provider = make_provider("example.com", "Example News")
    article = make_article(provider=provider, images=3, related=3, source_path="/data/item.md", content_hash="c0ffee",
                           secured="SECRETBLOB==", extra={"hashtags": ["#ai"]})  # fmt: skip
    response = client.get(change_url(article))
    assert response.status_code == 200
    names = [fieldset.name for fieldset in response.context["adminform"]]
    assert names == [None, "Editorial", "Links", "Import", "Secured"]
    form = response.context["adminform"].form
    for readonly in ("source_path", "content_hash", "first_imported_at", "last_imported_at", "secured", "web_url"):
        assert readonly not in form.fields
    assert {"provider", "topics", "published", "publish_at", "quality"} <= set(form.fields)
    assert form.fields["provider"].widget.widget.__class__.__name__ == "AutocompleteSelect"
    assert form.fields["topics"].widget.widget.__class__.__name__ == "AutocompleteSelectMultiple"
    html = response.content.decode()
    assert "/data/item.md" in html and "c0ffee" in html and "SECRETBLOB==" in html and "#ai" in html
    assert '<details data-fieldset-id="fieldset-0-4"' in html or "collapse" in html
    images, related = response.context["inline_admin_formsets"]
    assert [f.original.position for f in images] == [0, 1, 2]
    assert [f.original.position for f in related] == [0, 1, 2]
    assert html.count('src="https://img.example.org/') == 3  # related coverage thumbnails
    assert "Example News" in html and "example.com" in html
    assert 'name="images-0-url"' not in html  # shown, not editable: re-imports replace them


def test_change_form_query_count_is_bounded(client):
    article = make_article(provider=make_provider("a.example"), images=5, related=15, topics=("AI", "Robotics"))
    with CaptureQueriesContext(connection) as queries:
        assert client.get(change_url(article)).status_code == 200
    assert len(queries) <= 20


def test_saving_the_form_locks_attributes_and_logs_what_changed(client, editor):
    ai, robots = Topic.objects.create(name="AI", slug="ai"), Topic.objects.create(name="Robotics", slug="robotics")
    article = make_article(quality=40, topics=("AI",))
    page = client.get(change_url(article))
    response = client.post(
        change_url(article),
        form_data(page, quality="85", published="on", topics=[str(robots.pk)], title="Better headline"),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    article.refresh_from_db()
    assert article.published and article.quality == 85 and list(article.topics.all()) == [robots]
    assert article.editor_locked == ["published", "quality", "title", "topics"]
    assert article.reviewed_by == editor and article.reviewed_at is not None
    entry = LogEntry.objects.get(object_id=str(article.pk))
    assert entry.user == editor
    assert entry.get_change_message() == (
        "Published; Quality: 40 → 85; Added topic “Robotics”; Removed topic “AI”; Changed title."
    )
    history = client.get(f"/admin/articles/article/{article.pk}/history/").content.decode()
    assert "Quality: 40 → 85" in history and "edna" in history
    assert not article.topics.filter(pk=ai.pk).exists()


def test_a_schedule_needs_approval(client):
    article = make_article()
    page = client.get(change_url(article))
    at = timezone.now() + timedelta(days=1)
    data = form_data(page, publish_at_0=at.strftime("%Y-%m-%d"), publish_at_1=at.strftime("%H:%M:%S"))
    response = client.post(change_url(article), data)
    assert response.status_code == 200
    assert "Tick “Published”" in str(response.context["adminform"].form.errors)
    data["published"] = "on"
    assert client.post(change_url(article), data).status_code == 302
    article.refresh_from_db()
    assert article.published and article.publish_at is not None and article not in Article.objects.public()
    assert article.editor_locked == ["publish_at", "published"]
    assert "Scheduled to go public at" in LogEntry.objects.get(object_id=str(article.pk)).change_message


def test_unpublishing_a_scheduled_story_clears_its_schedule(client):
    article = make_article(published=True, publish_at=timezone.now() + timedelta(days=1))
    page = client.get(change_url(article))
    assert client.post(change_url(article), form_data(page, published=None)).status_code == 302
    article.refresh_from_db()
    assert (article.published, article.publish_at) == (False, None)
    assert LogEntry.objects.get(object_id=str(article.pk)).change_message == "Unpublished (schedule cleared)."


def test_view_on_site_only_for_public_stories(client):
    live = make_article(published=True)
    draft = make_article()
    scheduled = make_article(published=True, publish_at=timezone.now() + timedelta(hours=2))
    assert client.get(change_url(live)).context["absolute_url"] == live.get_absolute_url()
    for article in (draft, scheduled):
        response = client.get(change_url(article))
        assert not response.context["has_absolute_url"]
        assert preview_url(article) in response.content.decode()


def test_preview_is_staff_only_never_cached_never_indexed(client):
    article = make_article("Secret draft", related=2, topics=("AI",))
    response = client.get(preview_url(article))
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    html = response.content.decode()
    assert "<h1>Secret draft</h1>" in html and "Not published" in html and "Related coverage" in html
    assert '<meta name="robots" content="noindex, nofollow">' in html
    assert client.get("/admin/articles/article/999999/preview/").status_code == 404
    client.logout()
    anonymous = client.get(preview_url(article))
    assert anonymous.status_code == 302 and "/admin/login/" in anonymous["Location"]
    outsider = make_user("olga")  # staff, but no article permissions
    client.force_login(outsider)
    assert client.get(preview_url(article)).status_code == 403
    assert client.get(article.get_absolute_url()).status_code == 404  # the public page stays hidden
