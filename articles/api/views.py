"""Read-only JSON API over public data: the same selectors and filters as the pages."""

from functools import cached_property

from django.urls import reverse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.decorators import api_view
from rest_framework.response import Response

from articles.api.pagination import PublicPagination
from articles.api.schema import INVALID_PARAMETERS, NOT_FOUND, filter_parameters
from articles.api.serializers import ArticleDetailSerializer, ArticleSerializer, ProviderSerializer, TopicSerializer
from articles.filters import API_PARAMETERS, ArticleFilter
from articles.models import Topic
from articles.selectors import (
    card_queryset,
    for_article_page,
    latest_first,
    link_local_coverage,
    page_parameter,
    providers_with_public_stories,
    public_articles,
    story_cards,
    topic_index,
    visible_topic_ids,
)

# The query parameters each cached list reads (articles.cache keys responses by these and nothing else).
PAGE_PARAMETERS = {"page": page_parameter, "page_size": None}
ARTICLE_LIST_PARAMETERS = {**dict.fromkeys(API_PARAMETERS), **PAGE_PARAMETERS}


class ArticleFilterBackend(DjangoFilterBackend):
    """Hands the view's topic index to the filter, so that filtering by topic costs no extra query."""

    def get_filterset_kwargs(self, request, queryset, view):
        topics = view.topics if view.action == "list" else None  # a single story needs no topic menu
        return {**super().get_filterset_kwargs(request, queryset, view), "topics": topics}


@extend_schema_view(
    list=extend_schema(
        parameters=filter_parameters(),
        responses={200: ArticleSerializer(many=True), 400: INVALID_PARAMETERS, 404: NOT_FOUND},
    ),
    retrieve=extend_schema(responses={200: ArticleDetailSerializer, 404: NOT_FOUND}),
)
class ArticleViewSet(viewsets.ReadOnlyModelViewSet):
    """Public stories, newest first; filter like the pages (topic, outlet, date range) and by the developer
    filters (quality, type)."""

    lookup_field = "slug"
    filterset_class = ArticleFilter
    filter_backends = [ArticleFilterBackend]
    pagination_class = PublicPagination

    @cached_property
    def topics(self):
        return topic_index()

    def get_queryset(self):
        if self.action == "retrieve":
            return for_article_page(public_articles())
        return latest_first(card_queryset(public_articles()))

    def get_serializer_class(self):
        return ArticleDetailSerializer if self.action == "retrieve" else ArticleSerializer

    def paginate_queryset(self, queryset):
        return story_cards(super().paginate_queryset(queryset), self.topics)

    def get_object(self):
        article = super().get_object()
        link_local_coverage(list(article.related_links.all()))
        return article


@extend_schema_view(retrieve=extend_schema(responses={200: TopicSerializer, 404: NOT_FOUND}))
class TopicViewSet(viewsets.ReadOnlyModelViewSet):
    """Topics with public stories (in themselves or a sub-topic)."""

    lookup_field = "slug"
    serializer_class = TopicSerializer
    pagination_class = None
    filter_backends = []

    def get_queryset(self):
        return Topic.objects.filter(pk__in=visible_topic_ids()).select_related("parent").order_by("name")


@extend_schema_view(
    list=extend_schema(responses={200: ProviderSerializer(many=True), 400: INVALID_PARAMETERS, 404: NOT_FOUND}),
    retrieve=extend_schema(responses={200: ProviderSerializer, 404: NOT_FOUND}),
)
class ProviderViewSet(viewsets.ReadOnlyModelViewSet):
    """Outlets with public stories."""

    lookup_field = "domain"
    lookup_value_regex = "[^/]+"
    serializer_class = ProviderSerializer
    pagination_class = PublicPagination
    filter_backends = []

    def get_queryset(self):
        return providers_with_public_stories().order_by("name", "id")


@extend_schema(exclude=True)
@api_view(["GET"])
def api_root(request):
    names = {"articles": "api:article-list", "stories": "api:story-list", "topics": "api:topic-list",
             "providers": "api:provider-list"}  # fmt: skip
    links = {name: request.build_absolute_uri(reverse(url_name)) for name, url_name in names.items()}
    links["schema"] = request.build_absolute_uri(reverse("api:schema"))
    return Response(links)
