"""Stories at import and in `cluster_stories` (articles.stories.clustering, .rebuild) on PostgreSQL."""

import io
import random
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from articles.ingest import batch
from articles.ingest.batch import import_batch
from articles.ingest.loader import CREATED, FAILED, UPDATED
from articles.ingest.parser import parse_file
from articles.ingest.prepared import slug as item_slug
from articles.models import Article, Story, StoryKey, StoryTerm
from articles.stories import clustering, services
from articles.stories.identity import identity_hash
from tests.factories import item_data, item_text, run_command, wipe_content, write_items

pytestmark = pytest.mark.django_db

# The groups of the shared corpus (40 articles, 36 stories), read and decided by hand: three linked upstream,
# one (Facebook's AI-generated faces) found by its text.
CORPUS_GROUPS = {
    frozenset({
        "https://www.forbes.com/sites/ilkerkoksal/2019/12/17/amazon-releases-a-new-tool-to-improve-machine-learning-processes/",
        "https://www.infoq.com/news/2019/12/aws-sagemaker-studio-ide/",
    }),
    frozenset({
        "https://www.openpr.com/news/1879887/computer-vision-market-key-players-and-production-information",
        "https://www.prnewswire.com/news-releases/the-global-machine-translation-market-at-a-cagr-of-over-19-during-the-forecast-period-300975942.html",
    }),
    frozenset({
        "https://abcnews.go.com/Business/wireStory/cities-states-balk-face-recognition-tech-67783126",
        "https://www.providencejournal.com/news/20191221/is-facial-recognition-tech-too-young-to-trust-some-governments-think-so",
    }),
    frozenset({
        "https://www.dhakatribune.com/world/north-america/2019/12/21/facebook-discovers-new-fakes-that-show-evolution-ai-generated-disinformation",
        "https://www.scmp.com/tech/big-tech/article/3043186/facebook-says-group-used-ai-generated-faces-push-pro-trump-anti",
    }),
}  # fmt: skip


def corpus_files(corpus):
    return sorted(str(p) for d in (corpus / "_news", corpus / "_archive" / "_news") for p in d.glob("*.md"))


def groups() -> set[frozenset[str]]:
    """Stories with more than one article, as sets of article URLs."""
    by_story: dict[int, set[str]] = {}
    for story_id, web_url in Article.objects.values_list("story_id", "web_url"):
        by_story.setdefault(story_id, set()).add(web_url)
    return {frozenset(urls) for urls in by_story.values() if len(urls) > 1}


def story_of(url: str) -> Story:
    return Article.objects.get(web_url=url).story


def assignment() -> dict:
    """Everything clustering decides: each article's story, and each story's lead, size, flags."""
    return {
        "articles": dict(Article.objects.values_list("id", "story_id")),
        "stories": set(Story.objects.values_list("id", "lead_id", "size", "lead_pinned", "curated", "pinned_at")),
    }


def assert_consistent() -> None:
    """Sizes, time spans and leads of every story agree with its members; no story is empty."""
    for story in Story.objects.all():
        members = list(story.articles.all())
        assert story.size == len(members) > 0, story.pk
        assert story.lead_id in {a.pk for a in members}, story.pk
        assert story.first_published_at == min(a.published_at for a in members)
        assert story.last_published_at == max(a.published_at for a in members)


def reset() -> None:
    wipe_content()
    Story.objects.all().delete()
    StoryTerm.objects.all().delete()


def editor():
    return get_user_model().objects.create_user("editor", password="x", is_staff=True)


def at(day: int, hour: int = 10) -> str:
    return f"2021-05-{day:02d}T{hour:02d}:00:00Z"


def item(n: int, title: str, *, day: int = 3, related=(), excerpt: str = "", **fields) -> dict:
    """An item with its own outlet; `related` are URLs it lists as coverage."""
    return item_data(
        n,
        title=title,
        excerpt=excerpt or f"Report number {n}.",
        publishedDateTime=at(day),
        webUrl=f"https://outlet{n}.example/news/{n}",
        provider={"name": f"Outlet {n}", "domain": f"outlet{n}.example"},
        related=[{"title": f"Coverage of {url}", "webUrl": url} for url in related],
        **fields,
    )


