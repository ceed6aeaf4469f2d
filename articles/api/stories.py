"""`/api/stories/`: the river as JSON (the pages' order, filters and keyset pages) and each story in full."""

from django.http import Http404
from django_filters.utils import translate_validation
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from articles.api.pagination import PublicPagination, once, whole_number
from articles.api.schema import INVALID_PARAMETERS, NOT_FOUND, filter_parameters
from articles.api.serializers import StoryDetailSerializer, StoryPageSerializer, StorySerializer
from articles.filters import API_PARAMETERS, ArticleFilter
from articles.selectors import public_articles, topic_index
from articles.stories.coverage import story_entries
from articles.stories.cursor import FORMAT, PATTERN, cursor_parameter, parse_cursor
from articles.stories.river import river_page

MAX_STORY_ID = 10**18 - 1  # what the URL takes (18 digits), inside a bigint
BEFORE = OpenApiParameter(
    "before",
    {"type": "string", "pattern": f"^{PATTERN}$"},
    description=f"The stories older than this position in the list (`{FORMAT}`): follow the `next` links.",
)
PAGE_SIZE = OpenApiParameter(
    "page_size",
    {"type": "integer", "minimum": 1, "maximum": PublicPagination.max_page_size},
    description="Stories per page (default 20).",
)
STORY_ID = OpenApiParameter(
    "id", {"type": "integer", "minimum": 1, "maximum": MAX_STORY_ID}, OpenApiParameter.PATH, description="A story id."
)
# The query parameters the cached list reads (articles.cache): an invalid cursor, even an empty one, is kept for the
# view to refuse, as the API refuses every blank parameter.
LIST_PARAMETERS = {
    **dict.fromkeys(API_PARAMETERS),
    "before": lambda value: cursor_parameter(value) if value else value,
    "page_size": None,
}


@extend_schema_view(
    list=extend_schema(
        parameters=[*filter_parameters(), BEFORE, PAGE_SIZE],
        responses={200: StoryPageSerializer, 400: INVALID_PARAMETERS, 404: NOT_FOUND},
    ),
    retrieve=extend_schema(
        description="One public story: its lead, its public articles and all its coverage.",
        parameters=[STORY_ID],
        responses={200: StoryDetailSerializer, 404: NOT_FOUND},
    ),
)
class StoryViewSet(viewsets.ViewSet):
    """Public stories, newest activity first, each once: placed by its newest public article that matches the
    filters (as on the pages), with its lead and all its coverage. Pages follow `next` (keyset: every page costs the
    same); a story without a public article does not exist here."""

    def list(self, request):
        topics = topic_index()
        filterset = ArticleFilter(request.query_params, queryset=public_articles(), topics=topics)
        if not filterset.is_valid():
            raise translate_validation(filterset.errors)
        size = whole_number(request, "page_size", PublicPagination.max_page_size) or PublicPagination.page_size
        before = once(request, "before")
        if before is not None:
            try:
                before = parse_cursor(before)
            except ValueError:
                raise ValidationError(
                    {"before": [f"Not a position in the list (`{FORMAT}`): follow `next`."]}
                ) from None
        try:
            page = river_page(
                filterset.filter_queryset,
                topics=topics,
                before=before,
                size=size,
                outlet_leads=bool(filterset.form.cleaned_data.get("provider")),
                images=True,
            )
        except Http404:
            raise NotFound("No older stories.") from None
        url = request.build_absolute_uri()
        return Response(
            {
                "next": replace_query_param(url, "before", page.next_value) if page.next else None,
                "results": StorySerializer(page.object_list, many=True, context={"request": request}).data,
            }
        )

    def retrieve(self, request, pk):
        entry = next(iter(story_entries([int(pk)], topics=topic_index(), images=True)), None)
        if entry is None:
            raise NotFound("No such story.")
        entry.active_at = max(card.published_at for card in entry.articles)
        return Response(StoryDetailSerializer(entry, context={"request": request}).data)
