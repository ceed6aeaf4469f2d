"""Stories on the reader's pages: each once, newest activity first, led by a public article, with the other outlets'
coverage under it; pages of older stories that never repeat or skip one. Run on PostgreSQL by the suite, and on SQLite
by tests/public/test_river_sqlite.py."""

import os
import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.db import connection
from django.utils import timezone

from articles import selectors
from articles.models import Article, RelatedLink, Story, Topic
from articles.selectors import topic_index
from articles.stories import services
from articles.stories.coverage import INLINE, story_entries
from articles.stories.cursor import Cursor, cursor_parameter, parse_cursor
from articles.stories.river import placements, river_page
from tests.public.conftest import join_story, make_article, make_provider, make_topic

pytestmark = pytest.mark.django_db
NOW = timezone.now()


def ago(hours: float):
    return NOW - timedelta(hours=hours)


def entries(html: str) -> list[dict]:
    """The river entries of a page: lead headline, coverage lines (outlet, headline, href) and "+N more"."""
    found = []
    for block in html.split('<li><article class="river-story')[1:]:
        block = block.split("</article>")[0]
        more = re.search(r">\+(\d+) more<", block)
        found.append({
            "lead": re.search(r'<h2 class="card-title"><a href="[^"]+">([^<]+)</a>', block).group(1),
            "coverage": re.findall(r'<span class="outlet">([^<]+)<span class="visually-hidden">:</span></span> '
                                   r'<span class="headline"><a href="([^"]+)"[^>]*>([^<]+)</a>', block),
            "more": int(more.group(1)) if more else 0,
        })  # fmt: skip
    return found


def leads(client, path: str) -> list[str]:
    return [entry["lead"] for entry in entries(client.get(path).content.decode())]


def other(domain: str, name: str | None = None):
    return make_provider(domain, name or domain.split(".")[0].title())


@pytest.fixture
def world(db):
    """Stories as clustering leaves them: several outlets on one event, a lead that is not public, a story with no
    public article, a scheduled report, and plain stories of one article in between."""
    ai = make_topic("AI")
    robots = make_topic("Robots", parent=ai)
    chips = make_topic("Chips", parent=ai)
    w = {"ai": ai, "robots": robots, "chips": chips}
    # Robots: three public reports from three outlets, one hidden draft, one scheduled for tomorrow.
    w["robots_lead"] = make_article("Robots fold laundry", quality=90, published_at=ago(30), topics=[robots])
    w["robots_second"] = make_article(
        "Laundry robots, the sequel", quality=40, published_at=ago(5), provider=other("b.example"), topics=[robots]
    )
    w["robots_third"] = make_article(
        "Robots and towels", quality=60, published_at=ago(20), provider=other("c.example"), topics=[chips]
    )
    w["robots_draft"] = make_article("Robot draft unpublished", published=False, published_at=ago(1), quality=99)
    w["robots_scheduled"] = make_article(
        "Robot report scheduled", published_at=ago(2), publish_at=NOW + timedelta(days=1), provider=other("d.example")
    )
    w["robots"] = join_story(w["robots_lead"], w["robots_second"], w["robots_third"], w["robots_draft"],
                             w["robots_scheduled"])  # fmt: skip
    # Chips: its chosen lead is unpublished; the best public member (quality, then heat) leads instead.
    w["chips_hidden_lead"] = make_article("Chip lead hidden", published=False, quality=100, published_at=ago(12))
    w["chips_best"] = make_article(
        "Chip best public", quality=70, heat=5, published_at=ago(11), provider=other("e.example")
    )
    w["chips_tie"] = make_article(
        "Chip also public", quality=70, heat=1, published_at=ago(10), provider=other("f.example")
    )
    w["chips"] = join_story(w["chips_hidden_lead"], w["chips_best"], w["chips_tie"])
    # Ghost: a story whose articles are all unpublished (or not yet public) does not exist for readers.
    w["ghost_a"] = make_article("Ghost story draft", published=False, published_at=ago(3), topics=[robots])
    w["ghost_b"] = make_article("Ghost story scheduled", published_at=ago(4), publish_at=NOW + timedelta(hours=3))
    w["ghost"] = join_story(w["ghost_a"], w["ghost_b"])
    w["plain_new"] = make_article("Plain newest story", published_at=ago(0.5), topics=[chips])
    w["plain_mid"] = make_article("Plain middle story", published_at=ago(8))
    w["plain_old"] = make_article("Plain oldest story", published_at=ago(40), topics=[robots])
    return w


