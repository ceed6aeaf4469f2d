"""`manage.py assign_topics` and the service behind it: idempotent, only automatic links, editor locks respected."""

import pytest

from articles import cache
from articles.models import Article, ArticleTopic, Topic
from articles.topics.matcher import TopicMatcher
from articles.topics.selectors import current_matcher, taxonomy
from articles.topics.services import assign_topics
from tests.admin.conftest import make_article
from tests.factories import run_command, tables_written
from tests.topics.conftest import links

pytestmark = pytest.mark.django_db

FILE, AUTO, EDITOR = (s.value for s in ArticleTopic.Source)


def link(article: Article, name: str, source: str, term: str = "") -> None:
    ArticleTopic.objects.create(article=article, topic=Topic.objects.get(name=name), source=source, term=term)


@pytest.fixture
def articles(taxonomy) -> dict[str, Article]:
    made = {
        "robots": make_article("Deep learning helps robots sort parcels", excerpt="A warehouse pilot."),
        "sales": make_article("CRM assistants win over sales teams", excerpt="Nothing more."),
        "plain": make_article("Parcels, sorted", excerpt="Nothing to see."),
        "locked": make_article("Deep learning everywhere", excerpt="", editor_locked=["topics"]),
    }
    link(made["robots"], "AI in Robotics", FILE)
    link(made["sales"], "Microsoft AI", EDITOR)
    link(made["plain"], "Computer Vision", AUTO, "vision")  # stale: nothing in the text says so any more
    link(made["locked"], "AI", EDITOR)
    return made


def test_assigns_what_the_taxonomy_finds_and_a_second_run_writes_nothing(articles):
    out = run_command("assign_topics")
    assert out.startswith("4 articles in ")
    assert "3 changed (4 topics added, 1 removed, 0 with a new matched term), 1 left alone" in out

    assert links(articles["robots"]) == {
        ("AI in Robotics", FILE, ""), ("Machine Learning", AUTO, "deep learning"), ("AI", AUTO, "deep learning"),
    }  # fmt: skip
    assert links(articles["sales"]) == {("Microsoft AI", EDITOR, ""), ("AI in Sales", AUTO, "crm"), ("AI", AUTO, "crm")}
    assert links(articles["plain"]) == set()
    assert links(articles["locked"]) == {("AI", EDITOR, "")}  # the editor's choice, though "deep learning" matches

    with tables_written() as written:
        out = run_command("assign_topics")
    assert "0 changed (0 topics added, 0 removed, 0 with a new matched term)" in out
    assert written == {}


def test_a_taxonomy_change_replaces_stale_automatic_links_only(articles):
    run_command("assign_topics")
    ml = Topic.objects.get(name="Machine Learning")
    ml.keywords = ["machine learning", "ml"]  # "deep learning" no longer stands for it
    ml.save()

    out = run_command("assign_topics")
    assert "1 changed (0 topics added, 1 removed, 1 with a new matched term)" in out
    # AI now follows AI in Robotics ("robots"): the same topic with a new term.
    assert links(articles["robots"]) == {("AI in Robotics", FILE, ""), ("AI", AUTO, "robot")}
    assert links(articles["sales"]) == {("Microsoft AI", EDITOR, ""), ("AI in Sales", AUTO, "crm"), ("AI", AUTO, "crm")}


def test_dry_run_reports_and_writes_nothing(articles):
    with tables_written() as written:
        out = run_command("assign_topics", "--dry-run")
    assert out.startswith("Dry run: 4 articles") and "3 changed" in out
    assert links(articles["plain"]) == {("Computer Vision", AUTO, "vision")}
    assert written == {}  # written, then rolled back with the chunk
    assert ArticleTopic.objects.filter(source=AUTO).count() == 1


def test_chunks_give_the_same_result_and_report_progress(articles):
    matcher = current_matcher()
    seen = []
    summary = assign_topics(matcher=matcher, chunk_size=3, on_chunk=seen.append)
    assert seen == [3, 1] and summary.articles == 4 and summary.changed == 3
    by_one_chunk = {pk: links(a) for pk, a in ((a.pk, a) for a in articles.values())}
    ArticleTopic.objects.filter(source=AUTO).delete()
    link(articles["plain"], "Computer Vision", AUTO, "vision")
    assign_topics(matcher=matcher)
    assert {a.pk: links(a) for a in articles.values()} == by_one_chunk


def test_public_pages_are_invalidated_only_when_something_changed(articles):
    before = cache.public_version()
    assign_topics(matcher=current_matcher())
    changed = cache.public_version()
    assert changed != before
    assign_topics(matcher=current_matcher())
    assert cache.public_version() == changed


def test_without_a_taxonomy_it_says_so(db):
    make_article("Deep learning")
    Topic.objects.all().delete()
    assert "No topics to assign" in run_command("assign_topics")
    assert not TopicMatcher(taxonomy())
