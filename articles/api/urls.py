from django.conf import settings
from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView

from articles.api import stories, views
from articles.cache import cache_public_page

LIST, DETAIL = {"get": "list"}, {"get": "retrieve"}

app_name = "api"
urlpatterns = [
    path("", views.api_root, name="root"),
    path(
        "articles/",
        cache_public_page(views.ArticleViewSet.as_view(LIST), params=views.ARTICLE_LIST_PARAMETERS),
        name="article-list",
    ),
    path("articles/<str:slug>/", cache_public_page(views.ArticleViewSet.as_view(DETAIL)), name="article-detail"),
    path(
        "stories/",
        cache_public_page(stories.StoryViewSet.as_view(LIST), params=stories.LIST_PARAMETERS),
        name="story-list",
    ),
    re_path(
        r"^stories/(?P<pk>[0-9]{1,18})/$", cache_public_page(stories.StoryViewSet.as_view(DETAIL)), name="story-detail"
    ),
    path("topics/", cache_public_page(views.TopicViewSet.as_view(LIST)), name="topic-list"),
    path("topics/<str:slug>/", cache_public_page(views.TopicViewSet.as_view(DETAIL)), name="topic-detail"),
    path(
        "providers/",
        cache_public_page(views.ProviderViewSet.as_view(LIST), params=views.PAGE_PARAMETERS),
        name="provider-list",
    ),
    path("providers/<str:domain>/", cache_public_page(views.ProviderViewSet.as_view(DETAIL)), name="provider-detail"),
    # One API version: a `?version=` (which drf-spectacular would copy into a header and the document) is ignored.
    path("schema/", SpectacularAPIView.as_view(api_version=settings.SPECTACULAR_SETTINGS["VERSION"]), name="schema"),
]
