"""What the article, image, topic and provider admins share: thumbnails, times, per-page counts."""

from django.contrib.admin.views.main import ChangeList
from django.db import connections
from django.db.models import Count
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.html import format_html

THUMB_WIDTH = 64
# A list's per-row counts stop here: beyond it a row says "more than 1,000" (the linked, filtered article list
# gives "about N"). The paginator stops its counts at the same number (articles/paginator.py).
COUNT_CAP = 1_000


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


def attach_capped_counts(objects, attribute: str, model, field: str, *, cap: int | None = None) -> None:
    """As attach_counts, but no count goes past `cap` + 1 (read as "more than `cap`"): an outlet or a topic may hold
    100,000 articles at a million, and counting each of a page's rows whole read 1,000,000 index entries (360 ms for
    the providers page on the shared machine); capped, a page reads at most rows x (cap + 1), whatever the archive.

    One statement for the page (the ORM cannot count a LIMITed subquery per row); PostgreSQL and SQLite alike."""
    objects = list(objects)
    if not objects:
        return
    cap = COUNT_CAP if cap is None else cap
    owner = type(objects[0])._meta
    connection = connections[model._default_manager.db]
    quote = connection.ops.quote_name
    table, column = quote(model._meta.db_table), quote(model._meta.get_field(field).column)
    owners, key = quote(owner.db_table), quote(owner.pk.column)
    marks = ", ".join(["%s"] * len(objects))
    # Identifiers from the models' metadata, quoted; the ids and the cap are parameters.
    sql = (
        f"SELECT o.{key}, (SELECT COUNT(*) FROM (SELECT 1 FROM {table} c WHERE c.{column} = o.{key} LIMIT %s) capped)"  # noqa: S608
        f" FROM {owners} o WHERE o.{key} IN ({marks})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [cap + 1, *(obj.pk for obj in objects)])
        counts = dict(cursor.fetchall())
    for obj in objects:
        setattr(obj, attribute, counts.get(obj.pk, 0))


def count_text(count: int, *, cap: int | None = None) -> str:
    """A capped count as a list shows it: the number, or "more than 1,000"."""
    cap = COUNT_CAP if cap is None else cap
    return f"more than {number_format(cap, force_grouping=True)}" if count > cap else number_format(count)


def counting_changelist(*counts: tuple[str, type, str]) -> type[ChangeList]:
    """A ChangeList that attaches per-row counts (attribute, model, field), capped at COUNT_CAP, to its page."""

    class CountingChangeList(ChangeList):
        def get_results(self, request):
            super().get_results(request)
            page = list(self.result_list)
            for attribute, model, field in counts:
                attach_capped_counts(page, attribute, model, field)

    return CountingChangeList
