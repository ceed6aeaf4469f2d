"""What re-imports changed in articles since an editor last reviewed them, field by field.

The importer records each change of a reviewed article (`UpstreamChange`, articles/ingest/changes.py); an
article changed twice since its review shows each field once: the value the editor saw, and the latest.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import F

from articles.ingest.changes import COLUMNS, LABELS
from articles.models import UpstreamChange

# The order fields are listed in: the article's own columns, then what hangs off it.
_ORDER = {name: n for n, name in enumerate((*COLUMNS, "quality", "provider", "lead_image", "related"))}


@dataclass(frozen=True, slots=True)
class FieldChange:
    field: str
    old: object
    new: object

    @property
    def label(self) -> str:
        return LABELS.get(self.field, self.field)


def merge(records: Iterable[dict]) -> list[FieldChange]:
    """One change per field from records in time order ({field: [old, new]} each); a field changed back is dropped."""
    first_old, last_new = {}, {}
    for changes in records:
        for name, (old, new) in changes.items():
            first_old.setdefault(name, old)
            last_new[name] = new
    changed = [
        FieldChange(name, first_old[name], last_new[name]) for name in last_new if first_old[name] != last_new[name]
    ]
    return sorted(changed, key=lambda change: _ORDER.get(change.field, len(_ORDER)))


def since_review(article_ids: Iterable[int]) -> dict[int, list[FieldChange]]:
    """For each of these articles reviewed before, what changed upstream since its last review (one query)."""
    rows = (
        UpstreamChange.objects.filter(article_id__in=list(article_ids), imported_at__gt=F("article__reviewed_at"))
        .order_by("article_id", "imported_at", "id")
        .values_list("article_id", "changes")
    )
    grouped: dict[int, list[dict]] = {}
    for article_id, changes in rows:
        grouped.setdefault(article_id, []).append(changes)
    return {article_id: merged for article_id, records in grouped.items() if (merged := merge(records))}
