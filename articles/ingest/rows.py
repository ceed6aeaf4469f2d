"""Insert and update many plain rows at once: COPY on PostgreSQL, the ORM's bulk methods elsewhere.

Building a model instance per row, and the CASE WHEN expressions of `bulk_update`, cost more
than the database did; the loader hands over tuples instead.
"""

import functools
import json

from django.db import DataError, connection
from psycopg import sql


def insert_rows(model, columns: list[str], rows: list[tuple], *, with_ids: bool = False) -> list[int] | None:
    """Insert `rows` (tuples in `columns` order); with `with_ids`, return the new primary keys in row order."""
    if not rows:
        return [] if with_ids else None
    if connection.vendor != "postgresql":
        objects = model.objects.bulk_create([model(**dict(zip(columns, row, strict=True))) for row in rows])
        return [obj.pk for obj in objects] if with_ids else None
    table = model._meta.db_table
    ids = None
    if with_ids:
        # Take the ids first so that children (images of a related link) can point at them.
        ids = next_ids(table, len(rows))
        columns, rows = ["id", *columns], [(pk, *row) for pk, row in zip(ids, rows, strict=True)]
    _copy(model, table, columns, rows)
    return ids


def next_ids(table: str, n: int) -> list[int]:
    """`n` fresh ids from the sequence of `table`'s id column (PostgreSQL)."""
    with connection.cursor() as cursor:
        # The sequence's name is looked up once (a sub-select), not per row: per row, that catalog lookup cost
        # 2.8 us an id, 9 times the nextval itself (100,000 ids: 282 ms against 32 ms).
        cursor.execute(
            "SELECT nextval((SELECT pg_get_serial_sequence(%s, 'id'))::regclass) FROM generate_series(1, %s)",
            [table, n],
        )
        return [row[0] for row in cursor.fetchall()]


def update_rows(model, columns: list[str], rows: list[tuple]) -> None:
    """Set `columns` of existing rows; each tuple is (primary key, *values in `columns` order)."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        objects = [model(pk=pk, **dict(zip(columns, values, strict=True))) for pk, *values in rows]
        model.objects.bulk_update(objects, [model._meta.get_field(c).name for c in columns])
        return
    # COPY into a scratch table shaped like the target's columns, then one UPDATE ... FROM.
    table, pk = model._meta.db_table, model._meta.pk.column
    scratch = f"{table}_update"
    names = sql.SQL(", ").join(map(sql.Identifier, [pk, *columns]))
    with connection.cursor() as cursor:
        cursor.execute(
            sql.SQL("CREATE TEMPORARY TABLE {} ON COMMIT DROP AS SELECT {} FROM {} WITH NO DATA").format(
                sql.Identifier(scratch), names, sql.Identifier(table)
            )
        )
        _copy(model, scratch, [pk, *columns], rows)
        cursor.execute(
            sql.SQL("UPDATE {target} SET {assignments} FROM {scratch} WHERE {target}.{pk} = {scratch}.{pk}").format(
                target=sql.Identifier(table),
                scratch=sql.Identifier(scratch),
                pk=sql.Identifier(pk),
                assignments=sql.SQL(", ").join(
                    sql.SQL("{0} = {1}.{0}").format(sql.Identifier(c), sql.Identifier(scratch)) for c in columns
                ),
            )
        )
        cursor.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(scratch)))


def delete_rows(model, column: str, values: list) -> None:
    """Delete the rows whose `column` is among `values`, without Django's cascade collection.

    For tables whose children the caller has deleted already: Django reads every row of a model that others
    reference back into Python, to look for those children, then deletes by id 100 at a time (the related links
    of 1,822 updated articles in a first import of 20,000 items: 280 statements). On PostgreSQL one statement with
    one array parameter; the foreign keys still refuse it if a child was left behind."""
    if not values:
        return
    if connection.vendor != "postgresql":
        model.objects.filter(**{f"{column}__in": values}).delete()
        return
    with connection.cursor() as cursor:
        cursor.execute(
            sql.SQL("DELETE FROM {} WHERE {} = ANY(%s)").format(
                sql.Identifier(model._meta.db_table), sql.Identifier(column)
            ),
            [list(values)],
        )


# COPY in binary: psycopg writes a row in about 40% of the text format's time, and PostgreSQL reads the values as
# they are instead of parsing text. A first import of 100,000 items (bench/README.md): 54.8 → 50.1 s, the main
# process 18.7 → 15.6 s of CPU, PostgreSQL 35.4 → 32.4 s. Binary dumpers do not check what text parsing did: an int
# past a smallint or integer column's range is written wrapped, and a naive datetime raises TypeError. Both are
# checked here and raised as DataError, which fails one file, as the text format's errors did.
RANGES = {"smallint": (-(2**15), 2**15 - 1), "integer": (-(2**31), 2**31 - 1)}
JSONB_VERSION = b"\x01"  # jsonb's binary form: this version byte, then the JSON text


def _copy(model, table: str, columns: list[str], rows: list[tuple]) -> None:
    types = _column_types(model, tuple(columns))
    json_columns = [i for i, name in enumerate(types) if name == "jsonb"]
    bounded = [(i, *RANGES[name]) for i, name in enumerate(types) if name in RANGES]
    statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    # The raw psycopg cursor bypasses Django's wrapper: translate its errors to django.db ones, as callers expect.
    with connection.wrap_database_errors, connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        # jsonb values are encoded here (_jsonb) and handed over as bytes, which psycopg sends as they are.
        copy.set_types(["bytea" if name == "jsonb" else name for name in types])
        for row in rows:
            try:
                for i, low, high in bounded:
                    value = row[i]
                    if value is not None and not low <= value <= high:
                        raise DataError(f"{types[i]} out of range: {columns[i]} = {value}")
                if json_columns:
                    row = list(row)
                    for i in json_columns:
                        row[i] = _jsonb(row[i])
                copy.write_row(row)
            except TypeError as exc:  # a naive datetime, or a value of a type its column cannot take
                raise DataError(f"{table}: {exc}") from exc


def _jsonb(value) -> bytes:
    # Most values are empty: those skip the encoder.
    if value == {}:
        return JSONB_EMPTY_OBJECT
    if value == []:
        return JSONB_EMPTY_ARRAY
    return JSONB_VERSION + json.dumps(value).encode()


JSONB_EMPTY_OBJECT, JSONB_EMPTY_ARRAY = JSONB_VERSION + b"{}", JSONB_VERSION + b"[]"


@functools.cache
def _column_types(model, columns: tuple[str, ...]) -> tuple[str, ...]:
    """The PostgreSQL type of each column, as psycopg names them ("varchar(64)" → "varchar")."""
    fields = {field.column: field for field in model._meta.concrete_fields}
    return tuple(fields[column].db_type(connection).split("(")[0] for column in columns)
