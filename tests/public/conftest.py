"""Small factories for the public site's tests: a few stories built directly with the ORM, no imports."""

import itertools
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.core.cache import caches
from django.utils import timezone

from articles.cache import _local_pages, _local_values, bump_public_version
from articles.models import Article, Image, RelatedLink, Story, Topic
from articles.stories.clustering import refresh_stories
from articles.stories.identity import url_identity_hash
from newsroom.page_hits import _routes
from providers.models import Provider

HOSTILE = '<script>alert("x")</script>&amp; "quoted" \'single\' </title></script><img src=x onerror=alert(1)>'
_numbers = itertools.count(1)


def make_provider(domain: str = "example.com", name: str = "Example News", *, logo: bool = True) -> Provider:
    provider, created = Provider.objects.get_or_create(domain=domain, defaults={"name": name})
    if created and logo:
        Image.objects.create(provider=provider, url=f"https://img.{domain}/logo.png", width=50, height=50)
    return provider


def make_topic(name: str, *, parent: Topic | None = None, slug: str | None = None) -> Topic:
    from django.utils.text import slugify

    return Topic.objects.get_or_create(name=name, defaults={"slug": slug or slugify(name), "parent": parent})[0]


def make_article(
    title: str | None = None,
    *,
    published: bool = True,
    provider: Provider | None = None,
    topics=(),
    published_at=None,
    image: bool = True,
    related: int = 0,
    **fields,
) -> Article:
    n = next(_numbers)
    web_url = fields.pop("web_url", f"https://www.example.com/news/story-{n}.html")
    article = Article.objects.create(
        web_url=web_url,
        web_url_hash=url_identity_hash(web_url),
        slug=fields.pop("slug", f"story-{n}"),
        title=title or f"Story number {n}",
        excerpt=fields.pop("excerpt", f"What happened in story {n}."),
        published_at=published_at or timezone.now() - timedelta(minutes=n),
        published=published,
        provider=provider if provider is not None else make_provider(),
        type=fields.pop("type", "article"),
        category="news",
        secured=fields.pop("secured", f"SECRET-BLOB-{n}"),
        **fields,
    )
    if topics:
        article.topics.set(topics)
    if image:
        Image.objects.create(article=article, url=f"https://img.example.com/{n}.jpg", width=800, height=450)
    for position in range(related):
        link = RelatedLink.objects.create(
            article=article,
            position=position,
            web_url=f"https://other{position}.example.org/{n}",
            title=f"Coverage {position} of story {n}",
            published_at=article.published_at,
            quality=10 * position,
            provider=make_provider(f"other{position}.example.org", f"Other Outlet {position}"),
        )
        Image.objects.create(related_link=link, url=f"https://img.example.org/{n}-{position}.jpg", width=100, height=50)
    return article


def join_story(lead: Article, *members: Article) -> Story:
    """Put `members` in `lead`'s story (as clustering would have), with its lead, size and times recomputed."""
    Article.objects.filter(pk__in=[m.pk for m in members]).update(story=lead.story_id)
    Story.objects.filter(articles__isnull=True).delete()
    refresh_stories([lead.story_id])
    bump_public_version()
    return Story.objects.get(pk=lead.story_id)


def parse_xml(content: bytes) -> ET.Element:
    return ET.fromstring(content)  # noqa: S314 - the site's own responses, not untrusted input


@pytest.fixture(autouse=True)
def _fresh_public_cache():
    # The local-memory cache, each worker's copies of shared entries and the routes of its hits (newsroom.page_hits)
    # outlive each test's database rollback.
    caches["public"].clear()
    _local_pages.clear()
    _local_values.clear()
    _routes.clear()
    yield
    caches["public"].clear()
    _local_pages.clear()
    _local_values.clear()
    _routes.clear()


