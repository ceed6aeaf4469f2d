"""What the article, image, topic and provider admins share: thumbnails, times, per-page counts."""

from django.contrib.admin.views.main import ChangeList
from django.db.models import Count
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html

THUMB_WIDTH = 64


def thumbnail(image, *, size: str = "thumb", width: int = THUMB_WIDTH) -> str:
    """An <img> for an Image (its rendition, cached file or remote URL); empty when there is nothing to show."""
    if image is None:
        return ""
    url = image.display_url(size)
    if not url:
        return ""
    # Width only: the browser keeps the aspect ratio. Attributes, not inline styles (the CSP forbids those).
    return format_html('<img src="{}" width="{}" alt="" loading="lazy" referrerpolicy="no-referrer">', url, width)


def first(items):
    """The first of a prefetched relation, without another query."""
    items = list(items)
    return items[0] if items else None


def moment(value) -> str:
    """A time in the admin's one format (DATETIME_FORMAT, newsroom/formats/en/formats.py), in the current zone."""
    return date_format(timezone.localtime(value), "DATETIME_FORMAT") if value else ""


def attach_counts(objects, attribute: str, model, field: str) -> None:
    """Set `attribute` on each object to how many `model` rows point at it through `field`, in one grouped
    query for the objects at hand (a page), instead of a subquery per row or a count of every row."""
    objects = list(objects)
    ids = [obj.pk for obj in objects]
    rows = model._default_manager.filter(**{f"{field}__in": ids}).order_by().values_list(field)
    counts = dict(rows.annotate(n=Count("*")))  # COUNT(*): an index-only scan can answer it
    for obj in objects:
        setattr(obj, attribute, counts.get(obj.pk, 0))


def counting_changelist(*counts: tuple[str, type, str]) -> type[ChangeList]:
    """A ChangeList that attaches per-row counts (attribute, model, field) to the page it shows."""

    class CountingChangeList(ChangeList):
        def get_results(self, request):
            super().get_results(request)
            page = list(self.result_list)
            for attribute, model, field in counts:
                attach_counts(page, attribute, model, field)

    return CountingChangeList