# --- the shared corpus ---------------------------------------------------------------------------------


def test_the_corpus_forms_the_stories_decided_by_hand(corpus):
    outcomes = []
    import_batch(corpus_files(corpus), on_file=outcomes.append)

    assert {o.status for o in outcomes} == {CREATED}
    assert groups() == CORPUS_GROUPS
    assert Story.objects.count() == 36
    assert_consistent()
    # Lead rule: quality first (the Facebook pair: 36 vs 27).
    facebook = story_of(
        "https://www.scmp.com/tech/big-tech/article/3043186/facebook-says-group-used-ai-generated-faces-push-pro-trump-anti"
    )
    assert facebook.lead.title == "Facebook discovers new fakes that show evolution AI generated disinformation"


@pytest.mark.parametrize(("order", "chunk"), [("reversed", 7), ("shuffled", 3), ("shuffled", 16)])
def test_groups_do_not_depend_on_file_order_or_chunking(corpus, monkeypatch, order, chunk):
    files = corpus_files(corpus)
    import_batch(files)
    expected = groups()
    reset()
    files = files[::-1] if order == "reversed" else random.Random(chunk).sample(files, len(files))
    monkeypatch.setattr(batch, "CHUNK_SIZE", chunk)

    import_batch(files)

    assert groups() == expected == CORPUS_GROUPS
    assert_consistent()


def test_cluster_stories_is_idempotent_and_agrees_with_the_import(corpus):
    import_batch(corpus_files(corpus))
    imported = assignment()

    first = run_command("cluster_stories")
    after_first = assignment()
    second = run_command("cluster_stories")

    assert after_first == imported  # the rebuild finds what the import found, under the same ids
    assert assignment() == after_first
    assert "40 articles in 36 stories (4 with more than one article); 0 articles changed story." in first
    assert "0 articles changed story" in second
    assert StoryKey.objects.exists()


def test_cluster_stories_rebuilds_a_database_without_clusters(corpus):
    import_batch(corpus_files(corpus))
    # As migration 0007 leaves an existing database: every article a story of its own, no frequencies.
    for article in Article.objects.all():
        moment = article.published_at
        story = Story.objects.create(lead=article, first_published_at=moment, last_published_at=moment)
        Article.objects.filter(pk=article.pk).update(story=story)
    Story.objects.filter(articles__isnull=True).delete()
    StoryTerm.objects.all().delete()
    StoryKey.objects.all().delete()

    out = run_command("cluster_stories")

    assert groups() == CORPUS_GROUPS
    assert_consistent()
    assert "in 36 stories (4 with more than one article)" in out


# --- how articles join ---------------------------------------------------------------------------------


def test_a_related_link_joins_in_either_direction_and_through_trackers(tmp_path):
    write_items(tmp_path / "one", {"a.md": item(1, "Alpha launches"), "b.md": item(2, "Beta reacts", related=[
        "https://outlet1.example/news/1?utm_source=newsletter&utm_medium=email"])})  # fmt: skip
    # Later, an article that the older one (3) listed before it existed.
    write_items(tmp_path / "two", {"c.md": item(3, "Gamma", related=["https://outlet4.example/news/4"])})
    write_items(tmp_path / "three", {"d.md": item(4, "Delta")})

    for part in ("one", "two", "three"):
        import_batch(batch.find_item_files([tmp_path / part]))

    assert groups() == {
        frozenset({"https://outlet1.example/news/1", "https://outlet2.example/news/2"}),
        frozenset({"https://outlet3.example/news/3", "https://outlet4.example/news/4"}),
    }
    assert_consistent()


