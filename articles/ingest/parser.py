"""Item file -> validated ItemRecord, or precise errors. Pure Python: no database.

A fatal problem (no title, no usable identity URL, a required field of the wrong
type, invalid YAML, not UTF-8) rejects the file; a problem in an optional value
drops just that value with a warning.
"""

import hashlib
import os
from functools import partial
from pathlib import Path

from articles.ingest import fields as f
from articles.ingest.records import (
    ImageRecord,
    ItemRecord,
    ParseResult,
    Problem,
    ProviderRecord,
    RelatedRecord,
)
from articles.ingest.yamlsafe import MAX_FILE_BYTES, FrontMatterError, load_front_matter
from articles.stories.similarity import item_units

MAX_TOPICS = 50
MAX_IMAGES = 50
MAX_RELATED = 100
SECURED_MAX = 65536

_short = partial(f.text, max_length=50)
_title = partial(f.text, max_length=1000)
_excerpt = partial(f.text, max_length=10000)

# Optional scalar fields shared by items and related entries: YAML key -> (attribute, normaliser).
SCALAR_RULES = {
    "excerpt": ("excerpt", _excerpt),
    "category": ("category", _short),
    "type": ("type", _short),
    "originalUrl": ("original_url", f.url),
    "ampWebUrl": ("amp_url", f.url),
    "cdnAmpWebUrl": ("cdn_amp_url", f.url),
    "quality": ("quality", f.integer),
    "heat": ("heat", f.integer),
}
ITEM_ONLY_RULES = {"published": ("published", f.boolean)}
IMAGE_RULES = {
    "width": ("width", f.dimension),
    "height": ("height", f.dimension),
    "title": ("title", _title),
    "isCached": ("is_cached", f.boolean),
}
# Keys with dedicated handling (everything else is kept verbatim in `extra`).
ITEM_KEYS = {"title", "webUrl", "publishedDateTime", "provider", "topics", "images", "related", "secured"}
# The same sets and merged rules, built once rather than for every item, image and related entry.
_ITEM_RULES = SCALAR_RULES | ITEM_ONLY_RULES
_ITEM_KNOWN = frozenset(ITEM_KEYS | SCALAR_RULES.keys() | ITEM_ONLY_RULES.keys())
_IMAGE_KNOWN = frozenset({"url"} | IMAGE_RULES.keys())
_PROVIDER_KNOWN = frozenset({"name", "domain", "images"})
_RELATED_KNOWN = frozenset({"title", "webUrl", "publishedDateTime", "provider", "images"} | SCALAR_RULES.keys())


def content_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=32).hexdigest()


class _Collector:
    """Errors and warnings for one file, each tagged with the file path and a field path."""

    def __init__(self, path: str, base_url: str = ""):
        self.path = path
        self.base_url = base_url
        self.errors: list[Problem] = []
        self.warnings: list[Problem] = []

    def error(self, field: str, reason: str) -> None:
        self.errors.append(Problem(self.path, field, reason))

    def warn(self, field: str, reason: str) -> None:
        self.warnings.append(Problem(self.path, field, reason))

    def optional(self, target: dict, data: dict, rules: dict, prefix: str = "") -> None:
        for key, (attr, normalise) in rules.items():
            value = data.get(key)
            if value is None:
                continue
            try:
                target[attr] = normalise(value)
            except f.Invalid as exc:
                self.warn(prefix + key, f"{exc}; value dropped")

    def unknown_fields(self, data: dict, known: frozenset, prefix: str = "") -> dict:
        if known.issuperset(data):  # the common case, decided in C
            return {}
        kept = {}
        for key, value in data.items():
            if key in known:
                continue
            try:
                kept[f.CONTROL_CHARS.sub("", str(key))] = f.json_safe(value)
            except f.Invalid as exc:
                self.warn(prefix + str(key), f"{exc}; value dropped")
        return kept