def test_a_story_appears_once_placed_by_its_newest_public_article(client, world):
    # Robots is as new as its newest public report (5 hours), not its lead (30 hours); Chips as its newest (10 hours).
    assert leads(client, "/") == [
        "Plain newest story", "Robots fold laundry", "Plain middle story", "Chip best public", "Plain oldest story",
    ]  # fmt: skip


def test_the_lead_leads_and_the_other_public_reports_are_its_coverage(client, world):
    robots = entries(client.get("/").content.decode())[1]
    assert robots["lead"] == "Robots fold laundry"  # the story's lead, public: quality 90
    # Public members by the lead rule (quality), each a page here; neither the draft nor the scheduled report.
    assert robots["coverage"] == [
        ("C", f"/articles/{world['robots_third'].slug}/", "Robots and towels"),
        ("B", f"/articles/{world['robots_second'].slug}/", "Laundry robots, the sequel"),
    ]
    assert robots["more"] == 0


def test_an_editors_choice_of_lead_leads_whatever_the_rule_says(client, world):
    editor = get_user_model().objects.create_user("edna", is_staff=True)
    services.make_lead(article=world["robots_second"], by=editor)  # quality 40 of 90: the editor's call
    robots = entries(client.get("/").content.decode())[1]
    assert robots["lead"] == "Laundry robots, the sequel"
    assert [title for _, _, title in robots["coverage"]] == ["Robots fold laundry", "Robots and towels"]


def test_the_best_public_member_leads_when_the_lead_is_not_public(client, world):
    chips = entries(client.get("/").content.decode())[3]
    # Quality ties at 70: the higher heat leads.
    assert chips["lead"] == "Chip best public"
    assert [title for _, _, title in chips["coverage"]] == ["Chip also public"]
    assert "Chip lead hidden" not in client.get("/top/").content.decode()
    # The member's own page marks the public lead in the story's coverage.
    html = client.get(f"/articles/{world['chips_tie'].slug}/").content.decode()
    coverage = html.split('id="coverage"')[1]
    assert re.search(r'class="coverage-item is-lead">.*?Lead story.*?Chip best public', coverage, re.S)
    assert "Chip lead hidden" not in html and world["chips_hidden_lead"].slug not in html


PAGES = ["/", "/top/", "/topics/ai/", "/topics/robots/", "/providers/example.com/", "/api/stories/",
         "/api/stories/?topic=robots", "/?topic=robots", "/?period=week"]  # fmt: skip


@pytest.mark.parametrize("path", PAGES)
def test_unpublished_and_scheduled_articles_are_never_shown_nor_counted(client, world, path):
    body = client.get(path).content.decode()
    for name in ("robots_draft", "robots_scheduled", "chips_hidden_lead", "ghost_a", "ghost_b"):
        assert world[name].slug not in body, name
        assert world[name].title not in body, name
    assert "SECRET-BLOB" not in body


def test_a_story_without_a_public_article_does_not_exist_for_readers(client, world):
    ghost = world["ghost"].pk
    assert client.get(f"/api/stories/{ghost}/").status_code == 404
    assert ghost not in {story["id"] for story in client.get("/api/stories/?page_size=100").json()["results"]}
    assert ghost not in set(placements().values_list("story_id", flat=True))
    assert story_entries([ghost], topics=topic_index()) == []


