"""values() querysets compiled once a process and run with new ids: the SQL Django writes, without writing it again.

Django compiles a queryset each time it is evaluated, clones included: for the river's queries (the placing articles,
the stories' members as card rows, their related links) that cost about 0.35-0.45 ms of Python each, per request, for
SQL that differs only in the ids it is given. A KeptQuery compiles the queryset its function builds from a list of ids
once per database and number of ids, with placeholder ids (huge negative numbers: no row has one, no page asks for
one) that it finds among the compiled parameters, and runs that SQL with the real ids in their place, applying the
fields' converters as the ORM would. What it returns is what `list(build(ids))` returns.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

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
                compiled = _Compiled(sql, tuple(params), slots, tuple(names), converters)
        with self._lock:
            self._compiled[key] = compiled
        return compiled
