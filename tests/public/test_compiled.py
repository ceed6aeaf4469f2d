"""articles.compiled on PostgreSQL: the kept queries as prepared statements of each connection, prepared once per
connection, outside transactions only, and not at all when turned off (test_river.py checks their rows against the
ORM's on both databases)."""

import pytest
from django.db import connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from articles.compiled import KeptQuery, _preparable
from articles.models import Article
from tests.public.conftest import make_article

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's")


def _titles(ids):
    return Article.objects.filter(pk__in=ids, published=True).order_by("pk").values("id", "title")


@pytest.fixture
def stories(transactional_db):
    return [make_article(f"Story {n}").pk for n in range(3)]


def _statements(run) -> tuple[list, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        rows = run()
    return rows, [query["sql"].split(" ", 1)[0] for query in queries]


def test_a_kept_query_is_prepared_once_per_connection(stories):
    kept = KeptQuery(_titles)
    rows, statements = _statements(lambda: kept.rows(stories[:2]))
    assert statements == ["PREPARE", "EXECUTE"]
    assert rows == list(_titles(stories[:2]))
    rows, statements = _statements(lambda: kept.rows(stories[1:]))
    assert statements == ["EXECUTE"] and rows == list(_titles(stories[1:]))
    connection.close()  # a new connection (the pool's, or one after a restart) has no statement of this process
    rows, statements = _statements(lambda: kept.rows(stories[:2]))
    assert statements == ["PREPARE", "EXECUTE"] and rows == list(_titles(stories[:2]))


def test_inside_a_transaction_or_turned_off_the_sql_is_run_as_it_is(stories):
    kept = KeptQuery(_titles)
    with transaction.atomic():
        rows, statements = _statements(lambda: kept.rows(stories))
    assert statements == ["SELECT"] and rows == list(_titles(stories))
    with override_settings(DATABASE_PREPARED_STATEMENTS=False):
        rows, statements = _statements(lambda: kept.rows(stories))
    assert statements == ["SELECT"] and rows == list(_titles(stories))


def test_sql_whose_parameters_are_not_plain_ints_or_booleans_is_not_prepared():
    statement, sql = _preparable('SELECT "a" FROM "t" WHERE "b" IN (%s, %s) AND "c" = %s', [1, 2, True])
    assert statement.endswith(" (bigint, bigint, boolean)")
    assert sql == 'SELECT "a" FROM "t" WHERE "b" IN ($1, $2) AND "c" = $3'
    assert _preparable('SELECT "a" FROM "t" WHERE "b" = %s', ["text"]) == ("", "")
    assert _preparable('SELECT "a" FROM "t" WHERE "b" LIKE \'%%s\' AND "c" = %s', [1]) == ("", "")
