"""Reads shared by the public pages, feeds, sitemaps and API; every story comes from Article.objects.public().

Each selector loads what its page shows in a fixed number of queries, whatever the page size, and only
the columns it shows: `secured` and `extra` are never loaded. Provider logos are always `logo_list`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from django.db.models import (
    BigIntegerField,
    CharField,
    Exists,
    F,
    JSONField,
    OuterRef,
    Prefetch,
    QuerySet,
    Value,
)
from django.db.models.fields.files import FieldFile
from django.http import Http404

from articles.cache import cached_public_value
from articles.models import Article, Image, RelatedLink, Topic
from articles.search import OuterTableExpression
from articles.stories.identity import identity_hash
from newsroom.errors import InvalidParameter
from providers.models import Provider

PAGE_SIZE = 20
MAX_PAGE = 100_000  # far beyond any archive; larger numbers would overflow the database's OFFSET
FEED_SIZE = 50

# What Image.display_url()/display_size() and the templates read; the query-count tests catch any drift
# (a field missing here costs one query per image).
IMAGE_DISPLAY_FIELDS = ("id", "url", "width", "height", "title", "file", "renditions", "status")
IMAGE_FIELDS = (*IMAGE_DISPLAY_FIELDS, "position", "article_id", "related_link_id", "provider_id")
CARD_VALUES = ("id", "slug", "title", "excerpt", "published_at", "type", "category", "quality", "heat",
               "web_url", "original_url", "amp_url", "cdn_amp_url", "story_id", "provider_id", "provider__name",
               "provider__domain")  # fmt: skip
CARD_FIELD_NAMES = [name for name in CARD_VALUES if not name.startswith("provider")]


def public_articles() -> QuerySet:
    return Article.objects.public()


def latest_first(queryset: QuerySet) -> QuerySet:
    return queryset.order_by("-published_at", "-id")


def _images() -> QuerySet:
    return Image.objects.only(*IMAGE_FIELDS).order_by("position", "id")


def _logos(lookup: str = "provider__logos") -> Prefetch:
    return Prefetch(lookup, queryset=_images(), to_attr="logo_list")


class CardDetails(OuterTableExpression):
    """One JSON value per story with what a card shows besides its own columns: the first image, the
    provider's first logo, the topic ids and the number of other sources.

    Written as SQL because on a page of cards the ORM spent longer building and compiling the four
    equivalent Subquery() annotations than the database spent running them, and four separate ORM queries for
    the rows shown (first images, logos, topic ids, link counts) cost more still: at 10,000 stories, in-process,
    fastest of 100 requests, home 33 vs 29 ms, topic 33 vs 29 ms, article 21 vs 16 ms, API list 13 vs 10.5 ms
    (bench/README.md, "CardDetails against the ORM"). The only hand-written SQL of the cards, with LinkDetails;
    tests/public/test_card_details.py checks both on PostgreSQL and SQLite. The article table is referenced
    through the alias the query gives it, so the expression also works inside subqueries.
    """

    output_field = JSONField()
    POSTGRESQL = (
        "jsonb_build_object("
        "'image', (SELECT {image} FROM {images} i WHERE i.article_id = {a}.id {first}), "
        "'logo', (SELECT {image} FROM {images} i WHERE i.provider_id = {a}.provider_id {first}), "
        "'topics', (SELECT jsonb_agg(t.topic_id) FROM {topics} t WHERE t.article_id = {a}.id), "
        "'sources', (SELECT count(*) FROM {links} r WHERE r.article_id = {a}.id))"
    )  # fmt: skip
    SQLITE = (
        "json_object("
        "'image', json((SELECT {image} FROM {images} i WHERE i.article_id = {a}.id {first})), "
        "'logo', json((SELECT {image} FROM {images} i WHERE i.provider_id = {a}.provider_id {first})), "
        "'topics', json((SELECT json_group_array(t.topic_id) FROM {topics} t WHERE t.article_id = {a}.id)), "
        "'sources', (SELECT count(*) FROM {links} r WHERE r.article_id = {a}.id))"
    )  # fmt: skip

    def _sql(self, compiler, template: str, build_object: str, renditions: str):
        quote = compiler.quote_name
        columns = ", ".join(f"'{c}', i.{c}" for c in IMAGE_DISPLAY_FIELDS if c != "renditions")
        return template.format(
            image=f"{build_object}({columns}, 'renditions', {renditions})",
            first="ORDER BY i.position, i.id LIMIT 1",
            a=quote(self.alias),
            images=quote(Image._meta.db_table),
            topics=quote(Article.topics.through._meta.db_table),
            links=quote(RelatedLink._meta.db_table),
        ), []

    def as_postgresql(self, compiler, connection):
        return self._sql(compiler, self.POSTGRESQL, "jsonb_build_object", "i.renditions")

    def as_sqlite(self, compiler, connection):
        # SQLite stores JSON as text: json() keeps it an object inside the built object.
        return self._sql(compiler, self.SQLITE, "json_object", "json(i.renditions)")


class LinkDetails(CardDetails):
    """A related link's first image and its outlet's first logo, as CardDetails gives them for an article (the
    coverage cards of a story page and the API); the outer table is the related link's."""

    POSTGRESQL = (
        "jsonb_build_object("
        "'image', (SELECT {image} FROM {images} i WHERE i.related_link_id = {a}.id {first}), "
        "'logo', (SELECT {image} FROM {images} i WHERE i.provider_id = {a}.provider_id {first}))"
    )  # fmt: skip
    SQLITE = (
        "json_object("
        "'image', json((SELECT {image} FROM {images} i WHERE i.related_link_id = {a}.id {first})), "
        "'logo', json((SELECT {image} FROM {images} i WHERE i.provider_id = {a}.provider_id {first})))"
    )  # fmt: skip