def test_scheduled_articles_join_their_story_when_their_time_comes(client, world):
    scheduled = world["robots_scheduled"]
    scheduled.refresh_from_db()  # its story is the one join_story made
    scheduled.publish_at = timezone.now() - timedelta(seconds=1)
    scheduled.save()  # the admin's save; the scheduled time itself is checked in SQL at query time
    robots = entries(client.get("/").content.decode())[1]
    # Now the story's newest public report (2 hours): it is placed by it, and lists it under the lead.
    assert leads(client, "/")[:2] == ["Plain newest story", "Robots fold laundry"]
    assert ("D", f"/articles/{scheduled.slug}/", "Robot report scheduled") in robots["coverage"]
    ghost = world["ghost_b"]
    ghost.refresh_from_db()
    ghost.publish_at = timezone.now() - timedelta(seconds=1)
    ghost.save()
    assert "Ghost story scheduled" in leads(client, "/")
    assert client.get(f"/api/stories/{world['ghost'].pk}/").json()["lead"]["slug"] == ghost.slug


def test_newest_activity_moves_a_story_up(client, world):
    join_story(
        world["robots_lead"], make_article("Late robot follow-up", published_at=ago(0.1), provider=other("g.example"))
    )
    assert leads(client, "/")[:2] == ["Robots fold laundry", "Plain newest story"]


def test_on_a_topic_a_story_is_placed_by_its_newest_article_in_the_topic(client, world):
    # In Robots (with sub-topics of none here): the lead (30 hours) and the sequel (5 hours) are filed there, the
    # towels report only under Chips; the Chips page places the story by the towels report (20 hours).
    assert leads(client, "/topics/robots/") == ["Robots fold laundry", "Plain oldest story"]
    assert leads(client, "/topics/chips/") == ["Plain newest story", "Robots fold laundry"]
    assert leads(client, "/?topic=chips") == leads(client, "/topics/chips/")
    api = client.get("/api/stories/?topic=chips").json()["results"]
    assert [story["latest_at"] for story in api][1] == world["robots_third"].published_at.isoformat().replace(
        "+00:00", "Z"
    )


def test_an_outlets_page_leads_each_story_with_its_own_report(client, world):
    assert leads(client, "/providers/b.example/") == ["Laundry robots, the sequel"]
    robots = entries(client.get("/providers/b.example/").content.decode())[0]
    assert [title for _, _, title in robots["coverage"]] == ["Robots fold laundry", "Robots and towels"]
    assert leads(client, "/?provider=b.example") == ["Laundry robots, the sequel"]
    assert client.get("/api/stories/?provider=b.example").json()["results"][0]["lead"]["slug"] == (
        world["robots_second"].slug
    )


def test_coverage_is_one_entry_per_url_identity(client, world):
    lead, second = world["robots_lead"], world["robots_second"]
    elsewhere = make_article("Public story elsewhere", published_at=ago(100), provider=other("h.example"))

    def link(article, position, url, title, quality=None, provider="x.example"):
        RelatedLink.objects.create(article=article, position=position, web_url=url, title=title, quality=quality,
                                   provider=other(provider))  # fmt: skip

    link(lead, 0, second.web_url, "A link to the sequel")  # a member: listed once, as the member
    link(lead, 1, "https://x.example/a?utm_source=feed", "Outside report", quality=5)
    link(second, 0, "https://x.example/a", "Outside report again")  # the same identity without the tracker
    link(second, 1, elsewhere.web_url, "A link to a public story here", quality=9)  # goes to its page
    link(
        lead, 2, world["robots_draft"].web_url, "A link to the URL of the draft", provider="y.example"
    )  # to the outlet
    link(lead, 3, "javascript:alert(1)", "Unsafe link")  # shown, never linked
    html = client.get(f"/articles/{lead.slug}/").content.decode()
    coverage = html.split('id="coverage"')[1]
    titles = re.findall(r"<h3>(?:<a href=\"([^\"]*)\"[^>]*>)?([^<]+)", coverage)
    assert titles == [
        (f"/articles/{world['robots_third'].slug}/", "Robots and towels"),
        (f"/articles/{second.slug}/", "Laundry robots, the sequel"),
        (f"/articles/{elsewhere.slug}/", "A link to a public story here"),
        ("https://x.example/a?utm_source=feed", "Outside report"),
        (world["robots_draft"].web_url, "A link to the URL of the draft"),
        ("", "Unsafe link"),
    ]
    assert "javascript:" not in html and f"/articles/{world['robots_draft'].slug}/" not in html
    assert "6 more reports of this story, from 5 outlets in all. This report leads it." in html
    # The river: the first INLINE reports, and the rest counted.
    robots = entries(client.get("/").content.decode())[1]
    assert len(robots["coverage"]) == INLINE and robots["more"] == 6 - INLINE
    assert f'href="/articles/{lead.slug}/#coverage">+{6 - INLINE} more' in client.get("/").content.decode()
    detail = client.get(f"/api/stories/{lead.story_id}/").json()
    assert [item["title"] for item in detail["coverage"]] == [title for _, title in titles]
    assert [item["url"] for item in detail["coverage"]][:3] == [
        f"http://testserver/articles/{world['robots_third'].slug}/",
        f"http://testserver/articles/{second.slug}/",
        f"http://testserver/articles/{elsewhere.slug}/",
    ]
    outside = detail["coverage"][3]
    assert outside["url"] is None and outside["original_url"] == "https://x.example/a?utm_source=feed"
    assert detail["coverage"][5]["original_url"] is None