def test_two_articles_citing_one_source_join_unless_it_is_a_hub_or_a_week_apart(tmp_path):
    source, hub = "https://wire.example/original-report", "https://company.example/"
    items = {
        "a.md": item(1, "First take", related=[source, hub]),
        "b.md": item(2, "Second take", related=[source]),
        "c.md": item(3, "Much later take", day=20, related=[source]),
    }
    # The company's home page is listed by 30 unrelated articles: it joins nothing.
    items |= {f"hub-{n}.md": item(n, f"Unrelated {n}", related=[hub]) for n in range(10, 40)}
    write_items(tmp_path, items)

    import_batch(batch.find_item_files([tmp_path]))

    assert groups() == {frozenset({"https://outlet1.example/news/1", "https://outlet2.example/news/2"})}


@pytest.mark.parametrize("earlier", [19, 20])
def test_a_hub_counts_the_earlier_articles_listing_it_and_the_chunks(tmp_path, earlier):
    source, hub = "https://wire.example/original-report", "https://company.example/"
    listers = {f"hub-{n}.md": item(n, f"Unrelated {n}", related=[hub]) for n in range(10, 10 + earlier)}
    import_batch([str(p) for p in write_items(tmp_path / "earlier", listers)])
    # The chunk lists the home page six more times: 25 listings in all may still join, 26 make it a hub.
    chunk = {
        "a.md": item(1, "First take", related=[source, hub]),
        "b.md": item(2, "Second take", related=[source]),
    } | {f"hub-{n}.md": item(n, f"Unrelated {n}", related=[hub]) for n in range(50, 55)}
    import_batch([str(p) for p in write_items(tmp_path / "chunk", chunk)])

    takes = frozenset({"https://outlet1.example/news/1", "https://outlet2.example/news/2"})
    if earlier + 6 > clustering.HUB_LIMIT:
        # The earlier listers joined when they were fewer; the chunk's join nothing through the home page.
        assert groups() == {takes, frozenset(f"https://outlet{n}.example/news/{n}" for n in range(10, 10 + earlier))}
    else:
        (group,) = groups()
        assert len(group) == 2 + earlier + 5 and takes <= group
    assert_consistent()


def test_the_same_event_without_links_joins_and_look_alikes_stay_apart(tmp_path):
    background = {f"bg-{n}.md": item(n, f"Quarterly update {n} from a vendor", day=1) for n in range(100, 160)}
    items = {
        "a.md": item(1, "Graphika: Facebook removes network that used AI-generated faces to push pro-Trump messages"),
        "b.md": item(2, "Facebook says group used AI-generated faces to push pro-Trump messages", day=4),
        # Same words a week later: not the same event.
        "c.md": item(3, "Facebook says group used AI-generated faces to push pro-Trump messages", day=12),
    }
    market = ["machine translation", "computer vision", "AI robots", "chatbot", "edge AI", "speech recognition"]
    items |= {
        f"m-{i}.md": item(20 + i, f"Global {thing} market 2021 growth analysis, CAGR and forecast to 2026", day=3)
        for i, thing in enumerate(market * 5)
    }
    write_items(tmp_path, background | items)

    import_batch(batch.find_item_files([tmp_path]))

    assert groups() == {frozenset({"https://outlet1.example/news/1", "https://outlet2.example/news/2"})}


def test_generated_look_alikes_stay_apart(tmp_path):
    from tests.factories import generate_corpus

    # Phrase pools shared by every title and excerpt, no upstream links between items: nothing may join.
    files = generate_corpus(tmp_path, count=1500, seed=3, related_rate=0)
    import_batch([str(f) for f in files])

    assert groups() == set()
    assert Story.objects.count() == Article.objects.count()


def test_a_repost_with_a_tracker_is_the_same_article_and_export_keeps_its_url(tmp_path):
    original = item(1, "Alpha launches")
    repost = {**original, "webUrl": original["webUrl"] + "?utm_source=twitter", "publishedDateTime": at(4)}
    write_items(tmp_path / "in", {"a.md": original, "b.md": repost})

    outcomes = {}
    import_batch(batch.find_item_files([tmp_path / "in"]), on_file=lambda o: outcomes.__setitem__(o.path, o.status))

    article = Article.objects.get()
    assert sorted(outcomes.values()) == [CREATED, "duplicate"]
    assert article.web_url == "https://outlet1.example/news/1?utm_source=twitter"  # the newer file wins
    assert article.web_url_hash == identity_hash("https://outlet1.example/news/1")
    run_command("export_articles", tmp_path / "out")
    (exported,) = (tmp_path / "out").rglob("*.md")
    assert "webUrl: https://outlet1.example/news/1?utm_source=twitter" in exported.read_text()


