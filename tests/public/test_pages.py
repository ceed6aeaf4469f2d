"""What readers get on each page: cards, filters that keep pagination, top stories, search, accessible HTML."""

import re
from datetime import timedelta

from django.utils import timezone

from articles import selectors
from articles.filters import API_PARAMETERS, QUERY_PARAMETERS, ArticleFilter, ReaderFilter
from articles.models import Image
from articles.search import MARK_START, MARK_STOP, _substring_search, mark_words
from tests.public.conftest import make_article, make_provider, make_topic


def test_home_cards_show_everything_a_reader_needs(client, newsroom):
    html = client.get("/").content.decode()
    story = newsroom["public"]
    card = html[html.index(f'href="/articles/{story.slug}/"') - 200 :].split("</article>")[0]
    assert re.search(
        r'<img src="https://img\.example\.com/\d+\.jpg" alt="" width="800" height="450" loading="lazy"', card
    )
    assert f'<a href="/articles/{story.slug}/">{story.title}</a>' in card
    assert '<a class="provider" href="/providers/example.com/"><img src="https://img.example.com/logo.png"' in card
    assert re.search(r'<time datetime="[^"]+"><span class="relative" data-relative>\d+ \w+ ago</span>', card)
    assert "UTC</span></time>" in card
    assert '<a class="topic" href="/topics/robots/">Robots</a>' in card
    # The other outlets' coverage under the lead, each outlet named, linked to the report at the outlet.
    line = (r'<span class="outlet">([^<]+)<span class="visually-hidden">:</span></span> '
            r'<span class="headline"><a href="([^"]+)" rel="noopener noreferrer">([^<]+)</a>')  # fmt: skip
    lines = re.findall(line, card)
    n = story.slug.split("-")[1]
    assert lines == [("Other Outlet 1", f"https://other1.example.org/{n}", f"Coverage 1 of story {n}"),
                     ("Other Outlet 0", f"https://other0.example.org/{n}", f"Coverage 0 of story {n}")]  # fmt: skip


def test_page_skeleton_is_accessible(client, newsroom):
    html = client.get("/").content.decode()
    assert '<html lang="en">' in html
    assert html.index('class="skip-link" href="#content"') < html.index("<header")
    for landmark in ('<header class="site-header">', '<nav class="site-nav" aria-label="Sections">',
                     '<main id="content"', '<footer class="site-footer">', 'role="search"'):  # fmt: skip
        assert landmark in html
    assert html.count("<h1") == 1
    assert re.findall(r"<img (?![^>]*\balt=)", html) == []
    for field_id in re.findall(r'<(?:input|select) id="([^"]+)"', html):
        assert f'<label for="{field_id}"' in html
    assert '<a href="/" aria-current="page">Latest</a>' in html


def test_static_files_have_hashed_names_and_no_external_origins(client, newsroom):
    html = client.get(f"/articles/{newsroom['public'].slug}/").content.decode()
    assert re.search(r'href="/static/newsroom\.[0-9a-f]{12}\.css"', html)
    assert re.search(r'src="/static/newsroom\.[0-9a-f]{12}\.js" defer nonce="', html)
    assert not re.search(r'(?:href|src)="(?:https?:)?//(?!img\.example|testserver/)', html.split("<body>")[0])


