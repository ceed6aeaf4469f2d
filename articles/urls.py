from django.urls import path

from articles import feeds, views
from articles.cache import cache_public_page

app_name = "articles"
urlpatterns = [
    path("", views.home, name="home"),
    path("top/", views.top_stories, name="top"),
    path("articles/<slug:slug>/", views.article_detail, name="detail"),
    path("topics/<slug:slug>/", views.topic_detail, name="topic"),
    path("search/", views.search, name="search"),
    path("feeds/rss/", cache_public_page(feeds.LatestStoriesFeed()), name="feed-rss"),
    path("feeds/atom/", cache_public_page(feeds.LatestStoriesAtomFeed()), name="feed-atom"),
    path("feeds/topics/<slug:slug>/rss/", cache_public_page(feeds.TopicFeed()), name="topic-feed-rss"),
    path("feeds/topics/<slug:slug>/atom/", cache_public_page(feeds.TopicAtomFeed()), name="topic-feed-atom"),
]