# --- editors' decisions hold -----------------------------------------------------------------------------


def _change(path, data: dict, **changes) -> None:
    data.update(changes)
    path.write_text(item_text(data), encoding="utf-8")


def test_a_split_survives_reimport_and_cluster_stories(tmp_path):
    a = item(1, "Alpha launches")
    b = item(2, "Beta reacts", related=["https://outlet1.example/news/1"])
    paths = write_items(tmp_path, {"a.md": a, "b.md": b})
    import_batch(batch.find_item_files([tmp_path]))
    assert len(groups()) == 1

    services.split_articles(articles=Article.objects.filter(web_url=b["webUrl"]), by=editor())
    _change(paths[1], b, title="Beta reacts, updated")
    outcomes = []
    import_batch(batch.find_item_files([tmp_path]), on_file=outcomes.append)
    assert [o.status for o in outcomes if o.path == str(paths[1])] == [UPDATED]
    assert groups() == set()
    run_command("cluster_stories")
    assert groups() == set()
    assert "story" in Article.objects.get(web_url=b["webUrl"]).editor_locked
    assert_consistent()


def test_a_merge_and_a_pinned_lead_survive_reimport_and_cluster_stories(tmp_path):
    a, b = item(1, "Alpha launches", quality=90), item(2, "Beta reacts", quality=10)
    c = item(3, "Gamma, unrelated", quality=50)
    paths = write_items(tmp_path, {"a.md": a, "b.md": b, "c.md": c})
    import_batch(batch.find_item_files([tmp_path]))
    assert groups() == set()
    user = editor()

    kept = services.merge_stories(stories=Story.objects.all(), by=user)
    low = Article.objects.get(web_url=b["webUrl"])
    services.make_lead(article=low, by=user)
    everything = frozenset({a["webUrl"], b["webUrl"], c["webUrl"]})
    assert groups() == {everything}

    _change(paths[0], a, quality=95, title="Alpha launches, updated")
    import_batch(batch.find_item_files([tmp_path]))
    run_command("cluster_stories")
    run_command("cluster_stories")

    assert groups() == {everything}
    story = Story.objects.get()
    assert story.pk == kept.stories[0]
    assert (story.lead_id, story.lead_pinned, story.curated) == (low.pk, True, True)
    assert_consistent()


def test_new_articles_may_join_a_curated_story_but_curated_stories_never_merge(tmp_path):
    write_items(tmp_path / "one", {"a.md": item(1, "Alpha launches"), "b.md": item(2, "Beta, unrelated")})
    import_batch(batch.find_item_files([tmp_path / "one"]))
    user = editor()
    services.make_lead(article=Article.objects.get(web_url="https://outlet1.example/news/1"), by=user)
    services.make_lead(article=Article.objects.get(web_url="https://outlet2.example/news/2"), by=user)
    # A new article linking both: it joins one of them, and the two stay apart.
    write_items(tmp_path / "two", {"c.md": item(3, "Gamma links both", related=[
        "https://outlet1.example/news/1", "https://outlet2.example/news/2"])})  # fmt: skip
    import_batch(batch.find_item_files([tmp_path / "two"]))

    assert len(groups()) == 1
    assert Story.objects.count() == 2
    (joined,) = groups()
    assert "https://outlet3.example/news/3" in joined
    assert_consistent()


def test_an_import_reclusters_by_union_and_cluster_stories_undoes_stale_joins(tmp_path):
    b = item(2, "Beta reacts", related=["https://outlet1.example/news/1"])
    paths = write_items(tmp_path, {"a.md": item(1, "Alpha launches"), "b.md": b})
    import_batch(batch.find_item_files([tmp_path]))
    _change(paths[1], b, related=[])  # upstream dropped the link

    import_batch(batch.find_item_files([tmp_path]))
    assert len(groups()) == 1  # union only: an import never splits
    out = run_command("cluster_stories")

    assert groups() == set()
    assert "1 articles changed story" in out
    assert_consistent()


