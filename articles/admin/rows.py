"""A change list's rows written with one plan per page, cell for cell what Django's `items_for_result` writes.

Django works out for every cell what is the same on every row of a page: the column's kind (a field, a method of
the admin), its class, its empty value, whether it links, and the change URL through `reverse()` and
`add_preserved_filters()` (which resolves that URL again); it also draws the display value of an editable cell and
throws it away for the input. On the article list that was 25 of the page's 60 ms of CPU (50 rows, 13 columns).
Here each column is planned once per page and a row costs one call per column. A list with a column this does
not plan (a `__` lookup, a model property) is left to Django whole (`rows()` returns None).
"""

import datetime
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from html import escape

from django.contrib.admin.templatetags.admin_list import (
    ResultList,
    _coerce_field_name,
    result_headers,
    result_hidden_fields,
)
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.utils import (
    FieldIsAForeignKeyColumnName,
    _get_non_gfk_field,
    display_for_field,
    display_for_value,
    quote,
)
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.db import models
from django.urls import NoReverseMatch, reverse
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString

# Stands for the row's primary key in the change URL drawn once per page; only the first occurrence (in the path,
# before any preserved filter) is replaced.
_PK = "rowpk0placeholder"


@dataclass(frozen=True)
class Column:
    name: str
    css: str  # the cell's class names
    nowrap: bool  # a date, time or foreign-key field: Django adds "nowrap" (an editable one's input too)
    link: bool
    tag: str  # "th" for the first link column, as Django draws it
    draw: Callable  # (row object) -> (the cell's content, whether it takes "nowrap")


def _plan(cl: ChangeList) -> list[Column] | None:
    opts, model_admin = cl.lookup_opts, cl.model_admin
    empty = model_admin.get_empty_value_display()
    columns, first = [], True
    for index, name in enumerate(cl.list_display):
        classes, nowrap = [f"field-{_coerce_field_name(name, index)}"], False
        link = cl.list_display_links is not None and (
            name in cl.list_display_links or (first and not cl.list_display_links)
        )
        try:
            field = _get_non_gfk_field(opts, name)
        except (FieldDoesNotExist, FieldIsAForeignKeyColumnName):
            field = None
        if field is None:
            if callable(name):
                method = name
            elif isinstance(name, str) and name != "__str__" and hasattr(model_admin, name):
                method = getattr(model_admin, name)
            else:
                return None  # a model attribute or a relation path: Django's way
            if name == "action_checkbox":
                classes = ["action-checkbox"]
            draw = _method_cell(method, getattr(method, "empty_value_display", empty), empty)
        elif field.auto_created:
            draw = _value_cell(name, empty)
        else:
            nowrap = isinstance(field, models.DateField | models.TimeField | models.ForeignKey)
            draw = _field_cell(name, field, empty, link, nowrap)
        tag = "th" if link and first else "td"
        first = first and not link
        columns.append(Column(name=name, css=" ".join(classes), nowrap=nowrap, link=link, tag=tag, draw=draw))
    return columns


def _method_cell(method, empty_value: str, missing: str):
    boolean = getattr(method, "boolean", False)

    def draw(obj):
        try:
            value = method(obj)
        except ObjectDoesNotExist:
            return missing, False
        # A method that returns a date or time gets "nowrap", as in Django (decided per value there too).
        return display_for_value(value, empty_value, boolean), isinstance(value, datetime.date | datetime.time)

    return draw


def _value_cell(name: str, empty_value: str):
    def draw(obj):
        value = getattr(obj, name)
        return display_for_value(value, empty_value), isinstance(value, datetime.date | datetime.time)

    return draw


def _field_cell(name: str, field, empty_value: str, link: bool, nowrap: bool):
    relation = isinstance(field.remote_field, models.ManyToOneRel)

    def draw(obj):
        try:
            value = getattr(obj, name)
        except ObjectDoesNotExist:
            return empty_value, False
        if relation:
            return (empty_value if value is None else value), nowrap
        return display_for_field(value, field, empty_value, avoid_link=link), nowrap

    return draw


def _change_url(cl: ChangeList) -> str | None:
    """The change URL with `_PK` for the primary key and the list's filters preserved, or None without one."""
    try:
        url = reverse(
            f"admin:{cl.opts.app_label}_{cl.opts.model_name}_change",
            args=(_PK,),
            current_app=cl.model_admin.admin_site.name,
        )
    except NoReverseMatch:
        return None
    return add_preserved_filters({"preserved_filters": cl.preserved_filters, "opts": cl.opts}, url)


def rows(cl: ChangeList) -> Iterator[ResultList] | None:
    """Each result row's cells, as `django.contrib.admin.templatetags.admin_list.results()` yields them; None when a
    column needs Django's own lookup."""
    columns = _plan(cl)
    if columns is None:
        return None
    return _rows(cl, columns)


def _rows(cl: ChangeList, columns: list[Column]) -> Iterator[ResultList]:
    url = _change_url(cl)
    pk_attname, pk_name = cl.lookup_opts.pk.attname, cl.model._meta.pk.name
    forms = cl.formset.forms if cl.formset else [None] * len(cl.result_list)
    for result, form in zip(cl.result_list, forms, strict=True):
        editable = form.fields if form is not None else {}
        pk_hidden = form is not None and form[pk_name].is_hidden
        cells = []
        for column in columns:
            css = column.css
            if column.name in editable and not (column.name == pk_name and pk_hidden):
                bound = form[column.name]
                content = str(bound.errors) + str(bound)
                nowrap = column.nowrap
            else:
                content, nowrap = column.draw(result)
                content = conditional_escape(content)
            if nowrap:
                css += " nowrap"
            if column.link and url is not None:
                content = _link(cl, url, result, pk_attname, content)
            cells.append(SafeString(f'<{column.tag} class="{css}">{content}</{column.tag}>'))
        if form is not None and not pk_hidden:
            cells.append(SafeString(f"<td>{form[pk_name]}</td>"))
        yield ResultList(form, cells)


def _link(cl: ChangeList, url: str, result, pk_attname: str, content: str) -> str:
    href = escape(url.replace(_PK, str(quote(getattr(result, pk_attname))), 1))
    popup = ""
    if cl.is_popup:
        value = result.serializable_value(str(cl.to_field) if cl.to_field else pk_attname)
        popup = f' data-popup-opener="{conditional_escape(value)}"'
    return f'<a href="{href}"{popup}>{content}</a>'


def result_list(cl: ChangeList) -> dict:
    """The context of Django's `result_list` tag, with the rows written by `rows()` when it can."""
    headers = list(result_headers(cl))
    planned = rows(cl)
    if planned is None:
        from django.contrib.admin.templatetags.admin_list import results

        planned = results(cl)
    return {
        "cl": cl,
        "result_hidden_fields": list(result_hidden_fields(cl)),
        "result_headers": headers,
        "num_sorted_fields": sum(1 for h in headers if h["sortable"] and h["sorted"]),
        "results": list(planned),
    }
