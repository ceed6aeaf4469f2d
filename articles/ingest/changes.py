"""What a re-import changed in an article an editor had already reviewed: each upstream field, old and new.

The loader reads the old values in its lookup of existing rows (`OLD_VALUES`, filled for reviewed rows only, NULL
for the others), compares them with the new record (`changed_fields`) and writes one `UpstreamChange` row per
changed article with the chunk's other rows: one more statement per chunk, and only when a reviewed article
changed. Values are kept as JSON text, numbers and booleans (times in ISO 8601), for the desk to show.
"""

from datetime import datetime

from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    DateTimeField,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    TextField,
    When,
)

from articles.ingest.prepared import ARTICLE_VALUES, PreparedItem
from articles.models import Image, RelatedLink
from providers.models import Provider

# Article columns compared as they are, in the order the desk lists them.
COLUMNS = (
    "title", "excerpt", "published_at", "category", "type", "heat", "original_url", "amp_url", "cdn_amp_url",
    "source_published",
)  # fmt: skip
# Readable names for the desk; a field missing here is shown by its name.
LABELS = {
    "title": "title",
    "excerpt": "excerpt",
    "published_at": "publication time",
    "category": "category",
    "type": "type",
    "heat": "heat",
    "original_url": "original URL",
    "amp_url": "AMP URL",
    "cdn_amp_url": "CDN AMP URL",
    "source_published": "published upstream",
    "quality": "quality (upstream)",
    "provider": "provider",
    "lead_image": "lead image",
    "related": "related coverage",
}

_POSITION = {name: i for i, name in enumerate(ARTICLE_VALUES)}
_REVIEWED = Q(reviewed_at__isnull=False)
_FIELD_TYPES = {"published_at": DateTimeField(), "heat": IntegerField(), "source_published": BooleanField()}


def _old(expression, output_field):
    # Only reviewed rows need their old values: the rest read NULL, and the subqueries never run for them.
    return Case(When(_REVIEWED, then=expression), default=None, output_field=output_field)


_links = RelatedLink.objects.filter(article=OuterRef("pk")).order_by().values("article")
_provider_name = Provider.objects.filter(pk=OuterRef("provider_id")).order_by().values("name")
OLD_VALUES = {
    **{f"old_{name}": _old(F(name), _FIELD_TYPES.get(name, TextField())) for name in COLUMNS},
    "old_provider": _old(Subquery(_provider_name), CharField()),
    "old_lead_image": _old(
        Subquery(Image.objects.filter(article=OuterRef("pk")).order_by("position", "id").values("url")[:1]),
        TextField(),
    ),
    "old_related": _old(Subquery(_links.annotate(n=Count("*")).values("n")), IntegerField()),
}


def _plain(value):
    return value.isoformat() if isinstance(value, datetime) else value


def changed_fields(row: dict, item: PreparedItem, *, quality_locked: bool) -> dict[str, list]:
    """{field: [old, new]} for each upstream field whose value the item changes; `row` holds OLD_VALUES.

    The upstream quality is only known while no editor set one (then the stored value is upstream's).
    """
    new = {name: item.article[_POSITION[name]] for name in COLUMNS}
    domain = item.article[_POSITION["provider"]]
    new["provider"] = next((name for d, name, *_ in item.providers if d == domain), None) if domain else None
    new["lead_image"] = item.images[0][0] if item.images else None  # image values begin with the URL
    new["related"] = len(item.related)
    old = {name: row[f"old_{name}"] for name in (*COLUMNS, "provider", "lead_image")}
    old["related"] = row["old_related"] or 0
    if not quality_locked:
        new["quality"], old["quality"] = item.quality, row["quality"]
    return {name: [_plain(old[name]), _plain(value)] for name, value in new.items() if old[name] != value}
