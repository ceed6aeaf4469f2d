"""Fixtures for the editors' desk: users in each role (tests/admin/conftest.py makes them), a story of several
articles as clustering would leave it."""

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache

from articles.models import Article, Story
from articles.stories.clustering import refresh_stories
from tests.admin.conftest import make_user


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def editor(db) -> User:
    return make_user("edna", "Editors")


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


def together(*articles: Article) -> Story:
    """Put the articles in the first one's story, as clustering would (lead, size and times refreshed)."""
    story = articles[0].story
    Article.objects.filter(pk__in=[a.pk for a in articles]).update(story=story)
    Story.objects.filter(articles__isnull=True).delete()
    refresh_stories([story.pk])
    for article in articles:
        article.refresh_from_db()
    return Story.objects.get(pk=story.pk)


@pytest.fixture(autouse=True)
def _fresh_figures():
    """The dashboard keeps its figures a minute in the shared cache: each test starts without another's."""
    cache.clear()
