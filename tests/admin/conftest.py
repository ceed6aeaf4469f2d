"""Fixtures for the editorial admin: users in each role and articles with everything they carry."""

import importlib
import itertools
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.utils import timezone

from articles.models import Article, Image, RelatedLink, Topic
from articles.stories.identity import url_identity_hash
from providers.models import Provider

ROLES = importlib.import_module("articles.migrations.0004_roles").ROLES
STORY_GRANTS = importlib.import_module("articles.migrations.0008_stories").EDITOR_PERMISSIONS
CHANGELIST = "/admin/articles/article/"
_serial = itertools.count(1)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Users are made in nearly every test; production-strength hashing would dominate the run time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def role(name: str) -> Group:
    """The group migrations 0004 and 0008 create (re-created with the same permissions after a flush)."""
    group, created = Group.objects.get_or_create(name=name)
    if created:
        for app_label, codename in ROLES[name]:
            group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
        if name == "Editors":
            stories = Permission.objects.filter(content_type__app_label="articles", codename__in=STORY_GRANTS)
            group.permissions.add(*stories)
    return group


def make_user(username: str, *groups: str, superuser: bool = False, perms: tuple[str, ...] = ()) -> User:
    user = User.objects.create_user(username, f"{username}@example.com", "correct-horse-battery", is_staff=True)
    if superuser:
        user.is_superuser = True
        user.save()
    for name in groups:
        user.groups.add(role(name))
    for perm in perms:
        app_label, codename = perm.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return User.objects.get(pk=user.pk)  # fresh: no stale permission cache


@pytest.fixture
def editor(db):
    return make_user("edna", "Editors")


@pytest.fixture
def importer(db):
    return make_user("ivan", "Importers")


@pytest.fixture
def boss(db):
    return make_user("boss", superuser=True)


@pytest.fixture
def provider(db):
    return Provider.objects.create(domain="example.com", name="Example News")


def make_provider(domain: str, name: str | None = None, *, logo: bool = False) -> Provider:
    provider = Provider.objects.create(domain=domain, name=name or domain.split(".")[0].title())
    if logo:
        Image.objects.create(provider=provider, url=f"https://{domain}/logo.png", width=50, height=50)
    return provider


def make_article(
    title: str | None = None,
    *,
    provider: Provider | None = None,
    published: bool = False,
    publish_at=None,
    quality: int | None = 50,
    topics: tuple[str, ...] = (),
    images: int = 1,
    related: int = 0,
    age: timedelta = timedelta(hours=1),
    imported: bool = True,
    **fields,
) -> Article:
    n = next(_serial)
    title = title or f"Story {n} about machine learning"
    web_url = fields.pop("web_url", f"https://example.com/news/{n}")
    now = timezone.now()
    article = Article.objects.create(
        web_url=web_url,
        web_url_hash=url_identity_hash(web_url),
        slug=f"story-{n}",
        title=title,
        excerpt=fields.pop("excerpt", f"An excerpt for story {n}."),
        category=fields.pop("category", "news"),
        type=fields.pop("type", "article"),
        published_at=now - age,
        provider=provider,
        published=published,
        publish_at=publish_at,
        quality=quality,
        first_imported_at=now - age if imported else None,
        last_imported_at=now - age if imported else None,
        **fields,
    )
    for position in range(images):
        Image.objects.create(
            article=article, position=position, url=f"https://img.example.com/{n}-{position}.jpg", width=800, height=450
        )
    for position in range(related):
        link = RelatedLink.objects.create(
            article=article,
            position=position,
            web_url=f"https://other.example.org/{n}/{position}",
            title=f"Related coverage {n}.{position}",
            provider=provider,
        )
        Image.objects.create(related_link=link, url=f"https://img.example.org/{n}-{position}.jpg")
    for name in topics:
        topic = Topic.objects.filter(name=name).first() or Topic.objects.create(name=name, slug=name.lower())
        article.topics.add(topic)
    return article


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def action(client, name: str, articles, **extra):
    """POST a change-list action on `articles` (a list) and follow the redirect."""
    data = {"action": name, "index": "0", "_selected_action": [str(a.pk) for a in articles], **extra}
    return client.post(CHANGELIST, data, follow=True)
