"""Bulk key lookups (articles.stories.lookups): one array parameter on PostgreSQL, and nothing unchecked in it."""

import pytest
from django.db import connection

from articles.models import Article
from articles.stories.identity import identity_hash
from articles.stories.lookups import among, batches
from tests.admin.conftest import make_article

pytestmark = pytest.mark.django_db


def test_lookups_find_rows_by_a_long_list_of_hashes():
    wanted = make_article(web_url="https://news.example/wanted")
    make_article(web_url="https://news.example/other")
    hashes = [identity_hash(f"https://news.example/{n}") for n in range(3000)] + [wanted.web_url_hash]

    found = [
        pk
        for batch in batches(hashes)
        for pk in Article.objects.filter(**among("web_url_hash", batch)).values_list("pk", flat=True)
    ]

    assert found == [wanted.pk]


def test_values_that_would_need_quoting_are_refused():
    if connection.vendor != "postgresql":
        assert among("web_url_hash", ["x'y"]) == {"web_url_hash__in": ["x'y"]}
        return
    with pytest.raises(ValueError, match="unexpected value"):
        among("web_url_hash", ["abc", "x'},{y"])