def card_queryset(queryset: QuerySet, *annotations: str) -> QuerySet:
    """Stories as card rows, in one query: the columns a card shows, its provider and CardDetails.

    Rows, not model instances: building 20 Article and Provider instances cost more than the query.
    story_cards() turns them into StoryCards; `annotations` adds the queryset's own (search snippets).
    """
    return queryset.values(*CARD_VALUES, *annotations, card=CardDetails())


@dataclass(slots=True, eq=False)
class CardImage:
    """An image as lists show it: the columns Image.display_url()/display_size() read, with those rules.

    Plain data rather than an unsaved Image: building a model instance cost more than the rest of its card.
    """

    id: int
    url: str
    width: int | None
    height: int | None
    title: str
    file: FieldFile | str
    status: str
    renditions: dict

    Status = Image.Status
    display_url = Image.display_url
    display_size = Image.display_size


_IMAGE_FILE = Image._meta.get_field("file")


@dataclass(slots=True, eq=False)
class ProviderCard:
    id: int
    name: str
    domain: str
    logo_list: list[CardImage]

    get_absolute_url = Provider.get_absolute_url  # the model's own URL rule


@dataclass(eq=False)
class StoryCard:
    """A story as lists, feeds and the API list show it: plain data with the model's URL rule."""

    id: int
    slug: str
    title: str
    excerpt: str
    published_at: datetime
    type: str
    category: str
    quality: int | None
    heat: int | None
    web_url: str
    original_url: str
    amp_url: str
    cdn_amp_url: str
    story_id: int
    provider: ProviderCard | None
    card_image: CardImage | None
    card_topics: list[TopicEntry]
    source_count: int
    title_snippet: str = ""
    excerpt_snippet: str = ""

    get_absolute_url = Article.get_absolute_url


def _image(data) -> CardImage | None:
    if not data:
        return None
    image = CardImage(**data)
    if image.file:
        # What the model's descriptor would hand display_url(): the stored name with the field's storage.
        image.file = FieldFile(None, _IMAGE_FILE, image.file)
    return image