@pytest.fixture
def newsroom(db):
    """A small world: public stories, an unpublished one, a scheduled one, topics with a parent."""
    ai = make_topic("AI")
    robots = make_topic("Robots", parent=ai)
    public = make_article("Robots learn to fold laundry", topics=[robots], related=2, quality=80)
    other = make_article("Chip makers race ahead", topics=[ai], quality=20, excerpt="Faster chips for robots.")
    hidden = make_article("Unpublished robot secret", published=False, topics=[robots], slug="hidden-story")
    scheduled = make_article(
        "Scheduled robot story", topics=[robots], slug="scheduled-story", publish_at=timezone.now() + timedelta(days=1)
    )
    return {"ai": ai, "robots": robots, "public": public, "other": other, "hidden": hidden, "scheduled": scheduled}


PIXEL = bytes.fromhex("47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b")


def serve_offline(page, live_server):
    """The site offline: remote (fictional) images answer with a pixel, and static files are served as
    WhiteNoise serves them in production, by the hashed names collectstatic wrote. (pytest-django's live
    server puts Django's own static handler in front, which cannot find hashed names.)
    """
    from django.conf import settings

    def serve(route):
        url = route.request.url
        if not url.startswith(live_server.url):
            route.fulfill(body=PIXEL, content_type="image/gif")
        elif "/static/" in url:
            route.fulfill(path=settings.STATIC_ROOT / url.split("/static/", 1)[1].split("?")[0])
        else:
            route.continue_()

    page.route("**/*", serve)
    return page


@pytest.fixture
def page(page, live_server):
    return serve_offline(page, live_server)


@pytest.fixture
def reader_world(db):
    """What the browser tests walk through: topics under a root, outlets with logos, a story with More
    coverage where some rows have an image and some do not, a long headline, a story without an image."""
    ai = make_topic("AI")
    robots = make_topic("AI in Robotics", parent=ai, slug="ai-in-robotics")
    chips = make_topic("AI Hardware", parent=ai, slug="ai-hardware")
    make_topic("Natural Language Processing", parent=ai, slug="natural-language-processing")
    daily = make_provider("dailyledger.example.com", "The Daily Ledger")
    lead = make_article(
        "Warehouse robots learn to pack fragile goods by watching video",
        topics=[robots],
        provider=daily,
        related=4,
        quality=90,
        slug="warehouse-robots",
    )
    # Half the coverage rows without an image: the headline must take the row, not the image column.
    Image.objects.filter(related_link__article=lead, related_link__position__in=[0, 2]).delete()
    # Two more outlets' reports of the same event, grouped with it as clustering would: one without an image.
    join_story(
        lead,
        make_article(
            "Robots that learned from video now pack a warehouse's most fragile orders",
            topics=[robots],
            provider=make_provider("harborpost.example.com", "The Harbor Post"),
            quality=50,
            slug="warehouse-robots-harbor-post",
        ),
        make_article(
            "Fragile goods, steady grippers: inside a warehouse experiment",
            provider=make_provider("northernwire.example.com", "Northern Wire"),
            quality=40,
            image=False,
            slug="warehouse-robots-northern-wire",
        ),
    )
    make_article(
        "Chipmaker unveils a low-power inference accelerator for edge cameras, doorbells, traffic sensors and "
        "small drones, with samples going to partners in the first quarter",
        topics=[chips],
        provider=make_provider("circuitandcode.example.com", "Circuit & Code"),
        slug="edge-accelerator",
    )
    make_article("Open translation model adds 38 languages", topics=[ai], image=False, slug="translation-model")
    make_article("An unpublished draft about robots", topics=[robots], published=False)
    # As many sub-topics as the real taxonomy has under its root: the topic navigation must fit a phone.
    for name in ("Machine Learning", "Computer Vision", "AI Ethics", "AI in Healthcare", "AI in Finance",
                 "AI in Marketing", "AI in Autos", "Generative AI and Large Language Models"):  # fmt: skip
        make_article(f"A story about {name}", topics=[make_topic(name, parent=ai)], image=False)
    return {"lead": lead, "ai": ai, "robots": robots}
