"""Articles -> item files in the import format, so that import(export(db)) restores the same data."""

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import yaml
from django.db.models import Prefetch

from articles.models import Article, Image, RelatedLink

Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def _when(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _images(images) -> list[dict]:
    out = []
    for image in images:
        entry = {"url": image.url, "width": image.width, "height": image.height, "title": image.title or None,
                 "isCached": image.is_cached}  # fmt: skip
        out.append(_compact(entry) | image.extra)
    return out


def _provider(provider) -> dict | None:
    if provider is None:
        return None
    return _compact({"name": provider.name, "domain": provider.domain, "images": _images(provider.logos.all())}) | (
        provider.extra
    )


def _compact(entry: dict) -> dict:
    return {k: v for k, v in entry.items() if v not in (None, "", [])}


def item_front_matter(article: Article) -> dict:
    related = []
    for link in article.related_links.all():
        entry = _compact({
            "title": link.title, "excerpt": link.excerpt, "publishedDateTime": _when(link.published_at),
            "originalUrl": link.original_url, "webUrl": link.web_url, "ampWebUrl": link.amp_url,
            "cdnAmpWebUrl": link.cdn_amp_url, "category": link.category, "type": link.type,
            "provider": _provider(link.provider), "quality": link.quality, "heat": link.heat,
            "images": _images(link.images.all()),
        })  # fmt: skip
        related.append(entry | link.extra)
    data = _compact({
        "category": article.category, "title": article.title, "excerpt": article.excerpt,
        "publishedDateTime": _when(article.published_at), "originalUrl": article.original_url,
        "webUrl": article.web_url, "ampWebUrl": article.amp_url, "cdnAmpWebUrl": article.cdn_amp_url,
        "type": article.type, "quality": article.quality, "heat": article.heat,
    })  # fmt: skip
    data["published"] = article.published
    data |= _compact({
        "provider": _provider(article.provider), "topics": [t.name for t in article.topics.all()],
        "images": _images(article.images.all()), "related": related, "secured": article.secured,
    })  # fmt: skip
    return data | article.extra


def render_item(article: Article) -> str:
    body = yaml.dump(item_front_matter(article), Dumper=Dumper, allow_unicode=True, sort_keys=False, width=10**9)
    return f"---\n{body}---\n"


def export_queryset() -> Iterator[Article]:
    logos = Prefetch("logos", queryset=Image.objects.order_by("position", "id"))
    return (
        Article.objects.select_related("provider")
        .prefetch_related(
            "topics",
            Prefetch("images", queryset=Image.objects.order_by("position", "id")),
            Prefetch("provider__logos", queryset=logos.queryset),
            Prefetch(
                "related_links",
                queryset=RelatedLink.objects.select_related("provider").prefetch_related(
                    Prefetch("images", queryset=Image.objects.order_by("position", "id")),
                    Prefetch("provider__logos", queryset=logos.queryset),
                ),
            ),
        )
        .order_by("published_at", "id")
        .iterator(chunk_size=500)
    )


def export_articles(outdir: Path) -> int:
    outdir.mkdir(parents=True, exist_ok=True)
    count = 0
    for article in export_queryset():
        name = f"{article.published_at:%Y-%m-%d}-{article.slug}.md"
        (outdir / name).write_text(render_item(article), encoding="utf-8")
        count += 1
    return count
