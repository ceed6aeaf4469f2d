"""Rows written by articles.ingest.rows: on PostgreSQL a binary COPY, whose dumpers check less than the text format's
parsing did. Whatever they would have let through wrapped or raised as something else is refused as a DataError,
which the loader turns into one failed file."""

from datetime import UTC, datetime

import pytest
from django.db import DataError, connection, transaction  # noqa: F401 - connection: the skipif condition

from articles.ingest.loader import LINK_COLUMNS
from articles.ingest.rows import insert_rows, update_rows
from articles.models import Article, RelatedLink
from tests.public.conftest import make_article

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif("connection.vendor != 'postgresql'", reason="COPY: PostgreSQL's path (elsewhere the ORM's)"),
]

COLUMNS = LINK_COLUMNS  # the loader's
WHEN = datetime(2024, 2, 29, 23, 59, 58, 123456, tzinfo=UTC)


def link(article: Article, position: int, **values) -> tuple:
    row = {
        "article_id": article.pk, "position": position, "web_url": f"https://a.example.org/{position}",
        "url_hash": f"{position % 2**16:064x}", "title": "Take", "excerpt": "", "published_at": WHEN,
        "original_url": "", "amp_url": "", "cdn_amp_url": "", "category": "", "type": "", "quality": 0, "heat": None,
        "provider_id": None, "extra": {},
    } | values  # fmt: skip
    return tuple(row[column] for column in COLUMNS)


def test_rows_read_back_as_written_to_the_edges_of_each_columns_range():
    article = make_article("Robots")
    extras = [{}, [], {"note": 'é ☃ "quoted" \\ \n', "n": [1, 2.5, None, True]}, "text", 7]
    rows = [
        link(article, 32767, quality=2**31 - 1, heat=-(2**31), extra=extras[0]),
        link(article, 0, quality=-(2**31), heat=2**31 - 1, extra=extras[1]),
        *(link(article, position, extra=extra) for position, extra in enumerate(extras[2:], start=1000)),
    ]
    ids = insert_rows(RelatedLink, COLUMNS, rows, with_ids=True)
    stored = {link.pk: link for link in RelatedLink.objects.filter(pk__in=ids)}
    for pk, row in zip(ids, rows, strict=True):
        assert tuple(getattr(stored[pk], column) for column in COLUMNS) == row


@pytest.mark.parametrize(
    ("column", "value"),
    [("position", 32768), ("position", -32769), ("quality", 2**31), ("heat", -(2**31) - 1)],
)
def test_a_value_past_its_columns_range_is_refused_not_wrapped(column, value):
    article = make_article("Robots")
    with pytest.raises(DataError, match=f"out of range: {column} = {value}"), transaction.atomic():
        insert_rows(RelatedLink, COLUMNS, [link(article, 1), link(article, **{"position": 2, column: value})])
    assert not RelatedLink.objects.filter(article=article).exists()


def test_a_naive_datetime_is_refused_as_a_database_error():
    article = make_article("Robots")
    with pytest.raises(DataError), transaction.atomic():
        insert_rows(RelatedLink, COLUMNS, [link(article, 1, published_at=datetime(2024, 1, 1))])
    with pytest.raises(DataError), transaction.atomic():
        update_rows(Article, ["published_at"], [(article.pk, datetime(2024, 1, 1))])


def test_updated_rows_read_back_as_written():
    article = make_article("Robots")
    update_rows(Article, ["title", "quality", "extra", "published_at"], [(article.pk, "Robots ☃", -7, [1], WHEN)])
    article.refresh_from_db()
    assert (article.title, article.quality, article.extra, article.published_at) == ("Robots ☃", -7, [1], WHEN)
