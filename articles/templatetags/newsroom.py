"""Template helpers of the public site: the one URL guard, images, times, JSON-LD, search highlights and the
header's topic navigation."""

import html
from datetime import UTC, datetime

from django import template
from django.utils import timezone
from django.utils.html import conditional_escape, escape, format_html, json_script
from django.utils.safestring import mark_safe

from articles.search import MARK_START, MARK_STOP
from articles.selectors import TopicIndex, topic_index

register = template.Library()

_UNSAFE_CHARS = frozenset(chr(c) for c in [*range(0x21), 0x7F])


@register.filter
def safe_url(value) -> str:
    """`value` if a browser will fetch it over http(s) (absolute, or a path on this site), else "".

    Every href and src of the public site goes through here: stored URLs were checked on import, but
    editors, older data and the image pipeline also write them, and `javascript:` must never get through.
    """
    if not value:
        return ""
    value = str(value)
    # Browsers drop tabs and newlines inside URLs and treat "\" like "/": "/\evil" would leave the site.
    # (A set operation: a loop over the characters was the most expensive line of a page of coverage.)
    if not _UNSAFE_CHARS.isdisjoint(value) or "\\" in value:
        return ""
    if value.startswith("/"):
        return "" if value.startswith("//") else value
    scheme, sep, rest = value.partition("://")
    if sep and scheme.lower() in {"http", "https"} and rest and not rest.startswith("/"):
        return value
    return ""


def _escape(value) -> str:
    """What django.utils.html.escape returns, as a plain str and without its lazy-string wrapper (for f-strings)."""
    return html.escape(str(value))


def first_safe_url(*values) -> str:
    return next((url for url in map(safe_url, values) if url), "")


@register.filter
def original_link(story) -> str:
    """The story at its outlet (an Article or a RelatedLink): originalUrl, else webUrl, if http(s)."""
    return first_safe_url(story.original_url, story.web_url)


@register.filter
def amp_link(story) -> str:
    return first_safe_url(story.amp_url, story.cdn_amp_url)


def absolute_url(request, value) -> str:
    """An absolute http(s) URL for meta tags, feeds and JSON-LD (site paths get this site's origin)."""
    url = safe_url(value)
    if url.startswith("/"):
        return request.build_absolute_uri(url)
    return url


@register.simple_tag
def picture(image, size="card", alt="", lazy=True):
    """An <img> for an Image row: its best rendition, its dimensions (no layout shift), lazily loaded."""
    if image is None:
        return ""
    src = safe_url(image.display_url(size))
    if not src:
        return ""
    width, height = image.display_size(size)
    # Escaped f-strings rather than format_html: the same HTML at half the cost, for every image of every list.
    dimensions = f' width="{_escape(width)}" height="{_escape(height)}"' if width and height else ""
    loading = ' loading="lazy" decoding="async"' if lazy else ""
    return mark_safe(f'<img src="{_escape(src)}" alt="{conditional_escape(alt)}"{dimensions}{loading}>')  # noqa: S308


@register.simple_tag
def provider_logo(provider, lazy=True):
    """The provider's first logo; selectors load logos as `logo_list`."""
    return picture(provider.logo_list[0], "thumb", lazy=lazy) if provider.logo_list else ""


# The one rule for ages, also in static/newsroom.js (which keeps cached pages' ages true), with these thresholds:
# the largest unit that fits, counted in whole units (rounded down, so "1 week ago" until 14 days); under a
# minute, or in the future, is "just now". tests/public/test_relative_times.py holds both to one table of cases.
AGE_UNITS = ((365 * 86400, "year"), (30 * 86400, "month"), (7 * 86400, "week"), (86400, "day"), (3600, "hour"),
             (60, "minute"))  # fmt: skip


