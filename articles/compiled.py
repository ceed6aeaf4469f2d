"""values() querysets compiled once a process and run with new ids: the SQL Django writes, without writing it again.

Django compiles a queryset each time it is evaluated, clones included: for the river's queries (the placing articles,
the stories' members as card rows, their related links) that cost about 0.35-0.45 ms of Python each, per request, for
SQL that differs only in the ids it is given. A KeptQuery compiles the queryset its function builds from a list of ids
once per database and number of ids, with placeholder ids (huge negative numbers: no row has one, no page asks for
one) that it finds among the compiled parameters, and runs that SQL with the real ids in their place, applying the
fields' converters as the ORM would. What it returns is what `list(build(ids))` returns.

On PostgreSQL the SQL is also a prepared statement of each connection (PREPARE once, then EXECUTE, through Django's
cursor like any query): planning the river's three queries took more of PostgreSQL's time than running them (the
placing query's anti-join about 0.8 ms to plan, 0.1 ms to run); prepared, the three cost a third of the time
(pgbench on the 10,000-story database: 6.1-6.5 ms a round of the three plain, 1.9-2.6 ms prepared). Off with
DATABASE_PREPARED_STATEMENTS=0, for a transaction-pooling proxy (PgBouncer) between the site and PostgreSQL.
"""

from __future__ import annotations

import itertools
import threading
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet

_FIRST_PLACEHOLDER = -(2**62)


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    params: tuple
    slots: tuple[tuple[int, int], ...]  # (position in params, index of the id that goes there)
    names: tuple[str, ...]
    converters: tuple  # (column, converters, expression), as SQLCompiler.get_converters gives them
    statement: str  # PREPARE's name and parameter types, or "" when the SQL cannot be prepared
    prepared_sql: str  # the SQL with $1, $2... in place of %s


_statement_numbers = itertools.count(1)
# The statements each PostgreSQL connection has prepared (a connection that is closed, or replaced by the pool after
# a restart of the server, is forgotten with them).
_prepared: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_PARAMETER_TYPES = {bool: "boolean", int: "bigint"}  # the placeholders are ints; others by their psycopg wrapper


_EMPTY = object()  # the SQL Django would not run (an IN list of nothing): no rows


class KeptQuery:
    """The values() queryset `build(ids)` makes, for any list of ids, holding no value computed in Python besides
    them (a time would be frozen at the first call: Now() is the database's)."""

    def __init__(self, build: Callable[[list[int]], QuerySet]):
        self.build = build
        self._compiled: dict[tuple[str, int], _Compiled | object | None] = {}
        self._lock = threading.Lock()

    def rows(self, ids: Iterable[int] = (), using: str = "default") -> list[dict]:
        ids = list(dict.fromkeys(ids))  # as an IN lookup has them: each once, in order
        compiled = self._compiled_for(using, len(ids))
        if compiled is _EMPTY:
            return []
        if compiled is None:  # the SQL did not hold the placeholders as plain parameters: the ORM's way
            return list(self.build(ids).using(using))
        params = list(compiled.params)
        for position, index in compiled.slots:
            params[position] = ids[index]
        connection = connections[using]
        with connection.cursor() as cursor:
            if compiled.statement and settings.DATABASE_PREPARED_STATEMENTS and not connection.in_atomic_block:
                # Outside a transaction only: were the statement gone, the error would abort it.
                _execute_prepared(cursor, connection.connection, compiled, params)
            else:
                cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        if compiled.converters:
            rows = [list(row) for row in rows]
            for row in rows:
                for column, functions, expression in compiled.converters:
                    value = row[column]
                    for function in functions:
                        value = function(value, expression, connection)
                    row[column] = value
        names = compiled.names
        return [dict(zip(names, row, strict=True)) for row in rows]

    def _compiled_for(self, using: str, count: int):
        key = (using, count)
        try:
            return self._compiled[key]
        except KeyError:
            pass
        placeholders = [_FIRST_PLACEHOLDER - index for index in range(count)]
        query = self.build(placeholders).using(using).query
        compiler = query.get_compiler(using)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:
            compiled = _EMPTY
        else:
            slots = tuple(
                (position, _FIRST_PLACEHOLDER - value)
                for position, value in enumerate(params)
                if type(value) is int and _FIRST_PLACEHOLDER - count < value <= _FIRST_PLACEHOLDER
            )
            compiled = None
            if {index for _, index in slots} == set(range(count)):
                names = list(query.selected) if query.selected else [
                    *query.extra_select, *query.values_select, *query.annotation_select
                ]  # fmt: skip
                fields = [column[0] for column in compiler.select[: compiler.col_count]]
                converters = tuple(
                    (column, tuple(functions), expression)
                    for column, (functions, expression) in compiler.get_converters(fields).items()
                )
                statement, prepared_sql = (
                    _preparable(sql, params) if connections[using].vendor == "postgresql" else ("", "")
                )
                compiled = _Compiled(sql, tuple(params), slots, tuple(names), converters, statement, prepared_sql)
        with self._lock:
            self._compiled[key] = compiled
        return compiled


def _preparable(sql: str, params: list) -> tuple[str, str]:
    """(name and parameter types, SQL with $n) of a PREPARE for this SQL, or ("", "") when a parameter's type is not
    known here (PostgreSQL cannot always infer one: `SELECT %s AS "a"` in an EXISTS)."""
    types = []
    for value in params:
        name = _PARAMETER_TYPES.get(type(value)) or getattr(type(value), "__name__", "").lower()
        if name not in ("boolean", "bigint", "int2", "int4", "int8"):
            return "", ""
        types.append(name)
    parts = sql.split("%s")
    if "%" in sql.replace("%s", "").replace("%%", "") or len(parts) != len(params) + 1:
        return "", ""
    prepared = parts[0] + "".join(f"${number}{part}" for number, part in enumerate(parts[1:], 1))
    name = f"newsroom_kept_{next(_statement_numbers)}"
    return (f"{name} ({', '.join(types)})" if types else name), prepared.replace("%%", "%")


def _execute_prepared(cursor, raw_connection, compiled: _Compiled, params: list) -> None:
    prepared = _prepared.setdefault(raw_connection, set())
    name = compiled.statement.split(" ", 1)[0]
    if name not in prepared:
        cursor.execute(f"PREPARE {compiled.statement} AS {compiled.prepared_sql}")
        prepared.add(name)
    cursor.execute(f"EXECUTE {name}({', '.join(['%s'] * len(params))})" if params else f"EXECUTE {name}", params)