def read_item(path: str) -> bytes:
    """A file's bytes, at most one past MAX_FILE_BYTES (enough for load_front_matter to refuse it).

    Sized by the file: `read(MAX_FILE_BYTES + 1)` allocates a megabyte for every 5 KB item and gives most of it
    back, 14 us a file against 5 (an import's main process reads every file of the batch). A file that grew
    since its size was read is read on, still to the same limit."""
    with open(path, "rb") as handle:
        size = min(os.fstat(handle.fileno()).st_size, MAX_FILE_BYTES) + 1
        data = handle.read(size)
        if len(data) == size and size <= MAX_FILE_BYTES:
            data += handle.read(MAX_FILE_BYTES + 1 - size)
    return data


def parse_file(path: str | Path, base_url: str = "") -> ParseResult:
    path = str(path)
    try:
        data = read_item(path)
    except OSError as exc:
        return ParseResult(path, "", errors=[Problem(path, "file", f"cannot read: {exc.strerror}")])
    return parse_bytes(data, path, base_url)


def parse_bytes(data: bytes, path: str, base_url: str = "", digest: str | None = None) -> ParseResult:
    """`base_url` resolves site-relative image paths (old items link logos as `/assets/...`); `digest` is the data's
    content_hash when the caller has it already (the importer's, which skips unchanged files by it)."""
    result = ParseResult(path, digest or content_hash(data))
    log = _Collector(path, base_url)
    try:
        raw, stripped = load_front_matter(data)
    except FrontMatterError as exc:
        log.error(exc.field, exc.reason)
    else:
        if stripped:
            log.warn("file", f"{stripped} control character(s) removed")
        result.record = _item(raw, log)
    result.errors, result.warnings = log.errors, log.warnings
    if result.errors:
        result.record = None
    return result


def _item(raw: dict, log: _Collector) -> ItemRecord | None:
    values: dict = {}
    try:
        values["title"] = f.required_text(raw.get("title"), max_length=1000)
    except f.Invalid as exc:
        log.error("title", str(exc) if "title" in raw else "missing")

    identity_key = "originalUrl" if raw.get("webUrl") is None and raw.get("originalUrl") is not None else "webUrl"
    try:
        values["web_url"] = f.url(raw.get(identity_key))
    except f.Invalid as exc:
        log.error(identity_key, str(exc) if identity_key in raw else "missing")

    try:
        values["published_at"] = f.timestamp(raw.get("publishedDateTime"))
    except f.Invalid as exc:
        log.error("publishedDateTime", str(exc) if "publishedDateTime" in raw else "missing")

    if log.errors:
        return None

    log.optional(values, raw, _ITEM_RULES)
    if raw.get("provider") is not None:
        values["provider"] = _provider(raw["provider"], log, "provider")
    values["topics"] = _topics(raw.get("topics"), log)
    values["images"] = _images(raw.get("images"), log, "images")
    values["related"] = _related_list(raw.get("related"), log)
    values["secured"] = _secured(raw.get("secured"), log)
    values["extra"] = log.unknown_fields(raw, _ITEM_KNOWN)
    record = ItemRecord(**values)
    # Here rather than in the loader: the parser runs on every core, the loader on one.
    record.story_units = item_units(record)
    return record


def _provider(raw, log: _Collector, prefix: str) -> ProviderRecord | None:
    if not isinstance(raw, dict):
        log.warn(prefix, "expected a mapping; provider dropped")
        return None
    try:
        domain = f.domain(raw.get("domain"))
    except f.Invalid as exc:
        log.warn(f"{prefix}.domain", f"{exc}; provider dropped")
        return None
    try:
        name = f.text(raw.get("name") or domain, max_length=200) or domain
    except f.Invalid as exc:
        log.warn(f"{prefix}.name", f"{exc}; the domain is used as name")
        name = domain
    images = _images(raw.get("images"), log, f"{prefix}.images")
    extra = log.unknown_fields(raw, _PROVIDER_KNOWN, prefix + ".")
    return ProviderRecord(domain=domain, name=name, images=images, extra=extra)