def relative_age(value: datetime, now: datetime) -> str:
    seconds = (now - value).total_seconds()
    for size, unit in AGE_UNITS:
        if seconds >= size:
            count = int(seconds // size)
            return f"{count} {unit}{'' if count == 1 else 's'} ago"
    return "just now"


@register.simple_tag
def timestamp(value: datetime | None):
    """<time> with the age ("3 hours ago", kept fresh by newsroom.js) and the absolute date in UTC."""
    if value is None:
        return ""
    iso, age = _escape(value.isoformat()), _escape(relative_age(value, timezone.now()))
    absolute = _escape(value.astimezone(UTC).strftime("%-d %b %Y, %H:%M UTC"))
    return mark_safe(  # noqa: S308 - each value escaped above (an f-string: half of format_html's cost)
        f'<time datetime="{iso}"><span class="relative" data-relative>{age}</span> '
        f'<span class="absolute">{absolute}</span></time>'
    )


MENU_MEMO = 64  # chosen values whose menu a Menu keeps (a filtered page chooses one of a few hundred)


@register.simple_tag
def select_options(choices, selected) -> str:
    """The <option>s of a menu of (value, label) pairs, the `selected` value marked. One join rather than a template
    loop: the outlet menu lists every outlet with public stories (about 300 at 10,000 stories), which cost 2.5 ms of
    a list page through the template engine."""
    # A selectors.Menu keeps its HTML for each value chosen.
    written = getattr(choices, "written", None) if isinstance(selected, str) else None
    if written is not None and (html_options := written.get(selected)) is not None:
        return html_options
    # html.escape is what django.utils.html.escape calls, without its lazy-string wrapper (a third of the time here).
    options = (
        f'<option value="{html.escape(value)}"{" selected" if value == selected else ""}>{html.escape(label)}</option>'
        for value, label in choices
    )
    html_options = mark_safe("".join(options))  # noqa: S308 - every value and label is escaped above
    if written is not None and len(written) < MENU_MEMO:
        written[selected] = html_options
    return html_options


@register.simple_tag(takes_context=True)
def json_ld(context, data: dict):
    """A JSON-LD block. json_script escapes <, > and & so no value can close the element early."""
    block = json_script(data)
    nonce = context.get("csp_nonce")
    opening = format_html('<script type="application/ld+json" nonce="{}">', nonce) if nonce else None
    # Only the fixed opening tag changes; the escaped JSON body is json_script's.
    return mark_safe(  # noqa: S308
        block.replace('<script type="application/json">', opening or '<script type="application/ld+json">', 1)
    )


@register.filter
def highlight(value) -> str:
    """Search snippet with its matches marked: the text is escaped first, then the markers become <mark>."""
    if not value:
        return ""
    return mark_safe(escape(value).replace(MARK_START, "<mark>").replace(MARK_STOP, "</mark>"))  # noqa: S308


@register.simple_tag(takes_context=True)
def absolute(context, value) -> str:
    return absolute_url(context["request"], value)


@register.simple_tag
def modified_time(article) -> str:
    return last_modified(article).isoformat()


def last_modified(article) -> datetime:
    """When our copy of the story last changed: its last import that changed it or an editor's last review,
    never before its publication."""
    moments = (article.published_at, article.last_imported_at, article.reviewed_at)
    return max(moment for moment in moments if moment is not None)


@register.simple_tag(takes_context=True)
def news_article_json_ld(context, article, canonical: str, image_url: str = ""):
    """schema.org NewsArticle for the story page (search engines read it; nothing on the page runs it)."""
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": article.title[:110],
        "description": article.excerpt,
        "datePublished": article.published_at.isoformat(),
        "dateModified": last_modified(article).isoformat(),
        "url": canonical,
        "mainEntityOfPage": canonical,
        "articleSection": [topic.name for topic in article.topics.all()],
    }
    if image_url:
        data["image"] = [image_url]
    if article.provider:
        publisher = {
            "@type": "Organization",
            "name": article.provider.name,
            "url": f"https://{article.provider.domain}/",
        }
        logo = article.provider.logo_list[0] if article.provider.logo_list else None
        logo_url = absolute_url(context["request"], logo.display_url("thumb")) if logo else ""
        if logo_url:
            publisher["logo"] = {"@type": "ImageObject", "url": logo_url}
            width, height = logo.display_size("thumb")
            if width and height:
                publisher["logo"] |= {"width": width, "height": height}
        data["publisher"] = data["author"] = publisher
    original = original_link(article)
    if original.startswith("http"):
        data["isBasedOn"] = original
    return json_ld(context, data)


@register.inclusion_tag("articles/_topic_nav.html", takes_context=True)
def topic_navigation(context):
    """The header's topics (TopicIndex.navigation). List pages already hold the index for their cards and
    filters, so the navigation costs them nothing; other pages read it from the public cache (one query when
    that is cold), and the navigation is then cached with the page."""
    topics = context.get("topics")
    if not isinstance(topics, TopicIndex):
        topics = topic_index()
    current = context.get("topic")
    return {"navigation": topics.navigation, "current_id": getattr(current, "id", None)}
