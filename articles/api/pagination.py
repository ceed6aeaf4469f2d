"""Page-number pagination without COUNT(*): on 100,000 public stories the count costs more than the page."""

from django.http import Http404
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from articles.selectors import MAX_PAGE, page_or_404
from newsroom.errors import InvalidParameter


class PublicPagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        try:
            number = request.query_params.get(self.page_query_param)
            self.page = page_or_404(queryset, number, self.get_page_size(request))
        except Http404:
            raise NotFound("Invalid page.") from None
        except InvalidParameter as error:
            raise ValidationError({error.parameter: [error.message]}) from None
        return self.page.object_list

    def get_paginated_response(self, data):
        return Response({"next": self.get_next_link(), "previous": self.get_previous_link(), "results": data})

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}
        return parameters

    def get_paginated_response_schema(self, schema):
        response = super().get_paginated_response_schema(schema)
        response["required"] = ["next", "previous", "results"]
        del response["properties"]["count"]
        return response
