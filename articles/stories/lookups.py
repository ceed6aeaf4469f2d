"""Bulk lookups by long lists of keys (hashes, term ids, ids), the same on PostgreSQL and SQLite.

On PostgreSQL a whole list is one array parameter (`= ANY(...)`); SQLite gets `IN (...)` in batches below its
variable limit. Clustering looks thousands of keys up per chunk, where building and sending one placeholder
per value cost more than the queries took.
"""

import re
from collections.abc import Iterable
from itertools import batched

from django.db import connection
from django.db.models import Field, ForeignKey, Lookup

_IN_BATCH = 5000  # values per IN (...) on SQLite, far below its variable limit


class AnyOf(Lookup):
    """`column = ANY(%s::type[])` with the whole list as one array literal: thousands of `IN` placeholders per
    chunk (and psycopg quoting each array element) cost more to build and send than the queries took."""

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s::{self.lhs.output_field.db_type(connection)}[])", [*params, self.rhs]


Field.register_lookup(AnyOf)
ForeignKey.register_lookup(AnyOf)
_ARRAY_SAFE = re.compile(r"(?:-?[0-9a-z]+,)*-?[0-9a-z]+")


def among(field: str, values: list) -> dict:
    """Filter keyword arguments for `field` in `values` (a batch from `batches`): ids, term ids and hex hashes, so
    the PostgreSQL array literal needs no quoting (checked, never assumed)."""
    if connection.vendor != "postgresql":
        return {f"{field}__in": values}
    text = ",".join(map(str, values))
    if values and not _ARRAY_SAFE.fullmatch(text):
        raise ValueError(f"unexpected value for {field}")
    return {f"{field}__any_of": "{" + text + "}"}


def batches(values: Iterable) -> Iterable[list]:
    """`values` in batches for IN (...): one batch on PostgreSQL (it binds arrays), several on SQLite."""
    values = sorted(set(values))
    if connection.vendor == "postgresql":
        return [values] if values else []
    return [list(batch) for batch in batched(values, _IN_BATCH)]
