"""values() querysets compiled once a process and run with new ids: the SQL Django writes, without writing it again.

Django compiles a queryset each time it is evaluated, clones included: for the river's two story queries (the members
as card rows, their related links) that cost about 0.35 ms of Python each, per request, for SQL that differs only in
the ids of its IN list. A KeptQuery compiles its queryset once per database and number of ids, with placeholder ids
(negative: no row has one) that it finds among the compiled parameters, and runs that SQL with the real ids in their
place, applying the fields' converters as the ORM would. What it returns is what `queryset.filter(<field>__in=ids)`
returns, as a list of dicts.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connections
from django.db.models import QuerySet


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    params: tuple
    positions: tuple[int, ...]  # where each id goes in params
    names: tuple[str, ...]
    converters: tuple  # (column, converters, expression), as SQLCompiler.get_converters gives them


class KeptQuery:
    """`build()` (a values() queryset holding no value computed in Python) filtered by `field`__in ids; without a
    `field`, the queryset as it is (its SQL the same on every call)."""

    def __init__(self, build: Callable[[], QuerySet], field: str | None = None):
        self.build = build
        self.field = field
        self._compiled: dict[tuple[str, int], _Compiled | None] = {}
        self._lock = threading.Lock()

    def queryset(self, ids) -> QuerySet:
        return self.build().filter(**{f"{self.field}__in": ids}) if self.field else self.build()

    def rows(self, ids=(), using: str = "default") -> list[dict]:
        ids = list(dict.fromkeys(ids))  # as the IN lookup has them: each once, in order
        if self.field and not ids:
            return []
        compiled = self._compiled_for(using, len(ids))
        if compiled is None:  # the SQL did not hold the placeholders as plain parameters: the ORM's way
            return list(self.queryset(ids).using(using))
        params = list(compiled.params)
        for position, pk in zip(compiled.positions, ids, strict=True):
            params[position] = pk
        connection = connections[using]
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        names = compiled.names
        if compiled.converters:
            rows = [list(row) for row in rows]
            for row in rows:
                for column, functions, expression in compiled.converters:
                    value = row[column]
                    for function in functions:
                        value = function(value, expression, connection)
                    row[column] = value
        return [dict(zip(names, row, strict=True)) for row in rows]

    def _compiled_for(self, using: str, count: int) -> _Compiled | None:
        key = (using, count)
        try:
            return self._compiled[key]
        except KeyError:
            pass
        placeholders = list(range(-1, -count - 1, -1))
        queryset = self.queryset(placeholders).using(using)
        query = queryset.query
        compiler = query.get_compiler(using)
        sql, params = compiler.as_sql()
        positions = [index for index, value in enumerate(params) if _is_placeholder(value)]
        compiled = None
        if [params[index] for index in positions] == placeholders:
            names = list(query.selected) if query.selected else [
                *query.extra_select, *query.values_select, *query.annotation_select
            ]  # fmt: skip
            fields = [column[0] for column in compiler.select[: compiler.col_count]]
            converters = tuple(
                (column, tuple(functions), expression)
                for column, (functions, expression) in compiler.get_converters(fields).items()
            )
            compiled = _Compiled(sql, tuple(params), tuple(positions), tuple(names), converters)
        with self._lock:
            self._compiled[key] = compiled
        return compiled


def _is_placeholder(value) -> bool:
    return type(value) is int and value < 0