def walk(client, path: str) -> list[list[str]]:
    """Every page of a river, following its "Older stories" links: the lead headlines of each."""
    pages = []
    while path:
        html = client.get(path).content.decode()
        pages.append([entry["lead"] for entry in entries(html)])
        older = re.search(r'<a rel="next" href="([^"]+)">Older stories', html)
        path = re.sub(r"\?.*", "", path) + older.group(1).replace("&amp;", "&") if older else None
    return pages


@pytest.mark.parametrize("size", [1, 2, 3])
@pytest.mark.parametrize("path", ["/", "/?topic=ai", "/topics/robots/"])
def test_older_pages_never_repeat_nor_skip_a_story(client, world, monkeypatch, path, size):
    # Stories whose articles straddle pages: each placed once, by its newest matching article.
    monkeypatch.setattr(selectors, "PAGE_SIZE", size)
    pages = walk(client, path)
    everything = [title for page in pages for title in page]
    monkeypatch.setattr(selectors, "PAGE_SIZE", 100)
    caches["public"].clear()  # the page cache does not know the page size
    assert everything == leads(client, path)
    assert all(len(page) == size for page in pages[:-1]) and 0 < len(pages[-1]) <= size


def test_a_story_growing_between_two_pages_is_not_shown_twice(client, world, monkeypatch):
    monkeypatch.setattr(selectors, "PAGE_SIZE", 2)
    first = client.get("/").content.decode()
    older = re.search(r'<a rel="next" href="\?before=([^"]+)">', first).group(1)
    # Robots (shown on the first page) gets an older public report while the reader reads.
    join_story(
        world["robots_lead"], make_article("Earlier robot report", published_at=ago(50), provider=other("k.example"))
    )
    assert "Robots fold laundry" not in leads(client, f"/?before={older}")


def test_the_database_is_the_one_asked_for():
    # tests/public/test_river_sqlite.py runs this module again on SQLite: this makes sure it did.
    assert os.environ.get("NEWSROOM_TEST_DATABASE", connection.vendor) == connection.vendor


def test_cursors_round_trip_and_have_one_spelling():
    cursor = Cursor(ago(3).replace(microsecond=123456), 42)
    assert parse_cursor(str(cursor)) == cursor
    assert parse_cursor("-86400000000_7") == Cursor(parse_cursor("0_7").published_at - timedelta(days=1), 7)
    assert cursor_parameter("0001614938400000_007") == "1614938400000_7"
    assert cursor_parameter("") is None and cursor_parameter("junk") == "junk"
    for bad in ("1_", "_1", "1.5_2", "1_2_3", " 1_2", "12345678901234567_1", "1_1234567890123456789"):
        with pytest.raises(ValueError):
            parse_cursor(bad)


