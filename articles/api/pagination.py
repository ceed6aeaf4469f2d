"""Page-number pagination without COUNT(*): on 100,000 public stories the count costs more than the page.

Pages stop at `max_page` (10,000 items back at the default size, 50,000 at most): a page's cost grows with its
offset (the database reads and skips every row before it), so a later page answers 400 pointing at the filter that
reaches older items at the cost of page 1. The story list pages by keyset instead (articles/api/stories.py) and
has no such limit.

`page` and `page_size` are validated like the filters: a value that is not a whole number in range answers
400 naming the parameter, instead of silently falling back to a default.
"""

import re

from django.http import Http404
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from articles.selectors import page_number, page_or_404
from newsroom.errors import InvalidParameter

WHOLE_NUMBER = re.compile(r"[0-9]{1,9}")  # ASCII digits only: int() would also take "+1", " 1" and "1_0"


def once(request, name: str) -> str | None:
    """The parameter's value, None when absent; a 400 when it is given more than once."""
    values = request.query_params.getlist(name)
    if len(values) > 1:
        raise ValidationError({name: ["Give this parameter once."]})
    return values[0] if values else None


def whole_number(request, name: str, maximum: int) -> int | None:
    value = once(request, name)
    if value is None:
        return None
    if not WHOLE_NUMBER.fullmatch(value) or not 1 <= int(value) <= maximum:
        raise ValidationError({name: [f"A whole number from 1 to {maximum}."]})
    return int(value)


class PublicPagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
    # Without a limit, page 50,000 of a million articles would read them all (bench/scale measures page 226).
    max_page = 500
    depth_message = (
        f"Pages stop at {max_page}. To go further, narrow the list: published_before=YYYY-MM-DD "
        "(the day of the last item shown) starts again from there."
    )

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        number = once(request, self.page_query_param)  # page_or_404 checks it like the pages do
        size = whole_number(request, self.page_size_query_param, self.max_page_size)
        self.check_depth(number)
        try:
            self.page = page_or_404(queryset, number, size or self.page_size)
        except Http404:
            raise NotFound("Invalid page.") from None
        except InvalidParameter as error:
            raise ValidationError({error.parameter: [error.message]}) from None
        return self.page.object_list

    def check_depth(self, number: str | None) -> None:
        try:
            deep = page_number(number) > self.max_page
        except InvalidParameter:
            return  # page_or_404 names the fault
        if deep:
            raise ValidationError({self.page_query_param: [self.depth_message]})

    def get_paginated_response(self, data):
        return Response({"next": self.get_next_link(), "previous": self.get_previous_link(), "results": data})

    def get_paginated_response_schema(self, schema):
        response = super().get_paginated_response_schema(schema)
        response["required"] = ["next", "previous", "results"]
        del response["properties"]["count"]
        return response

    def get_schema_operation_parameters(self, view):
        limits = {self.page_query_param: self.max_page, self.page_size_query_param: self.max_page_size}
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": limits[parameter["name"]]}
        return parameters
