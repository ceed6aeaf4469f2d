"""Provider (counts, logo, merge), Topic (parent, keywords, counts), Image (preview, cache state) admins."""

import pytest
from django.contrib.admin.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext

from articles.models import Article, Image, Topic
from providers.models import Provider
from tests.admin.conftest import make_article, make_provider, messages_of

pytestmark = pytest.mark.django_db
PROVIDERS = "/admin/providers/provider/"


@pytest.fixture
def client(client, boss):
    client.force_login(boss)
    return client


def test_provider_list_shows_logo_and_counts_in_few_queries(client):
    busy, quiet = make_provider("busy.example", "Busy", logo=True), make_provider("quiet.example", "Quiet")
    for _ in range(3):
        make_article(provider=busy, related=2)
    make_article(provider=quiet)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(PROVIDERS)
    rows = {p.name: (p.article_count, p.related_count) for p in response.context["cl"].result_list}
    assert rows == {"Busy": (3, 6), "Quiet": (1, 0)}
    assert 'src="https://busy.example/logo.png"' in response.content.decode()
    assert f"/admin/articles/article/?provider={busy.pk}" in response.content.decode()
    assert len(queries) <= 10  # session, user, counts of providers, page, logos, two grouped counts


def test_provider_domain_is_read_only_once_created(client):
    provider = make_provider("example.com")
    form = client.get(f"{PROVIDERS}{provider.pk}/change/").context["adminform"].form
    assert "domain" not in form.fields and "name" in form.fields


def test_merge_providers_in_two_steps(client, boss):
    keep = make_provider("example.com", "Example News")
    dup = make_provider("www-example.com", "Example")
    for _ in range(2):
        make_article(provider=keep)
    moved = make_article(provider=dup, related=1)
    selection = {"action": "merge_providers", "index": "0", "_selected_action": [str(keep.pk), str(dup.pk)]}

    confirm = client.post(PROVIDERS, selection)
    assert confirm.status_code == 200
    assert [p.pk for p in confirm.context["providers"]] == [keep.pk, dup.pk]  # most articles first: the default
    assert 'name="keep"' in confirm.content.decode()

    data = {"action": "merge_providers", "_selected_action": [str(keep.pk), str(dup.pk)], "post": "yes"}
    response = client.post(PROVIDERS, {**data, "keep": str(keep.pk)}, follow=True)
    assert messages_of(response) == [
        "Merged Example (www-example.com) into Example News (example.com): 1 article and 1 related link moved."
    ]
    assert not Provider.objects.filter(pk=dup.pk).exists()
    assert Article.objects.get(pk=moved.pk).provider == keep
    assert LogEntry.objects.filter(user=boss, object_id=str(keep.pk)).exists()
    assert "www-example.com" in client.get(f"{PROVIDERS}{keep.pk}/change/").content.decode()


def test_merge_needs_two_providers(client):
    only = make_provider("example.com")
    response = client.post(
        PROVIDERS, {"action": "merge_providers", "index": "0", "_selected_action": [str(only.pk)]}, follow=True
    )
    assert messages_of(response) == ["Select at least two providers to merge."]


def test_providers_have_no_bulk_delete(client):
    make_provider("example.com")
    assert "delete_selected" not in dict(client.get(PROVIDERS).context["action_form"].fields["action"].choices)


def test_topic_list_shows_parent_keywords_and_counts(client):
    ai = Topic.objects.create(name="AI", slug="ai", keywords=["artificial intelligence", "machine intelligence"])
    Topic.objects.create(name="Robotics", slug="robotics", parent=ai, keywords=[f"k{n}" for n in range(10)])
    make_article(topics=("AI", "Robotics"))
    make_article(topics=("AI",))
    response = client.get("/admin/articles/topic/")
    rows = {t.name: (t.article_count, t.parent_id) for t in response.context["cl"].result_list}
    assert rows == {"AI": (2, None), "Robotics": (1, ai.pk)}
    html = response.content.decode()
    assert "artificial intelligence, machine intelligence" in html and "(+2)" in html
    assert f"/admin/articles/article/?topic={ai.pk}" in html
    form = client.get(f"/admin/articles/topic/{ai.pk}/change/").context["adminform"].form
    assert form.fields["parent"].widget.widget.__class__.__name__ == "AutocompleteSelect"
    assert "keywords" in form.fields


def test_image_admin_previews_and_shows_cache_state(client):
    article = make_article(images=0)
    image = Image.objects.create(
        article=article,
        url="https://img.example.com/a.jpg",
        width=1200,
        height=630,
        status=Image.Status.FAILED,
        failure_reason="HTTP 404",
        attempts=3,
        renditions={"thumb": {"name": "renditions/a-thumb.webp", "width": 400, "height": 210}},
    )
    response = client.get("/admin/articles/image/?status=failed")
    assert [i.pk for i in response.context["cl"].result_list] == [image.pk]
    assert "renditions/a-thumb.webp" in response.content.decode()
    change = client.get(f"/admin/articles/image/{image.pk}/change/")
    form = change.context["adminform"].form
    assert "status" not in form.fields and "failure_reason" not in form.fields  # the pipeline owns them
    assert "HTTP 404" in change.content.decode()
    search = client.get("/admin/articles/image/", {"q": "https://img.example.com/a.jpg"})
    assert [i.pk for i in search.context["cl"].result_list] == [image.pk]
