"""A parsed item as the loader writes it: plain tuples, built in the parser's worker. Pure: no Django set-up.

Everything about an item that does not depend on the database is computed here, on every core: its identity
hash, slug, image URL hashes, related links' identities, story units and automatic topics. The main process,
which writes, receives one small named tuple per file instead of a tree of records: pickling records cost
about 290 us per file between the two processes, these tuples about 60 us (bench/import_speed, 20,000 items).
"""

from datetime import datetime
from typing import NamedTuple

from django.utils.text import slugify

from articles.ingest.records import ImageRecord, ParseResult, ProviderRecord
from articles.stories.identity import identity_hash, url_identity_hash
from articles.stories.similarity import Unit
from articles.topics.matcher import TopicMatcher

# The article's upstream values, in the order the loader writes them (loader.ARTICLE_COLUMNS begins with
# these, the provider's domain standing for its id).
ARTICLE_VALUES = [
    "web_url", "slug", "title", "excerpt", "category", "type", "published_at", "original_url", "amp_url",
    "cdn_amp_url", "heat", "provider", "secured", "extra", "source_published",
]  # fmt: skip
# An image's values without its owner: url, url_hash, position, width, height, title, is_cached, extra.
ImageValues = tuple
# A related link's values without its article (loader.LINK_COLUMNS from "position", the provider's domain
# standing for its id), then its images' values.
LinkValues = tuple
# (domain, name, extra, logos' values): what the loader needs to create a provider it does not know yet.
ProviderValues = tuple


class PreparedItem(NamedTuple):
    path: str
    content_hash: str
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    key: str = ""  # identity hash (articles.stories.identity)
    published_at: datetime | None = None
    source_published: bool | None = None
    quality: int | None = None
    article: tuple = ()  # ARTICLE_VALUES
    providers: tuple[ProviderValues, ...] = ()  # every provider the item names, its own and its links'
    topics: tuple[str, ...] = ()  # the file's own topic names
    auto_topics: tuple[tuple[int, str], ...] = ()  # (topic id, matched term) from the taxonomy's terms
    images: tuple[ImageValues, ...] = ()
    related: tuple[LinkValues, ...] = ()
    units: tuple[Unit, ...] = ()  # story clustering's text units (similarity.item_units)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def rank(self) -> tuple[datetime, str]:
        # Several files with one identity: the newest story wins, then the later path.
        return (self.published_at, self.path)

    @property
    def related_keys(self) -> list[str]:
        return [link[2] for link in self.related]


def prepare(result: ParseResult, matcher: TopicMatcher | None = None) -> PreparedItem:
    """What the loader needs of one parse result; `matcher` adds the automatic topics."""
    warnings = tuple(map(str, result.warnings))
    r = result.record
    if r is None or result.errors:
        return PreparedItem(result.path, result.content_hash, tuple(map(str, result.errors)), warnings)
    key = identity_hash(r.web_url)
    providers: dict[str, ProviderRecord] = {}
    for p in [r.provider, *(rel.provider for rel in r.related)]:
        # One outlet named twice: the mention with logos describes it.
        if p is not None and (p.domain not in providers or (p.images and not providers[p.domain].images)):
            providers[p.domain] = p
    article = (
        r.web_url, slug(r.title, key), r.title, r.excerpt, r.category, r.type, r.published_at, r.original_url,
        r.amp_url, r.cdn_amp_url, r.heat, r.provider.domain if r.provider else None, r.secured, r.extra, r.published,
    )  # fmt: skip
    related = tuple(
        (
            position, rel.web_url, identity_hash(rel.web_url), rel.title, rel.excerpt, rel.published_at,
            rel.original_url, rel.amp_url, rel.cdn_amp_url, rel.category, rel.type, rel.quality, rel.heat,
            rel.provider.domain if rel.provider else None, rel.extra, image_values(rel.images),
        )
        for position, rel in enumerate(r.related)
    )  # fmt: skip
    auto_topics = ()
    if matcher:
        auto_topics = tuple((m.topic, m.term) for m in matcher.assign(r.title, r.excerpt))
    return PreparedItem(
        path=result.path,
        content_hash=result.content_hash,
        warnings=warnings,
        key=key,
        published_at=r.published_at,
        source_published=r.published,
        quality=r.quality,
        article=article,
        providers=tuple((p.domain, p.name, p.extra, image_values(p.images)) for p in providers.values()),
        topics=tuple(r.topics),
        auto_topics=auto_topics,
        images=image_values(r.images),
        related=related,
        units=r.story_units,
    )


def slug(title: str, key: str) -> str:
    # The identity hash keeps slugs unique and stable; titles alone repeat across outlets.
    return f"{slugify(title)[:80].strip('-') or 'story'}-{key[:10]}"


def image_values(records: list[ImageRecord]) -> tuple[ImageValues, ...]:
    return tuple(
        (r.url, url_identity_hash(r.url), i, r.width, r.height, r.title, r.is_cached, r.extra)
        for i, r in enumerate(records)
    )
