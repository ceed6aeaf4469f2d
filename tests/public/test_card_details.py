"""CardDetails and LinkDetails, the card query's hand-written SQL (one template per dialect): what each card shows
besides its own columns. tests/public/test_river_sqlite.py runs this module again on SQLite."""

from articles import selectors
from articles.models import Image
from articles.stories.coverage import _links
from tests.public.conftest import make_article, make_provider, make_topic


def card(article):
    rows = list(selectors.card_queryset(selectors.public_articles().filter(pk=article.pk)))
    return selectors.story_cards(rows, selectors.topic_index())[0]


def test_a_card_shows_the_first_image_the_outlets_first_logo_its_topics_and_its_sources(db):
    provider = make_provider("outlet.example", "Outlet")
    Image.objects.create(provider=provider, url="https://img.outlet.example/second-logo.png", position=1)
    article = make_article(
        "Busy", provider=provider, topics=[make_topic("Robots"), make_topic("AI")], related=3, image=False
    )
    Image.objects.create(article=article, url="https://img.example.com/second.jpg", position=1, width=10, height=5)
    Image.objects.create(article=article, url="https://img.example.com/first.jpg", position=0, width=800, height=450)
    shown = card(article)
    assert shown.card_image.url == "https://img.example.com/first.jpg"
    assert shown.card_image.display_size() == (800, 450)
    assert [logo.url for logo in shown.provider.logo_list] == ["https://img.outlet.example/logo.png"]
    assert [topic.name for topic in shown.card_topics] == ["AI", "Robots"]
    assert shown.source_count == 3


def test_a_bare_card_has_no_image_logo_topic_or_source(db):
    article = make_article("Bare", provider=make_provider("bare.example", "Bare", logo=False), image=False)
    shown = card(article)
    assert shown.card_image is None and shown.provider.logo_list == []
    assert shown.card_topics == [] and shown.source_count == 0


def test_a_related_link_shows_its_first_image_and_its_outlets_logo(db):
    article = make_article("Covered", related=1)
    [link] = _links([article.pk], images=True)
    assert link["details"]["image"]["url"].startswith("https://img.example.org/")
    assert link["details"]["logo"]["url"] == "https://img.other0.example.org/logo.png"
    assert _links([article.pk], images=False)[0].get("details") is None
