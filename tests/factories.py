"""Test data in one place: item files written from Python data, synthetic batches, snapshots of what is stored."""

import io
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.db import connection

from articles.models import Article, Image, ImportRun, RelatedLink, Topic
from providers.models import Provider
from tests import shared

REPO = shared.REPO

# Article columns that carry content (identity, upstream and editorial); ids and import bookkeeping are left out.
ARTICLE_FIELDS = [
    "web_url", "slug", "title", "excerpt", "category", "type", "published_at", "original_url", "amp_url",
    "cdn_amp_url", "heat", "quality", "published", "source_published", "secured", "extra",
]  # fmt: skip
RELATED_FIELDS = [
    "position", "web_url", "title", "excerpt", "published_at", "original_url", "amp_url", "cdn_amp_url",
    "category", "type", "quality", "heat", "extra",
]  # fmt: skip
IMAGE_FIELDS = ["position", "url", "width", "height", "title", "is_cached", "extra"]


@contextmanager
def tables_written(*, audit: bool = False) -> Iterator[dict[str, str]]:
    """The tables whose rows changed inside the block, as the database itself sees them: every INSERT, UPDATE,
    DELETE and COPY, whichever cursor ran it (Django never records a COPY through the raw psycopg cursor).

    On PostgreSQL a row version is its (ctid, xmin), which every UPDATE replaces, even one that writes the
    same values. Elsewhere (SQLite) the row's values stand in for it, so a write of identical values is not
    seen there. `import_articles`' own audit row (ImportRun) is left out unless `audit` is true.
    """
    tables = [t for t in _table_names() if audit or t != ImportRun._meta.db_table]
    before = {table: _row_versions(table) for table in tables}
    written: dict[str, str] = {}
    yield written
    for table in tables:
        after = _row_versions(table)
        if after != before[table]:
            written[table] = f"{len(after - before[table])} new row versions, {len(before[table] - after)} gone"


def _table_names() -> list[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Permanent tables only: the loader's scratch table is a temporary one.
            cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1")
            return [row[0] for row in cursor.fetchall()]
    return connection.introspection.table_names(include_views=False)


def _row_versions(table: str) -> set[tuple]:
    name = connection.ops.quote_name(table)
    columns = "ctid::text, xmin::text" if connection.vendor == "postgresql" else "rowid, *"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM {name}")  # noqa: S608 - a table name from the catalogue, quoted
        return set(cursor.fetchall())


def item_data(n: int = 1, **overrides) -> dict:
    """Front matter of a plausible item; `n` varies the identity, keyword arguments replace or add fields."""
    data = {
        "category": "news",
        "title": f"Story number {n} about machine learning",
        "excerpt": f"An excerpt for story {n}.",
        "publishedDateTime": f"2021-03-{n % 28 + 1:02d}T10:00:00Z",
        "webUrl": f"https://www.example.com/news/story-{n}.html",
        "type": "article",
        "quality": 50 + n,
        "provider": {"name": "Example News", "domain": "example.com"},
        "topics": ["AI"],
        "images": [{"url": f"https://img.example.com/{n}.jpg", "width": 800, "height": 600, "isCached": True}],
        "related": [
            {
                "title": f"Related coverage {n}",
                "webUrl": f"https://other.example.org/{n}",
                "publishedDateTime": "2021-03-01T08:00:00Z",
                "provider": {"name": "Other Outlet", "domain": "other.example.org"},
                "quality": 10,
                "images": [{"url": f"https://img.example.org/{n}.jpg", "width": 100, "height": 50}],
            }
        ],
        "secured": f"c2VjcmV0{n}==;aXY=",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def item_text(data: dict) -> str:
    return "---\n" + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=10**6) + "---\n"


def write_items(directory: Path, items: dict[str, dict]) -> list[Path]:
    """Write {file name: front matter} under `directory`; returns the paths in the given order."""
    paths = []
    for name, data in items.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(item_text(data), encoding="utf-8")
        paths.append(path)
    return paths


def generate_corpus(outdir: Path, *, count: int, seed: int = 1, **options) -> list[Path]:
    """Synthetic batch from the shared generator (deterministic for a seed); options as its --flags."""
    generator = shared.need(shared.generator(), "the corpus generator (tools/gen_corpus.py)")
    args = [sys.executable, str(generator), str(outdir), "--count", str(count), "--seed", str(seed), "--quiet"]
    for name, value in options.items():
        args += [f"--{name.replace('_', '-')}", str(value)]
    subprocess.run(args, check=True, timeout=120)
    return sorted(outdir.rglob("*.md"))


def _provider(provider) -> dict | None:
    if provider is None:
        return None
    return {
        "domain": provider.domain,
        "name": provider.name,
        "extra": provider.extra,
        "logos": [_image(image) for image in provider.logos.all()],
    }


def _image(image) -> dict:
    return {name: getattr(image, name) for name in IMAGE_FIELDS}


def article_snapshot(queryset=None) -> dict[str, dict]:
    """Every article with all it carries (topics, ordered images and related links), keyed by web_url."""
    queryset = (queryset if queryset is not None else Article.objects.all()).select_related("provider")
    queryset = queryset.prefetch_related(
        "topics", "images", "provider__logos", "related_links__provider__logos", "related_links__images"
    )
    snapshot = {}
    for article in queryset:
        snapshot[article.web_url] = {
            **{name: getattr(article, name) for name in ARTICLE_FIELDS},
            "provider": _provider(article.provider),
            "topics": sorted(topic.name for topic in article.topics.all()),
            "images": [_image(image) for image in article.images.all()],
            "related": [
                {
                    **{name: getattr(link, name) for name in RELATED_FIELDS},
                    "provider": _provider(link.provider),
                    "images": [_image(image) for image in link.images.all()],
                }
                for link in article.related_links.all()
            ],
        }
    return snapshot


def wipe_content() -> None:
    """Delete every article, related link, image, provider and topic (children first: providers are protected)."""
    for model in (Image, RelatedLink, Article, Provider, Topic):
        model.objects.all().delete()


def run_command(command: str, *args, **options) -> str:
    """Run a command that must succeed; returns its output."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(command, *map(str, args), stdout=out, stderr=err, **options)
    except SystemExit as exc:
        pytest.fail(f"{command} exited with {exc.code}:\n{out.getvalue()}{err.getvalue()}")
    return out.getvalue()