def provider_card(providers: dict[int, ProviderCard], row: dict, logo) -> ProviderCard | None:
    """The row's outlet (`provider_id`, `provider__name`, `provider__domain`), one ProviderCard per outlet in
    `providers`; `logo` is the JSON of CardDetails or LinkDetails."""
    pk = row["provider_id"]
    if not pk:
        return None
    provider = providers.get(pk)
    if provider is None:
        image = _image(logo)
        provider = providers[pk] = ProviderCard(
            pk, row["provider__name"], row["provider__domain"], [image] if image else []
        )
    return provider


def story_cards(rows: list[dict], topics: TopicIndex, providers: dict | None = None) -> list[StoryCard]:
    """StoryCards from card_queryset() rows (no query): lead image, provider with logo, topics, sources."""
    providers = {} if providers is None else providers
    cards = []
    for row in rows:
        details = row["card"]
        cards.append(
            StoryCard(
                **{name: row[name] for name in CARD_FIELD_NAMES},
                provider=provider_card(providers, row, details["logo"]),
                card_image=_image(details["image"]),
                card_topics=topics.in_order(details["topics"] or ()),
                source_count=details["sources"],
                title_snippet=row.get("title_snippet", ""),
                excerpt_snippet=row.get("excerpt_snippet", ""),
            )
        )
    return cards


def card_page_or_404(queryset: QuerySet, number, topics: TopicIndex, *annotations: str) -> Page:
    """One page of StoryCards from `queryset`, in its order (one query)."""
    page = page_or_404(card_queryset(queryset, *annotations), number)
    page.object_list = story_cards(page.object_list, topics)
    return page


def for_article_page(queryset: QuerySet, *, related: bool = True) -> QuerySet:
    """One article with everything its page shows (4 queries), and with `related` its own related links ranked by
    quality, as the API's article detail lists them (3 more). The page shows its story's coverage instead."""
    prefetches = [Prefetch("topics", queryset=Topic.objects.only("id", "name", "slug")),
                  Prefetch("images", queryset=_images()), _logos()]  # fmt: skip
    if related:
        links = (
            RelatedLink.objects.select_related("provider")
            .defer("extra", "provider__extra", "provider__other_names")
            .prefetch_related(Prefetch("images", queryset=_images()), _logos())
            .order_by(F("quality").desc(nulls_last=True), "position")
        )
        prefetches.append(Prefetch("related_links", queryset=links))
    return (
        queryset.select_related("provider")
        .defer("secured", "extra", "editor_locked", "source_path", "content_hash", "provider__extra")
        .prefetch_related(*prefetches)
    )


def link_local_coverage(links: list[RelatedLink]) -> None:
    """Set `link.local_slug` on related links whose story is itself public here (one query)."""
    by_hash = {link.url_hash or identity_hash(link.web_url): link for link in links}
    for link in links:
        link.local_slug = None
    if not by_hash:
        return
    for web_url_hash, slug in public_articles().filter(web_url_hash__in=by_hash).values_list("web_url_hash", "slug"):
        by_hash[web_url_hash].local_slug = slug


# --------------------------------------------------------------------------- pages


@dataclass
class Page:
    """A page of a list without COUNT(*): counting 100,000 public stories costs more than the page itself."""

    object_list: list
    number: int
    more: bool
    size: int = PAGE_SIZE

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self):
        return len(self.object_list)

    def has_next(self) -> bool:
        return self.more

    def has_previous(self) -> bool:
        return self.number > 1

    def has_other_pages(self) -> bool:
        return self.more or self.has_previous()

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1

    def start_index(self) -> int:
        return (self.number - 1) * self.size + 1 if self.object_list else 0


_PAGE_NUMBER = re.compile(r"0*([1-9][0-9]{0,5})")


def page_number(value: str | None) -> int:
    """The page a `page` parameter asks for: absent or empty means the first; anything but a whole number from 1
    to MAX_PAGE is refused (a 400 naming the parameter) rather than quietly read as page 1."""
    if value is None or value == "":
        return 1
    match = _PAGE_NUMBER.fullmatch(value.strip())
    if match is None or int(match[1]) > MAX_PAGE:
        raise InvalidParameter("page", f"page must be a whole number from 1 to {MAX_PAGE}.")
    return int(match[1])


