"""Insert many plain rows at once: COPY on PostgreSQL, bulk_create elsewhere.

Related links and images are most of an import's rows; building a model instance for each
one cost more than the database did, so the loader hands over tuples instead.
"""

from django.db import connection
from psycopg import sql
from psycopg.types.json import Jsonb


def insert_rows(model, columns: list[str], rows: list[tuple], *, with_ids: bool = False) -> list[int] | None:
    """Insert `rows` (tuples in `columns` order); with `with_ids`, return the new primary keys in row order."""
    if not rows:
        return [] if with_ids else None
    if connection.vendor != "postgresql":
        objects = model.objects.bulk_create([model(**dict(zip(columns, row, strict=True))) for row in rows])
        return [obj.pk for obj in objects] if with_ids else None
    table = model._meta.db_table
    json_columns = [
        i for i, name in enumerate(columns) if model._meta.get_field(name).get_internal_type() == "JSONField"
    ]
    with connection.cursor() as cursor:
        ids = None
        if with_ids:
            # Take the ids first so that children (images of a related link) can point at them.
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, len(rows)]
            )
            ids = [row[0] for row in cursor.fetchall()]
            columns, rows = ["id", *columns], [(pk, *row) for pk, row in zip(ids, rows, strict=True)]
            json_columns = [i + 1 for i in json_columns]
        statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
        )
        with cursor.cursor.copy(statement) as copy:
            for row in rows:
                if json_columns:
                    row = list(row)
                    for i in json_columns:
                        row[i] = Jsonb(row[i])
                copy.write_row(row)
    return ids
