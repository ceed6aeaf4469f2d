"""What readers see of a story: the article that leads it on public pages and its coverage, for any set of stories
in two queries (the public members as cards, then their related links), whatever the number of stories.

Only public articles count (Article.objects.public()). The lead is the story's own when that article is public,
else the best public member by clustering's rule (quality, heat, both highest first and missing last, then the
earliest); a story without a public member has no entry. Coverage is the other public members (each a page here)
and the related links of every public member, one entry per URL identity: a link to a member is that member, a link
to a public article outside the story goes to its page here, any other link goes to the outlet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from urllib.parse import urlsplit

from django.db.models import F, OuterRef, QuerySet, Subquery

from articles.compiled import KeptQuery
from articles.models import RelatedLink
from articles.paths import article_path
from articles.selectors import (
    CardImage,
    LinkDetails,
    ProviderCard,
    StoryCard,
    TopicIndex,
    _image,
    card_queryset,
    provider_card,
    public_articles,
    story_cards,
)
from articles.stories.identity import identity_hash
from articles.templatetags.newsroom import first_safe_url

INLINE = 3  # coverage lines a river entry shows under its lead; the rest are "+N more" on the lead's page
LINK_VALUES = ("id", "article_id", "url_hash", "web_url", "original_url", "title", "published_at", "provider_id",
               "provider__name", "provider__domain")  # fmt: skip


@dataclass(slots=True, eq=False)
class CoverageItem:
    """One report of the story: a public member (`article` set, a page here) or a related link."""

    title: str
    url: str  # its page here, or the report at its outlet (http(s) only); "" when neither can be linked
    local: bool  # `url` is a page on this site
    original_url: str  # the report at its outlet (http(s) only), or ""
    outlet: ProviderCard | None
    outlet_name: str  # the outlet's name, else the link's host
    published_at: datetime | None
    image: CardImage | None = None
    article: StoryCard | None = None
    is_lead: bool = False


class StoryEntry:
    """A story as public pages and the API show it.

    Its coverage items are built when asked for: a river entry shows its lead, INLINE lines and a count, so of the
    ~130 related links of a home page it builds about 20 (building them all cost about a fifth of the page's
    Python). The rows are kept instead: the story's public members by the lead rule, and its related links already
    reduced to one per URL identity, which is all the count needs.
    """

    def __init__(self, id: int, lead: StoryCard, member_rows: list[dict], link_rows: list[dict], builder: _Builder,
                 active_at: datetime | None = None):  # fmt: skip
        self.id = id
        self.lead = lead
        self.active_at = active_at  # when the article placing it in a river was published
        self._member_rows = member_rows  # the lead's row first, then the others by the lead rule
        self._link_rows = link_rows  # related links not already members, best first
        self._builder = builder

    @cached_property
    def members(self) -> list[CoverageItem]:
        """The public members, the lead first, then by the lead rule."""
        return [self._builder.member(row, is_lead=row["id"] == self.lead.id) for row in self._member_rows]

    @cached_property
    def links(self) -> list[CoverageItem]:
        """Related links not already members, best first."""
        return [self._builder.link(row) for row in self._link_rows]

    @property
    def coverage(self) -> list[CoverageItem]:
        """Everything but the lead: what a river entry lists under it."""
        return self.members[1:] + self.links

    @cached_property
    def inline(self) -> list[CoverageItem]:
        """The first INLINE coverage items, building no other."""
        others = self._member_rows[1 : INLINE + 1]
        items = [self._builder.member(row, is_lead=False) for row in others]
        return items + [self._builder.link(row) for row in self._link_rows[: INLINE - len(items)]]

    @property
    def more(self) -> int:
        return max(len(self._member_rows) - 1 + len(self._link_rows) - INLINE, 0)

    @property
    def articles(self) -> list[StoryCard]:
        return [item.article for item in self.members]

    def around(self, article_id: int) -> list[CoverageItem]:
        """The coverage a member's own page shows: every other member (the lead marked) and the links."""
        return [item for item in self.members if item.article.id != article_id] + self.links

    @property
    def outlet_count(self) -> int:
        """Distinct outlets reporting the story (by domain, else by host)."""
        return len({item.outlet.domain if item.outlet else item.outlet_name for item in self.members + self.links})


class _Builder:
    """Cards and coverage items from the rows of one story_entries() call, each built once, when first asked for.

    Outlets are shared between the call's items as one ProviderCard each. A member's outlet carries the logo its
    card row holds; a link's outlet has a logo only with `images`, so without them a link never creates the shared
    outlet a member would later reuse (members met after such a link keep their logo, as when all were built first).
    """

    def __init__(self, rows_by_id: dict[int, dict], topics: TopicIndex, images: bool):
        self.rows_by_id = rows_by_id
        self.topics = topics
        self.images = images
        self.providers: dict[int, ProviderCard] = {}
        self.link_providers: dict[int, ProviderCard] = {}
        self.cards: dict[int, StoryCard] = {}
        self.items: dict[int, CoverageItem] = {}

    def card(self, article_id: int) -> StoryCard:
        card = self.cards.get(article_id)
        if card is None:
            card = self.cards[article_id] = story_cards([self.rows_by_id[article_id]], self.topics, self.providers)[0]
        return card

    def member(self, row: dict, *, is_lead: bool) -> CoverageItem:
        item = self.items.get(row["id"])
        if item is None or item.is_lead != is_lead:
            item = self.items[row["id"]] = _member(self.card(row["id"]), is_lead=is_lead)
        return item

    def link(self, row: dict) -> CoverageItem:
        if self.images:
            return _link(row, self.providers)
        pk = row["provider_id"]
        shared = self.providers.get(pk) if pk else None
        return _link(row, {pk: shared} if shared else self.link_providers)


