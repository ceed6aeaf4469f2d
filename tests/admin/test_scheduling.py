"""Scheduled publishing: approved for a future time, public by itself when the time comes, shown in the admin."""

from datetime import timedelta

import pytest
from django.utils import timezone

from articles.models import Article
from tests.admin.conftest import CHANGELIST, make_article

pytestmark = pytest.mark.django_db


def test_the_public_queryset_honours_publish_at_at_query_time():
    soon = make_article(published=True, publish_at=timezone.now() + timedelta(hours=1))
    due = make_article(published=True, publish_at=timezone.now() - timedelta(seconds=1))
    now = make_article(published=True)
    not_approved = make_article(published=False, publish_at=timezone.now() - timedelta(days=1))
    assert set(Article.objects.public()) == {due, now}
    # Time passes (simulated by moving the schedule): no job runs, the same query now includes it.
    Article.objects.filter(pk=soon.pk).update(publish_at=timezone.now() - timedelta(seconds=1))
    assert set(Article.objects.public()) == {soon, due, now}
    assert not_approved not in Article.objects.public()


def test_a_scheduled_story_404s_publicly_until_its_time(client):
    article = make_article(published=True, publish_at=timezone.now() + timedelta(hours=1))
    assert client.get(article.get_absolute_url()).status_code == 404
    Article.objects.filter(pk=article.pk).update(publish_at=timezone.now() - timedelta(minutes=1))
    assert client.get(article.get_absolute_url()).status_code == 200


def test_the_admin_shows_what_is_scheduled(client, editor):
    client.force_login(editor)
    at = timezone.now() + timedelta(days=3)
    scheduled = make_article("Embargoed story", published=True, publish_at=at)
    make_article("Live story", published=True)
    response = client.get(f"{CHANGELIST}?status=scheduled")
    assert [a.title for a in response.context["cl"].result_list] == [scheduled.title]
    html = response.content.decode()
    assert "<strong>Scheduled</strong>" in html
    assert timezone.localtime(at).strftime("%-d %b %Y, %H:%M") in html
    assert "?status=scheduled" in client.get(CHANGELIST).content.decode()  # a shortcut in the object tools


def test_publishing_now_or_unpublishing_clears_a_schedule(editor):
    from articles import services

    a = make_article(published=True, publish_at=timezone.now() + timedelta(days=1))
    b = make_article(published=True, publish_at=timezone.now() + timedelta(days=1))
    services.publish_articles(articles=Article.objects.filter(pk=a.pk), by=editor)
    services.unpublish_articles(articles=Article.objects.filter(pk=b.pk), by=editor)
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.published, a.publish_at) == (True, None) and a in Article.objects.public()
    assert (b.published, b.publish_at) == (False, None)


def test_a_re_import_keeps_an_editors_schedule(tmp_path, editor):
    from django.core.management import call_command

    from articles import services
    from tests.factories import item_data, write_items

    (path,) = write_items(tmp_path, {"item.md": item_data(1, published=False)})
    call_command("import_articles", str(path), "--jobs", "1", verbosity=0)
    article = Article.objects.get()
    at = timezone.now() + timedelta(days=1)
    services.schedule_articles(articles=Article.objects.all(), by=editor, publish_at=at)
    write_items(tmp_path, {"item.md": item_data(1, published=False, title="Updated upstream")})
    call_command("import_articles", str(path), "--jobs", "1", "--trust-published", verbosity=0)
    article.refresh_from_db()
    assert article.title == "Updated upstream"
    assert article.published and article.publish_at == at
