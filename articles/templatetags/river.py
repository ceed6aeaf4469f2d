"""The river's story entries (`{% river_entry story %}`), each rendered once per process for the values it shows.

An entry's HTML is a pure function of its RiverEntry: plain values computed from this request's StoryEntry before
the lookup, the relative ages of its times included, so that anything a reader would see change changes the key.
Rendering one entry through the template engine cost about 0.2 ms (20 a page: a fifth of an uncached home), while
the same stories come back on every request. Nothing is invalidated, because nothing can go stale: an entry that is
no longer public is simply not asked for, and an old one leaves when the memo is full (settings.RIVER_ENTRY_MEMO
entries a process, least recently used first; 0 renders every entry).
"""

import threading
from collections import OrderedDict
from typing import NamedTuple

from django import template
from django.conf import settings
from django.template.loader import get_template

from articles.templatetags.newsroom import picture, provider_logo, safe_url, timestamp

register = template.Library()


class RiverEntry(NamedTuple):
    """Everything an entry shows, and nothing else: the template is rendered from these values alone."""

    url: str
    title: str
    has_image: bool
    image: str  # the <img> ("" when its URL is not http(s))
    provider: tuple[str, str, str] | None  # (page URL, logo <img>, name)
    published: str  # the lead's <time>, its age included
    updated: str  # "Latest report" <time> when the story moved since the lead, else ""
    excerpt: str
    topics: tuple[tuple[str, str], ...]  # (URL, name)
    coverage: tuple[tuple[str, str, bool, str], ...]  # the inline lines: (outlet, href or "", on this site, title)
    more: int


def entry_values(story) -> RiverEntry:
    """The values of a StoryEntry's river entry (no query)."""
    lead = story.lead
    provider = lead.provider
    image = lead.card_image
    active = story.active_at
    return RiverEntry(
        url=story.lead.get_absolute_url(),
        title=lead.title,
        has_image=image is not None,
        image=picture(image, "card"),
        provider=(provider.get_absolute_url(), provider_logo(provider), provider.name) if provider else None,
        published=timestamp(lead.published_at),
        updated=timestamp(active) if active and active != lead.published_at else "",
        excerpt=lead.excerpt,
        topics=tuple((topic.get_absolute_url(), topic.name) for topic in lead.card_topics),
        coverage=tuple((item.outlet_name, safe_url(item.url), item.local, item.title) for item in story.inline),
        more=story.more,
    )


_memo: OrderedDict[RiverEntry, str] = OrderedDict()
_lock = threading.Lock()


def render_entry(entry: RiverEntry) -> str:
    """The entry's HTML: from the memo when these exact values were rendered before, else from the template."""
    size = settings.RIVER_ENTRY_MEMO
    if size:
        with _lock:
            html = _memo.get(entry)
            if html is not None:
                _memo.move_to_end(entry)
                return html
    # A plain Context, no request: no context processor can add a value the key does not hold.
    html = get_template("articles/_river_entry.html").template.render(template.Context({"entry": entry}))
    if size:
        with _lock:
            _memo[entry] = html
            while len(_memo) > size:
                _memo.popitem(last=False)
    return html


@register.simple_tag
def river_entry(story) -> str:
    return render_entry(entry_values(story))
