"""Validated, normalised item records: what the parser produces and the loader consumes."""

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Problem:
    path: str
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.field}: {self.reason}"


@dataclass(slots=True)
class ImageRecord:
    url: str
    width: int | None = None
    height: int | None = None
    title: str = ""
    is_cached: bool | None = None
    extra: dict = field(default_factory=dict)


@dataclass(slots=True)
class ProviderRecord:
    domain: str
    name: str
    images: list[ImageRecord] = field(default_factory=list)
    extra: dict = field(default_factory=dict)


@dataclass(slots=True)
class RelatedRecord:
    web_url: str
    title: str
    excerpt: str = ""
    published_at: datetime | None = None
    original_url: str = ""
    amp_url: str = ""
    cdn_amp_url: str = ""
    category: str = ""
    type: str = ""
    quality: int | None = None
    heat: int | None = None
    provider: ProviderRecord | None = None
    images: list[ImageRecord] = field(default_factory=list)
    extra: dict = field(default_factory=dict)


@dataclass(slots=True)
class ItemRecord:
    web_url: str
    title: str
    published_at: datetime
    excerpt: str = ""
    category: str = ""
    type: str = ""
    original_url: str = ""
    amp_url: str = ""
    cdn_amp_url: str = ""
    quality: int | None = None
    heat: int | None = None
    published: bool | None = None
    provider: ProviderRecord | None = None
    topics: list[str] = field(default_factory=list)
    images: list[ImageRecord] = field(default_factory=list)
    related: list[RelatedRecord] = field(default_factory=list)
    secured: str = ""
    extra: dict = field(default_factory=dict)
    # Story clustering's text units (articles.stories.similarity.Unit), computed in the parser's worker.
    story_units: tuple = ()


@dataclass(slots=True)
class ParseResult:
    """One file's outcome: a record (possibly with warnings) or the errors that rejected it."""

    path: str
    content_hash: str
    record: ItemRecord | None = None
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.record is not None and not self.errors