def page_parameter(value: str) -> str | None:
    """`page` as the public cache keys it: the bare number, nothing for page 1; an invalid value stays as given,
    for the view to refuse."""
    try:
        number = page_number(value)
    except InvalidParameter:
        return value
    return None if number == 1 else str(number)


def page_or_404(queryset: QuerySet, number, size: int | None = None) -> Page:
    """One page of `queryset` (one query for the rows, one more row to know if another page follows).

    Past page 1 the rows skipped cost only their keys: the page's ids first, then its rows with their details
    (card subqueries, snippets), which PostgreSQL would otherwise compute for every row of the OFFSET
    (bench/scale: /api/articles/?page=226 took about 300 ms against 30 ms for page 1; 21 to 31 ms since)."""
    number, size = page_number(number), size or PAGE_SIZE
    window = slice((number - 1) * size, number * size + 1)
    if number == 1:
        rows = list(queryset[window])
    else:
        ids = list(queryset.values_list("pk", flat=True)[window])
        rows = list(queryset.filter(pk__in=ids)) if ids else []
    if number > 1 and not rows:
        raise Http404("No such page.")
    return Page(rows[:size], number, len(rows) > size, size)


# --------------------------------------------------------------------------- topics and providers


@dataclass(slots=True, eq=False)
class TopicEntry:
    id: int
    name: str
    slug: str
    parent_id: int | None
    shortname: str
    description: str
    has_public_stories: bool = False  # filed directly under this topic (visible_ids adds the ancestors)
    parent_topic: TopicEntry | None = None
    index_order: int = 0

    get_absolute_url = Topic.get_absolute_url  # the model's own URL rule


@dataclass(slots=True, eq=False)
class OutletEntry:
    id: int
    name: str
    domain: str


@dataclass
class TopicIndex:
    """All topics as plain data in one query: the filter's choices, card topics, parents and children, the
    header's topic navigation; with the outlets that have public stories when a page offers them as a filter."""

    topics: list[TopicEntry]
    outlets: list[OutletEntry] = field(default_factory=list)
    by_slug: dict[str, TopicEntry] = field(init=False)
    by_id: dict[int, TopicEntry] = field(init=False)
    children: dict[int | None, list[TopicEntry]] = field(init=False)

    def __post_init__(self):
        self.by_slug = {topic.slug: topic for topic in self.topics}
        self.by_id = {topic.id: topic for topic in self.topics}
        self.children = {}
        for position, topic in enumerate(self.topics):
            topic.index_order = position
            topic.parent_topic = self.by_id.get(topic.parent_id)
            self.children.setdefault(topic.parent_id, []).append(topic)

    def in_order(self, ids) -> list[TopicEntry]:
        """The topics with these ids, in the index's (alphabetical) order."""
        return sorted((self.by_id[i] for i in set(ids) if i in self.by_id), key=lambda topic: topic.index_order)

    def descendant_ids(self, topic: TopicEntry) -> set[int]:
        found, stack = set(), [topic]
        while stack:
            current = stack.pop()
            if current.id not in found:
                found.add(current.id)
                stack.extend(self.children.get(current.id, []))
        return found

    def ancestors(self, topic: TopicEntry) -> list[TopicEntry]:
        chain, seen, current = [], {topic.id}, topic.parent_topic
        while current is not None and current.id not in seen:
            chain.insert(0, current)
            seen.add(current.id)
            current = current.parent_topic
        return chain

    @cached_property
    def visible_ids(self) -> set[int]:
        """Topics with a public story in them or in a descendant: the ones readers are offered."""
        visible = set()
        for topic in self.topics:
            current = topic if topic.has_public_stories else None
            while current is not None and current.id not in visible:
                visible.add(current.id)
                current = current.parent_topic
        return visible

    def _visible(self, parent_id: int | None) -> list[TopicEntry]:
        return [topic for topic in self.children.get(parent_id, []) if topic.id in self.visible_ids]

    @cached_property
    def navigation(self) -> list[TopicEntry]:
        """The header's topics: the top level of the tree that has public stories. When one topic holds them
        all (a site about AI), that topic is the whole site and its sub-topics are what readers choose from."""
        level = self._visible(None)
        while len(level) == 1 and (below := self._visible(level[0].id)):
            level = below
        return level

    @cached_property
    def choices(self) -> Menu:
        """The topic filter's options: every topic with public stories, alphabetically."""
        return Menu((topic.slug, topic.name) for topic in self.topics if topic.id in self.visible_ids)

    @cached_property
    def outlet_choices(self) -> Menu:
        """The outlet filter's options: (domain, name) of the outlets with public stories, alphabetically."""
        return Menu((outlet.domain, outlet.name) for outlet in self.outlets)


