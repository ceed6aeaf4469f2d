"""sitemap.xml sections: public stories, and the topic and provider pages that have public stories."""

from django.contrib.sitemaps import Sitemap
from django.db.models import Max
from django.urls import reverse

from articles.models import Topic
from articles.selectors import latest_first, providers_with_public_stories, public_articles, visible_topic_ids


class ArticleSitemap(Sitemap):
    changefreq = "weekly"
    limit = 5000  # pages of 5,000 URLs render in well under a second; the index lists them all

    def items(self):
        return latest_first(public_articles()).only("slug", "published_at")

    def lastmod(self, article):
        return article.published_at

    def get_latest_lastmod(self):
        # The default takes the max over every item in Python: one aggregate instead.
        return public_articles().aggregate(latest=Max("published_at"))["latest"]


class TopicSitemap(Sitemap):
    changefreq = "daily"

    def items(self):
        return Topic.objects.filter(pk__in=visible_topic_ids()).only("slug").order_by("slug")


class ProviderSitemap(Sitemap):
    changefreq = "daily"

    def items(self):
        return providers_with_public_stories().only("domain").prefetch_related(None).order_by("domain")


class PageSitemap(Sitemap):
    changefreq = "hourly"

    def items(self):
        return ["articles:home", "articles:top"]

    def location(self, name):
        return reverse(name)


SITEMAPS = {"pages": PageSitemap, "articles": ArticleSitemap, "topics": TopicSitemap, "providers": ProviderSitemap}
