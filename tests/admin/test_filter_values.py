"""The category and type filters list a column's values by an index probe per value on PostgreSQL (a recursive
query) and by DISTINCT elsewhere: the same values either way. Also run on SQLite (tests/public/test_river_sqlite.py).
"""

from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from articles.admin_filters import distinct_values
from articles.models import Article
from tests.admin.conftest import CHANGELIST, make_article


def plain_distinct(field: str):
    # What AllValuesFieldListFilter hands the filter (and what other databases run).
    return Article.objects.distinct().order_by(field).values_list(field, flat=True)


def values(field: str) -> list:
    return distinct_values(plain_distinct(field), Article._meta.get_field(field))


def test_the_values_are_every_distinct_value_in_order(db):
    assert values("category") == [] == values("quality")
    for category, kind, quality in [
        ("tech", "video", 5), ("news", "article", None), ("tech", "article", 5), ("", "article", 90),
        ("Zürich & <co>", "", None), ("news", "video", 7),
    ]:  # fmt: skip
        make_article(category=category, type=kind, quality=quality)
    for field in ("category", "type", "quality"):
        assert values(field) == list(plain_distinct(field)), field
    assert len(values("category")) == 4
    assert None in values("quality")  # a nullable column's NULL is one of its values, where DISTINCT puts it


def test_a_restricted_queryset_keeps_its_restriction(db):
    make_article(category="kept", quality=1)
    make_article(category="dropped", quality=2)
    restricted = Article.objects.filter(quality=1).order_by("category").values_list("category", flat=True).distinct()
    assert distinct_values(restricted, Article._meta.get_field("category")) == ["kept"]


def test_the_change_list_lists_categories_without_reading_the_table(client, editor):
    make_article(category="opinion", type="video")
    make_article(category="news", type="article")
    cache.clear()  # the values are cached for minutes: compute them here
    client.force_login(editor)
    with CaptureQueriesContext(connection) as queries:
        html = client.get(CHANGELIST).content.decode()
    assert "?category=opinion" in html and "?type=video" in html
    if connection.vendor == "postgresql":
        assert [q["sql"] for q in queries.captured_queries if "DISTINCT" in q["sql"]] == []