class Menu(tuple):
    """A filter menu's (value, label) options, with their HTML for each value chosen as it is first written (by
    `select_options`): the index, and so its menus, is kept by each worker until the next public change, and writing
    the outlet menu's ~300 options cost about 0.3 ms of every list page."""

    def __new__(cls, options=()):
        menu = super().__new__(cls, options)
        menu.written = {}
        return menu


TOPIC_ROW, OUTLET_ROW = 0, 1


def topic_index(*, outlets: bool = False) -> TopicIndex:
    """The TopicIndex; with `outlets`, also the outlets with public stories (a list page's filter menu).

    One query, and none most of the time: the index is kept in the public cache until the next public change,
    like the pages, because the "has public stories" flags grow with the archive (about 4 ms for topics and
    8 ms with outlets at 18,000 stories; bench/topic_index) and every page shows the topic navigation.
    """
    return cached_public_value(f"topic-index:{'outlets' if outlets else 'topics'}", lambda: _load_index(outlets))


def _load_index(outlets: bool) -> TopicIndex:
    # One query: the outlets come UNION ALL the topics (and no ORDER BY inside a UNION: sorted here).
    columns = ("id", "name", "slug", "parent_id", "shortname", "description")
    rows = Topic.objects.order_by().values_list(
        Value(TOPIC_ROW), *columns, Exists(public_articles().filter(topics=OuterRef("pk")))
    )
    if outlets:
        blank, no_parent = Value("", output_field=CharField()), Value(None, output_field=BigIntegerField())
        outlet_rows = (
            Provider.objects.order_by()
            .filter(Exists(public_articles().filter(provider_id=OuterRef("pk"))))
            .values_list(Value(OUTLET_ROW), "id", "name", "domain", no_parent, blank, blank, Value(True))
        )
        rows = rows.union(outlet_rows, all=True)
    topics, found = [], []
    for kind, *row in rows:
        if kind == TOPIC_ROW:
            topics.append(TopicEntry(*row))
        else:
            found.append(OutletEntry(*row[:3]))
    topics.sort(key=lambda topic: (topic.name.casefold(), topic.id))
    found.sort(key=lambda outlet: (outlet.name.casefold(), outlet.domain))
    return TopicIndex(topics, found)


def in_topics(queryset: QuerySet, topic_ids) -> QuerySet:
    # EXISTS rather than a join: a story in two of the topics must not be listed twice.
    through = Article.topics.through.objects.filter(article_id=OuterRef("pk"), topic_id__in=topic_ids)
    return queryset.filter(Exists(through))


def visible_topic_ids() -> set[int]:
    """Topics with a public story in them or in a descendant (one query)."""
    return topic_index().visible_ids


def providers_with_logos() -> QuerySet:
    return Provider.objects.defer("extra", "other_names").prefetch_related(_logos("logos"))


def providers_with_public_stories() -> QuerySet:
    return providers_with_logos().filter(Exists(public_articles().filter(provider_id=OuterRef("pk"))))
