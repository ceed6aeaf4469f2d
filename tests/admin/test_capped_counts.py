"""Per-row counts on the provider and topic lists stop at a cap: a page's cost does not grow with the archive."""

import pytest

from articles.admin import display
from articles.models import Article, RelatedLink, Topic
from providers.models import Provider
from tests.admin.conftest import make_article, make_provider, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def outlets(db):
    busy, quiet, silent = make_provider("busy.example"), make_provider("quiet.example"), make_provider("none.example")
    for _ in range(4):
        make_article(provider=busy, topics=("AI", "Robots"), related=1)
    make_article(provider=quiet, topics=("AI",))
    return busy, quiet, silent


def test_counts_are_exact_up_to_the_cap_and_stop_just_past_it(outlets):
    providers = list(Provider.objects.filter(pk__in=[p.pk for p in outlets]))
    display.attach_capped_counts(providers, "articles_seen", Article, "provider", cap=2)
    display.attach_capped_counts(providers, "links_seen", RelatedLink, "provider", cap=10)
    seen = {p.domain: (p.articles_seen, p.links_seen) for p in providers}
    assert seen == {"busy.example": (3, 4), "quiet.example": (1, 0), "none.example": (0, 0)}  # 3 = "more than 2"
    topics = list(Topic.objects.all())
    display.attach_capped_counts(topics, "n", Article.topics.through, "topic", cap=4)
    assert {t.name: t.n for t in topics} == {"AI": 5, "Robots": 4}
    display.attach_capped_counts(topics, "n", Article.topics.through, "topic", cap=2)
    assert {t.name: t.n for t in topics} == {"AI": 3, "Robots": 3}
    display.attach_capped_counts([], "n", Article, "provider")  # an empty page asks nothing


def test_a_count_past_the_cap_reads_more_than(client, outlets, monkeypatch):
    monkeypatch.setattr(display, "COUNT_CAP", 3)
    client.force_login(make_user("boss", superuser=True))
    providers = client.get("/admin/providers/provider/").content.decode()
    assert ">more than 3</a>" in providers  # busy: 4 articles, linked to its article list
    assert ">1</a>" in providers
    topics = client.get("/admin/articles/topic/").content.decode()
    assert ">more than 3</a>" in topics and ">4</a>" not in topics
    # The provider's own page counts exactly.
    form = client.get(f"/admin/providers/provider/{outlets[0].pk}/change/").content.decode()
    assert f'?provider={outlets[0].pk}">4</a>' in form


def test_count_text_groups_thousands():
    assert display.count_text(1_001) == "more than 1,000"
    assert display.count_text(999) == "999"