def story_entries(
    story_ids: list[int],
    *,
    topics: TopicIndex,
    leads: dict[int, int] | None = None,
    images: bool = False,
    active: dict[int, datetime] | None = None,
) -> list[StoryEntry]:
    """Entries for the stories in `story_ids`, in that order, skipping those without a public member.

    `leads` (story id -> article id) overrides the lead rule, e.g. with an outlet's own article on its page;
    `images` loads the links' images and outlets' logos (coverage cards); `active` fills `active_at`.
    """
    if not story_ids:
        return []
    rows = _MEMBERS.rows(story_ids)
    builder = _Builder({row["id"]: row for row in rows}, topics, images)
    by_story: dict[int, list[dict]] = {}
    for row in rows:
        by_story.setdefault(row["story_id"], []).append(row)
    story_of = {row["id"]: row["story_id"] for row in rows}
    links_of: dict[int, list[dict]] = {}
    for link in _links(list(story_of), images):
        links_of.setdefault(story_of[link["article_id"]], []).append(link)

    entries = []
    for story_id in story_ids:
        members = by_story.get(story_id)
        if not members:
            continue
        members.sort(key=_lead_rule)
        lead_id = (leads or {}).get(story_id, members[0]["id"])
        members.sort(key=lambda row: row["id"] != lead_id)  # stable: the others keep the rule's order
        seen = {row["web_url_hash"] for row in members}
        coverage = []
        for link in links_of.get(story_id, ()):
            identity = link["url_hash"] or identity_hash(link["web_url"])  # rows written before the hash existed
            if identity not in seen:
                seen.add(identity)
                coverage.append(link)
        lead = builder.card(lead_id)
        entries.append(StoryEntry(story_id, lead, members, coverage, builder, (active or {}).get(story_id)))
    return entries


# The two querysets are compiled once a process (articles.compiled): building them cost about 0.8 ms each a request,
# compiling them about 0.35 ms more. Neither holds a value of its own (Now() is the database's).
def _member_rows() -> QuerySet:
    return card_queryset(public_articles(), "web_url_hash", "story__lead_id")


def _link_rows(images: bool) -> QuerySet:
    local = public_articles().filter(web_url_hash=OuterRef("url_hash")).order_by().values("slug")[:1]
    details = {"details": LinkDetails()} if images else {}
    return RelatedLink.objects.order_by(F("quality").desc(nulls_last=True), "position", "id").values(
        *LINK_VALUES, local_slug=Subquery(local), **details
    )


_MEMBERS = KeptQuery(lambda story_ids: _member_rows().filter(story_id__in=story_ids))
_LINKS = {
    images: KeptQuery(lambda article_ids, images=images: _link_rows(images).filter(article_id__in=article_ids))
    for images in (False, True)
}


def _lead_rule(row: dict) -> tuple:
    """The story's own lead first when it is public, then clustering's rule (articles.stories.clustering)."""
    quality, heat = row["quality"], row["heat"]
    return (row["story__lead_id"] != row["id"], quality is None, -(quality or 0), heat is None, -(heat or 0),
            row["published_at"], row["id"])  # fmt: skip


def _links(article_ids: list[int], images: bool) -> list[dict]:
    """The related links of these articles, best first, each with the slug of the public article its URL identity
    names here (`local_slug`, one indexed lookup per link) and, with `images`, its LinkDetails."""
    return _LINKS[images].rows(article_ids)


def _member(card: StoryCard, *, is_lead: bool) -> CoverageItem:
    provider = card.provider
    return CoverageItem(
        title=card.title,
        url=card.get_absolute_url(),
        local=True,
        original_url=first_safe_url(card.original_url, card.web_url),
        outlet=provider,
        outlet_name=provider.name if provider else _host(card.web_url),
        published_at=card.published_at,
        image=card.card_image,
        article=card,
        is_lead=is_lead,
    )


def _link(row: dict, providers: dict[int, ProviderCard]) -> CoverageItem:
    # Without `images` no logo is loaded: an outlet met first here has none (a member's outlet keeps its own).
    details = row.get("details") or {}
    outlet = provider_card(providers, row, details.get("logo"))
    slug = row["local_slug"]
    original = first_safe_url(row["original_url"], row["web_url"])
    return CoverageItem(
        title=row["title"],
        url=article_path(slug) if slug else original,
        local=bool(slug),
        original_url=original,
        outlet=outlet,
        outlet_name=outlet.name if outlet else _host(row["web_url"]),
        published_at=row["published_at"],
        image=_image(details.get("image")),
    )


def _host(url: str) -> str:
    host = urlsplit(url).hostname or ""
    return host.removeprefix("www.")