def test_security_headers(client, newsroom):
    response = client.get("/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in policy and "object-src 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_story_page(client, newsroom):
    story = newsroom["public"]
    story.amp_url = "https://amp.example.com/story"
    story.save()
    html = client.get(f"/articles/{story.slug}/").content.decode()
    assert f'<link rel="canonical" href="http://testserver/articles/{story.slug}/">' in html
    assert '<link rel="amphtml" href="https://amp.example.com/story">' in html
    assert '<meta property="og:type" content="article">' in html
    assert '<meta name="twitter:card" content="summary_large_image">' in html
    assert f'<a class="button" href="{story.web_url}" rel="noopener noreferrer">Read at Example News</a>' in html
    coverage = html.split('id="coverage"')[1]
    # Best quality first, each with its outlet, logo, time and image.
    assert coverage.index("Coverage 1 of") < coverage.index("Coverage 0 of")
    assert "Other Outlet 1" in coverage and "https://img.other1.example.org/logo.png" in coverage
    assert coverage.count("<time datetime=") == 2 and coverage.count('width="100" height="50"') == 2


def test_filters_keep_their_values_and_older_pages_keep_the_filters(client, db, monkeypatch):
    monkeypatch.setattr(selectors, "PAGE_SIZE", 2)
    ai = make_topic("AI")
    now = timezone.now()
    for n in range(5):
        make_article(f"AI story {n}", topics=[ai], published_at=now - timedelta(hours=n))
    make_article("Off topic", published_at=now)
    make_article("AI last month", topics=[ai], published_at=now - timedelta(days=8))
    html = client.get("/?topic=ai&period=week").content.decode()
    assert '<option value="ai" selected>AI</option>' in html
    assert 'name="period" value="week" checked' in html
    pages, path = [], "/?topic=ai&period=week"
    while path:
        html = client.get(path).content.decode()
        pages.append(re.findall(r'<h2 class="card-title"><a href="[^"]+">([^<]+)</a>', html))
        older = re.search(r'<a rel="next" href="([^"]+)">Older stories', html)
        path = "/" + older.group(1).replace("&amp;", "&") if older else None
        if path:
            assert path.startswith("/?topic=ai&period=week&before=")  # the filters travel with the cursor
            assert '<a href="?topic=ai&amp;period=week">← Latest stories</a>' in client.get(path).content.decode()
    assert pages == [["AI story 0", "AI story 1"], ["AI story 2", "AI story 3"], ["AI story 4"]]
    assert "Latest stories</a>" not in client.get("/?topic=ai&period=week").content.decode()
    assert client.get("/?topic=ai&period=week&before=0_1").status_code == 404  # older than anything
    assert client.get("/?before=junk").status_code == 400


def test_the_filter_form_reads_exactly_the_listed_parameters():
    # Lists build no form when none of QUERY_PARAMETERS is in the query string: a filter reading another
    # parameter would be silently skipped.
    def read(filterset) -> set[str]:
        found = set()
        for name, field in filterset.form.fields.items():
            widget = field.widget
            found |= {widget.suffixed(name, s) for s in widget.suffixes} if hasattr(widget, "suffixes") else {name}
        return found

    assert read(ReaderFilter()) == set(QUERY_PARAMETERS)
    assert read(ArticleFilter()) == set(API_PARAMETERS)


def test_query_strings_without_a_filter_value_list_everything(client, newsroom):
    def body(path):
        return re.sub(r'nonce="[^"]+"', "", client.get(path).content.decode())

    plain = body("/")
    assert newsroom["public"].title in plain and newsroom["other"].title in plain
    for path in ("/?page=2", "/?before=", "/?utm_source=mail", "/?topic=&provider=&period=&published_after="):
        assert body(path) == plain, path


def test_invalid_filter_values_are_reported_not_fatal(client, newsroom):
    html = client.get("/?period=forever&published_after=someday").content.decode()
    assert 'role="alert"' in html
    assert newsroom["public"].title in html


def test_topic_page_shows_parents_children_and_feeds(client, newsroom):
    html = client.get("/topics/ai/").content.decode()
    assert '<nav class="subtopics" aria-label="Sub-topics">' in html and 'href="/topics/robots/"' in html
    assert 'type="application/rss+xml" title="Newsroom: AI (RSS)" href="/feeds/topics/ai/rss/"' in html
    assert 'id="f-topic"' not in html  # the topic is the page itself


def test_provider_page(client, newsroom):
    html = client.get("/providers/example.com/").content.decode()
    assert '<h1 id="page-title" class="provider-title"><img src="https://img.example.com/logo.png"' in html
    assert newsroom["public"].title in html
    assert client.get("/providers/WWW.Example.com/").headers["Location"] == "/providers/example.com/"


def test_search_ranks_title_matches_first_and_highlights(client, db):
    make_article("Gardening news", excerpt="Robots are mentioned only here.")
    make_article("Robots everywhere", excerpt="Nothing else.")
    html = client.get("/search/?q=robots").content.decode()
    titles = re.findall(r'<h2 class="card-title"><a href="[^"]+">(.+?)</a>', html)
    assert titles[0] == "<mark>Robots</mark> everywhere" and len(titles) == 2
    assert "<mark>Robots</mark> are mentioned" in html
    assert '<meta name="robots" content="noindex">' in html
    assert client.get("/search/?q=").status_code == 200
    assert client.get("/search/?q=" + "x" * 5000).status_code == 400  # tests/public/test_bad_input.py


def test_substring_search_is_the_fallback_elsewhere(db):
    from articles.models import Article

    make_article("Robots everywhere")
    make_article("Chips", excerpt="robots in the excerpt")
    make_article("Nothing to see")
    found = list(_substring_search(Article.objects.public(), 'ROBOTS -ignored or "'))
    assert [article.title for article in found] == ["Robots everywhere", "Chips"]
    assert (
        mark_words("Robots and robots", ["robots"])
        == f"{MARK_START}Robots{MARK_STOP} and {MARK_START}robots{MARK_STOP}"
    )


def test_not_found_page_uses_the_site_layout(client, db):
    response = client.get("/articles/nope/")
    assert response.status_code == 404
    assert b'<main id="content"' in response.content and b"Page not found" in response.content


def test_healthz_checks_the_database(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok", "database": "ok", "cache": "ok"}


def test_home_without_stories(client, db):
    assert "No stories have been published yet." in client.get("/").content.decode()
    make_provider()


def test_card_images_follow_the_models_display_rules(db, settings):
    story = make_article("Pictured", image=False)
    states = [
        {"url": "https://img.example.com/remote.jpg", "width": 800, "height": 450},
        {"url": "https://img.example.com/refused.jpg", "status": Image.Status.FAILED},
        {"url": "javascript:alert(1)"},
        {"url": "https://img.example.com/cached.jpg", "file": "images/ab/cached.jpg", "status": Image.Status.CACHED},
        {
            "url": "https://img.example.com/sized.jpg",
            "file": "images/cd/sized.jpg",
            "status": Image.Status.CACHED,
            "renditions": {"card": {"name": "images/cd/card-1200.webp", "width": 1200, "height": 675}},
        },
    ]
    for position, fields in enumerate(states):
        Image.objects.filter(article=story).delete()
        image = Image.objects.create(article=story, position=position, **fields)
        rows = list(selectors.card_queryset(selectors.public_articles().filter(pk=story.pk)))
        card = selectors.story_cards(rows, selectors.topic_index())[0].card_image
        for size in ("card", "thumb"):
            assert card.display_url(size) == image.display_url(size), fields
            assert card.display_size(size) == image.display_size(size), fields
    assert card.display_url("card") == f"/{settings.MEDIA_URL.strip('/')}/images/cd/card-1200.webp"


def test_images_the_pipeline_refused_are_never_requested(client, newsroom):
    story = newsroom["public"]
    Image.objects.filter(article=story).update(status=Image.Status.FAILED)
    html = client.get("/").content.decode()
    card = html[html.index(f'href="/articles/{story.slug}/"') - 300 :].split("</article>")[0]
    assert "https://img.example.com/" not in card.replace("https://img.example.com/logo.png", "")
    assert client.get(f"/api/articles/{story.slug}/").json()["image"]["url"] is None


def test_search_ranks_recent_above_old_for_equal_relevance(client, db):
    old = make_article("Robots at work, early", published_at=timezone.now() - timedelta(days=400))
    new = make_article("Robots at work, later", published_at=timezone.now() - timedelta(days=1))
    html = client.get("/search/?q=robots").content.decode()
    titles = re.findall(r'<h2 class="card-title"><a href="[^"]+">(.+?)</a>', html)
    assert [re.sub("</?mark>", "", title) for title in titles] == [new.title, old.title]


def test_search_ranks_only_the_newest_matches(client, db, monkeypatch):
    from django.db import connection

    from articles import search

    monkeypatch.setattr(search, "RANKED_MATCHES", 3)
    now = timezone.now()
    # The oldest match has the word in its title: outside the window it is not listed, however relevant.
    make_article("Robots of yore", published_at=now - timedelta(days=30))
    for n in range(3):
        make_article(f"Item {n}", excerpt="Robots are mentioned here.", published_at=now - timedelta(days=n))
    make_article("Robots today", published_at=now - timedelta(hours=36))
    html = client.get("/search/?q=robots").content.decode()
    titles = [re.sub("</?mark>", "", t) for t in re.findall(r'<h2 class="card-title"><a href="[^"]+">(.+?)</a>', html)]
    if connection.vendor != "postgresql":
        assert len(titles) == 5  # the substring search elsewhere has no window
        return
    assert titles == ["Robots today", "Item 0", "Item 1"]
    assert "These are the best of the newest 3 matches. Add a word to find older stories." in html
    assert "These are the best" not in client.get("/search/?q=yore").content.decode()


def test_search_window_is_written_with_a_thousands_separator(rf, db):
    from django.core.paginator import Paginator
    from django.template.loader import render_to_string

    page = Paginator([], 20).page(1)
    html = render_to_string("articles/search.html", {"q": "x", "page": page, "window_end": 1000}, request=rf.get("/"))
    assert "the best of the newest 1,000 matches" in html