def _topics(raw, log: _Collector) -> list[str]:
    if raw is None:
        return []
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list):
        log.warn("topics", "expected a list; topics dropped")
        return []
    topics, seen = [], set()
    for index, value in enumerate(raw):
        try:
            name = f.required_text(value, max_length=100)
        except f.Invalid as exc:
            log.warn(f"topics[{index}]", f"{exc}; topic dropped")
            continue
        if name.casefold() not in seen:
            seen.add(name.casefold())
            topics.append(name)
    if len(topics) > MAX_TOPICS:
        log.warn("topics", f"more than {MAX_TOPICS} topics; the rest dropped")
    return topics[:MAX_TOPICS]


def _images(raw, log: _Collector, prefix: str) -> list[ImageRecord]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        log.warn(prefix, "expected a list; images dropped")
        return []
    images = []
    for index, entry in enumerate(raw[:MAX_IMAGES]):
        where = f"{prefix}[{index}]"
        if isinstance(entry, str):  # taxonomy files list bare URLs
            entry = {"url": entry}
        if not isinstance(entry, dict):
            log.warn(where, "expected a mapping; image dropped")
            continue
        try:
            values = {"url": f.image_url(entry.get("url"), base_url=log.base_url)}
        except f.Invalid as exc:
            log.warn(f"{where}.url", f"{exc}; image dropped")
            continue
        log.optional(values, entry, IMAGE_RULES, where + ".")
        values["extra"] = log.unknown_fields(entry, _IMAGE_KNOWN, where + ".")
        images.append(ImageRecord(**values))
    if len(raw) > MAX_IMAGES:
        log.warn(prefix, f"more than {MAX_IMAGES} images; the rest dropped")
    return images


def _related_list(raw, log: _Collector) -> list[RelatedRecord]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        log.warn("related", "expected a list; related coverage dropped")
        return []
    related = []
    for index, entry in enumerate(raw[:MAX_RELATED]):
        where = f"related[{index}]"
        if not isinstance(entry, dict):
            log.warn(where, "expected a mapping; entry dropped")
            continue
        values: dict = {}
        try:
            values["title"] = f.required_text(entry.get("title"), max_length=1000)
            key = "webUrl" if entry.get("webUrl") is not None else "originalUrl"
            values["web_url"] = f.url(entry.get(key))
        except f.Invalid as exc:
            field = "title" if "title" not in values else key
            log.warn(f"{where}.{field}", f"{exc}; entry dropped")
            continue
        if entry.get("publishedDateTime") is not None:
            try:
                values["published_at"] = f.timestamp(entry["publishedDateTime"])
            except f.Invalid as exc:
                log.warn(f"{where}.publishedDateTime", f"{exc}; value dropped")
        log.optional(values, entry, SCALAR_RULES, where + ".")
        if entry.get("provider") is not None:
            values["provider"] = _provider(entry["provider"], log, f"{where}.provider")
        values["images"] = _images(entry.get("images"), log, f"{where}.images")
        values["extra"] = log.unknown_fields(entry, _RELATED_KNOWN, where + ".")
        related.append(RelatedRecord(**values))
    if len(raw) > MAX_RELATED:
        log.warn("related", f"more than {MAX_RELATED} entries; the rest dropped")
    return related


def _secured(raw, log: _Collector) -> str:
    # Opaque: kept byte for byte or not at all, never trimmed or cleaned.
    if raw is None:
        return ""
    if not isinstance(raw, str):
        log.warn("secured", f"expected text, got {type(raw).__name__}; value dropped")
        return ""
    if len(raw) > SECURED_MAX or f.CONTROL_CHARS.search(raw):
        log.warn("secured", f"longer than {SECURED_MAX} characters or holds control characters; value dropped")
        return ""
    return raw
