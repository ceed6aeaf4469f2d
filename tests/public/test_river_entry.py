"""River entries are memoised per process by the values they show: any change a reader would see changes the key, so
the memo can never serve a stale entry (articles/templatetags/river.py); the filter menus' options are escaped."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from django.utils.safestring import mark_safe

from articles.models import Article
from articles.selectors import Menu
from articles.templatetags import river
from articles.templatetags.newsroom import select_options
from tests.public.conftest import HOSTILE, make_article, make_topic

BASE = river.RiverEntry(
    url="/articles/a/",
    title="A title",
    has_image=True,
    image=mark_safe('<img src="https://img.example.com/1.jpg" alt="">'),
    provider=("/providers/example.com/", mark_safe('<img src="https://img.example.com/logo.png" alt="">'), "Example"),
    published=mark_safe("<time>1 hour ago</time>"),
    updated=mark_safe("<time>5 minutes ago</time>"),
    excerpt="What happened.",
    topics=(("/topics/ai/", "AI"), ("/topics/robots/", "Robots")),
    coverage=(("Outlet", "https://outlet.example.org/1", False, "Coverage one"), ("Here", "/articles/b/", True, "B")),
    more=4,
)
# One changed value for each field, and for each part of the nested ones: what a reader would see differently.
CHANGES = {
    "url": "/articles/other/",
    "title": "Another title",
    "has_image": False,
    "image": mark_safe('<img src="https://img.example.com/2.jpg" alt="">'),
    "provider": None,
    "published": mark_safe("<time>2 hours ago</time>"),
    "updated": "",
    "excerpt": "Something else happened.",
    "topics": (("/topics/ai/", "AI"),),
    "coverage": (),
    "more": 5,
}
NESTED = {
    "provider": [("/providers/other.example/", *BASE.provider[1:]), (BASE.provider[0], "", BASE.provider[2]),
                 (*BASE.provider[:2], "Other")],
    "topics": [(("/topics/ml/", "AI"), BASE.topics[1]), (("/topics/ai/", "ML"), BASE.topics[1])],
    "coverage": [(("Another outlet", *BASE.coverage[0][1:]), BASE.coverage[1]),
                 (("Outlet", "", False, "Coverage one"), BASE.coverage[1]),
                 (("Outlet", "https://outlet.example.org/1", True, "Coverage one"), BASE.coverage[1]),
                 (("Outlet", "https://outlet.example.org/1", False, "Coverage two"), BASE.coverage[1])],
}  # fmt: skip
VARIANTS = list(CHANGES.items()) + [(name, value) for name, values in NESTED.items() for value in values]


@pytest.fixture(autouse=True)
def _empty_memo():
    river._memo.clear()
    yield
    river._memo.clear()


def test_the_variants_cover_every_field():
    assert set(CHANGES) == set(river.RiverEntry._fields)


@pytest.mark.parametrize("memo", [2000, 0])
@pytest.mark.parametrize(("field", "value"), VARIANTS, ids=[f"{name}-{n}" for n, (name, _) in enumerate(VARIANTS)])
def test_a_change_of_any_shown_value_changes_the_entry(settings, memo, field, value):
    settings.RIVER_ENTRY_MEMO = memo
    before = river.render_entry(BASE)
    changed = river.render_entry(BASE._replace(**{field: value}))
    assert changed != before
    assert river.render_entry(BASE) == before  # the memo hands each its own


def test_the_memo_keeps_its_most_recently_used_entries(settings):
    settings.RIVER_ENTRY_MEMO = 3
    entries = [BASE._replace(title=f"Title {n}") for n in range(5)]
    for entry in entries:
        river.render_entry(entry)
    river.render_entry(entries[2])
    river.render_entry(BASE)
    assert list(river._memo) == [entries[4], entries[2], BASE]


def test_entries_are_escaped(settings):
    html = river.render_entry(BASE._replace(title=HOSTILE, excerpt=HOSTILE, topics=(("/t/", HOSTILE),)))
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_the_home_page_shows_edits_and_ages_as_they_change(client, db, settings):
    # Rendered entries outlive requests; what they show must not: a new title, or an hour more of age, is a new entry.
    settings.PUBLIC_PAGE_CACHE = False
    now = timezone.now()
    story = make_article("The first headline", topics=[make_topic("AI")], published_at=now - timedelta(hours=1))
    with time_machine.travel(now, tick=False):
        assert b"1 hour ago" in client.get("/").content
        Article.objects.filter(pk=story.pk).update(title="A corrected headline")  # no signal
        page = client.get("/").content
    assert b"A corrected headline" in page and b"The first headline" not in page
    with time_machine.travel(now + timedelta(hours=1), tick=False):
        assert b"2 hours ago" in client.get("/").content
    assert river._memo


def test_menu_options_are_escaped_and_only_the_chosen_one_is_selected():
    html = select_options([("a&b", HOSTILE), ("c", "C"), ("d", "D")], "c")
    assert html == (
        '<option value="a&amp;b">' + HOSTILE.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        .replace('"', "&quot;").replace("'", "&#x27;") + '</option><option value="c" selected>C</option>'
        '<option value="d">D</option>'
    )  # fmt: skip


def test_a_menu_keeps_its_html_for_each_chosen_value():
    """A selectors.Menu (the topic index's menus, kept by each worker) writes its options once per chosen value: the
    same HTML as an unkept menu, each value marked on its own."""
    options = [("a&b", HOSTILE), ("c", "C"), ("d", "D")]
    menu = Menu(options)
    for chosen in ("c", "d", "", "c", "a&b", "x", "d"):
        assert select_options(menu, chosen) == select_options(options, chosen)
    assert select_options(menu, "d").count(" selected") == 1 and '<option value="d" selected>' in select_options(
        menu, "d"
    )
    assert set(menu.written) == {"c", "d", "", "a&b", "x"}