# --- lead, dry runs, failures ----------------------------------------------------------------------------


def test_lead_is_quality_then_heat_then_earliest_over_all_members(tmp_path):
    url = "https://outlet1.example/news/1"
    write_items(tmp_path, {
        "a.md": item(1, "First", quality=None, heat=200, day=2),
        "b.md": item(2, "Second", quality=50, heat=1, day=3, related=[url]),
        "c.md": item(3, "Third", quality=50, heat=9, day=4, related=[url]),
        "d.md": item(4, "Fourth", quality=50, heat=9, day=5, related=[url]),
    })  # fmt: skip
    import_batch(batch.find_item_files([tmp_path]))

    story = Story.objects.get(size=4)
    assert story.lead.title == "Third"  # quality 50 beats none; heat 9 beats 1; the earlier of the two 9s


def test_a_dry_run_writes_no_story(tmp_path):
    write_items(
        tmp_path, {"a.md": item(1, "Alpha"), "b.md": item(2, "Beta", related=["https://outlet1.example/news/1"])}
    )
    import_batch(batch.find_item_files([tmp_path]), dry_run=True)

    assert not Story.objects.exists() and not StoryTerm.objects.exists() and not StoryKey.objects.exists()


def test_a_failed_file_does_not_take_the_stories_of_the_others(tmp_path):
    files = write_items(tmp_path, {
        "a.md": item(1, "Alpha"),
        "b.md": item(2, "Beta", related=["https://outlet1.example/news/1"]),
        "c.md": item(3, "Gamma"),
    })  # fmt: skip
    record = parse_file(files[2]).record
    Article.objects.create(  # squats the slug the third file needs: the chunk fails and is retried file by file
        web_url="https://elsewhere.example/squatter",
        web_url_hash=identity_hash("https://elsewhere.example/squatter"),
        slug=item_slug(record.title, identity_hash(record.web_url)),
        title="Squatter",
        published_at=datetime(2020, 1, 1, tzinfo=UTC),
    )
    outcomes = {}
    import_batch([str(f) for f in files], on_file=lambda o: outcomes.__setitem__(o.path, o.status))

    assert [outcomes[str(f)] for f in files] == [CREATED, CREATED, FAILED]
    assert groups() == {frozenset({"https://outlet1.example/news/1", "https://outlet2.example/news/2"})}
    assert_consistent()


def test_import_command_output_is_unchanged_by_clustering(tmp_path):
    write_items(tmp_path, {"a.md": item(1, "Alpha")})
    out = io.StringIO()
    call_command("import_articles", str(tmp_path), jobs=1, stdout=out)
    assert "1 created" in out.getvalue()
    assert Article.objects.get().story.size == 1


def test_term_frequencies_count_each_new_article_once(tmp_path):
    paths = write_items(tmp_path, {"a.md": item(1, "Alpha launches"), "b.md": item(2, "Alpha again")})
    import_batch(batch.find_item_files([tmp_path]))
    _change(paths[0], item(1, "Alpha launches"), title="Alpha launches twice")
    import_batch(batch.find_item_files([tmp_path]))

    from articles.stories.clustering import DOCUMENTS
    from articles.stories.similarity import term_id

    assert StoryTerm.objects.get(term=DOCUMENTS).articles == 2
    assert StoryTerm.objects.get(term=term_id("alpha")).articles == 2


def test_story_keys_follow_the_rarity_of_words(tmp_path):
    write_items(tmp_path, {"a.md": item(1, "Zyxwv unveils quantum")})
    import_batch(batch.find_item_files([tmp_path]))
    from articles.stories.similarity import term_id

    keys = set(StoryKey.objects.filter(position=0).values_list("key", flat=True))
    assert {term_id("zyxwv"), term_id("unveil"), term_id("quantum")} <= keys
    assert timedelta(0) == StoryKey.objects.first().published_at - Article.objects.get().published_at