def test_each_older_page_costs_as_much_as_the_first(client, world, monkeypatch, settings, django_assert_num_queries):
    settings.CACHES = {**settings.CACHES, "public": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    for n in range(6):
        make_article(f"Filler {n}", published_at=ago(60 + n), related=n % 3)
    monkeypatch.setattr(selectors, "PAGE_SIZE", 2)
    path, pages = "/", 0
    while path:
        with django_assert_num_queries(4):
            html = client.get(path).content.decode()
        older = re.search(r'<a rel="next" href="([^"]+)">Older stories', html)
        path = "/" + older.group(1).replace("&amp;", "&") if older else None
        pages += 1
    assert pages == 6


def test_river_page_selector_reports_its_cursors(world):
    first = river_page(topics=topic_index(), size=2)
    assert [entry.lead.title for entry in first] == ["Plain newest story", "Robots fold laundry"]
    assert first.before is None and first.next == Cursor(world["robots_second"].published_at, world["robots_second"].pk)
    second = river_page(topics=topic_index(), size=2, before=first.next)
    assert [entry.lead.title for entry in second] == ["Plain middle story", "Chip best public"]
    assert [entry.active_at for entry in second] == [world["plain_mid"].published_at, world["chips_tie"].published_at]


def test_editors_story_decisions_reach_cached_pages(client, world, django_assert_num_queries):
    editor = get_user_model().objects.create_user("edna", is_staff=True)
    assert leads(client, "/")[2] == "Plain middle story"
    with django_assert_num_queries(0):
        client.get("/")  # served from the cache
    chips = Story.objects.filter(pk=world["chips"].pk)
    services.merge_stories(stories=[*chips, world["plain_mid"].story], by=editor)
    assert "Plain middle story" not in leads(client, "/")
    html = client.get(f"/articles/{world['plain_mid'].slug}/").content.decode()
    assert "Lead story" in html and "Chip best public" in html
    services.split_articles(articles=Article.objects.filter(pk=world["plain_mid"].pk), by=editor)
    assert "Plain middle story" in leads(client, "/")


def shown(items) -> list[tuple]:
    return [(item.title, item.url, item.local, item.outlet_name, item.is_lead) for item in items]


@pytest.mark.parametrize("lead_override", [False, True])
def test_a_river_entry_builds_its_inline_lines_as_the_full_coverage_begins(world, lead_override):
    """An entry builds only the INLINE lines it shows and counts the rest; they must be the full coverage's first
    items, in its order (members by the lead rule, then links best first, one per URL identity), whatever the
    number of members and links, and with an outlet's own article leading."""
    lead, second = world["robots_lead"], world["robots_second"]
    takes = [make_article(f"Robots, take {n}", quality=50 - n, published_at=ago(6 + n), provider=other(f"r{n}.example"))
             for n in range(2)]  # fmt: skip
    join_story(lead, *takes)  # more other members than inline lines
    for position, quality in enumerate([None, 30, 10, 30]):
        RelatedLink.objects.create(article=second, position=position, web_url=f"https://z.example/{position}",
                                   title=f"Link {position}", quality=quality, provider=other("z.example"))  # fmt: skip
    RelatedLink.objects.create(article=lead, position=0, web_url="https://z.example/1?utm_source=x", title="Again")
    RelatedLink.objects.create(article=lead, position=1, web_url=second.web_url, title="A member again")
    stories = [world["robots"].pk, world["chips"].pk, world["plain_mid"].story_id]
    leads = {world["robots"].pk: second.pk, world["chips"].pk: world["chips_tie"].pk} if lead_override else None
    counts = []
    for entry in story_entries(stories, topics=topic_index(), leads=leads):
        inline = shown(entry.inline)  # before the full coverage is built: the two must agree
        assert inline == shown(entry.coverage[:INLINE])
        assert entry.more == max(len(entry.coverage) - INLINE, 0)
        counts.append((len(inline), entry.more))
    # Robots: 4 other members and 4 distinct links (the repeated identity and the member are not counted twice).
    assert counts == [(3, 5), (1, 0), (0, 0)]


def test_a_members_outlet_keeps_its_logo_when_a_link_from_that_outlet_is_built_first(world):
    """Without images a link brings no logo: building a link's line first must not leave a member of another story
    from the same outlet without its logo (the members' outlets come with theirs)."""
    logo_outlet = world["robots_third"].provider  # c.example, with a logo
    RelatedLink.objects.create(article=world["plain_new"], position=0, web_url="https://c.example/elsewhere",
                               title="A link from C", provider=logo_outlet)  # fmt: skip
    newest, robots = story_entries([world["plain_new"].story_id, world["robots"].pk], topics=topic_index())
    assert [item.outlet.domain for item in newest.inline] == ["c.example"]
    third = next(item for item in robots.members if item.article.id == world["robots_third"].pk)
    assert [image.url for image in third.outlet.logo_list] == ["https://img.c.example/logo.png"]


def test_the_querysets_kept_between_requests_hold_no_value_of_their_own(world, client):
    """The river's querysets are built or compiled once a process and reused: a time or any other value computed in
    Python would be frozen at the first request (a scheduled story would never turn public); only Now() in the
    database. The compiled ones' parameters are those constants and the ids each call puts in."""
    from articles.stories.coverage import _LINKS, _MEMBERS, _link_rows, _member_rows
    from articles.stories.river import _NEWEST, _NEWEST_IN_TOPICS, _all_placements

    for queryset in (_all_placements(), _member_rows(), _link_rows(False), _link_rows(True)):
        _, params = queryset.query.sql_with_params()
        assert all(isinstance(param, int) for param in params), params  # published = true, EXISTS's SELECT 1
    client.get("/")
    client.get(world["robots_lead"].get_absolute_url())
    client.get(world["ai"].get_absolute_url())
    kept = (_NEWEST, _NEWEST_IN_TOPICS, _MEMBERS, *_LINKS.values())
    compiled = [entry for query in kept for entry in query._compiled.values() if hasattr(entry, "params")]
    assert len(compiled) >= len(kept)
    for entry in compiled:
        assert all(isinstance(param, int) for param in entry.params), entry.params


def test_the_compiled_queries_return_what_the_orm_does(world):
    """KeptQuery runs SQL compiled once with other ids: every call returns what its queryset filtered by the call's
    ids returns (the fields' converters applied: the cards' JSON, times), for ids it was not compiled with, repeated
    ids included."""
    from articles.stories.coverage import _LINKS, _MEMBERS
    from articles.stories.river import _NEWEST, _NEWEST_IN_TOPICS, in_topics

    linked = [make_article(f"Linked {n}", related=n + 1, published_at=ago(40 + n)) for n in range(3)]
    stories = [world["robots"].pk, world["chips"].pk, world["plain_new"].story_id]
    stories += [article.story_id for article in linked]
    articles = [article.pk for article in linked] + [world["robots_lead"].pk]
    for query, field, ids in ((_MEMBERS, "story_id", stories), (_LINKS[False], "article_id", articles),
                              (_LINKS[True], "article_id", articles)):  # fmt: skip
        for chosen in (ids[:2], ids[-2:], ids[1:3] + ids[1:2], ids[:1], ids):
            rows = query.rows(chosen)
            assert rows == list(query.build(chosen)), chosen
            assert rows and all(row[field] in chosen for row in rows)
        assert query.rows([]) == []
    assert _NEWEST.rows() == list(placements().values("id", "story_id", "published_at")[: selectors.PAGE_SIZE + 1])
    robots, chips = (Topic.objects.get(slug=slug).pk for slug in ("robots", "chips"))
    for chosen in ([chips], [robots, chips], [robots]):
        rows = _NEWEST_IN_TOPICS.rows(chosen)
        assert rows == list(placements(in_topics(chosen)).values("id", "story_id", "published_at")[:21]), chosen
        assert rows
    assert {row["id"] for row in _MEMBERS.rows(stories)} >= {world["robots_lead"].pk, world["chips_best"].pk}


def test_a_caller_evaluating_the_home_rivers_queryset_does_not_freeze_it(world):
    assert world["plain_new"].pk in {article.pk for article in placements()}
    newer = make_article("Published after the first look", published_at=ago(0.1))
    assert newer.pk in {article.pk for article in placements()}
