"""sitemap.xml sections: public stories, and the topic and provider pages that have public stories."""

from django.contrib.sitemaps import Sitemap
from django.core.paginator import Paginator
from django.db.models import Max, Min
from django.urls import reverse
from django.utils.functional import cached_property

from articles.models import Topic
from articles.selectors import providers_with_public_stories, public_articles, visible_topic_ids


class IdRangePaginator(Paginator):
    """Sitemap pages by id range: page n holds the public articles whose ids fall in the n-th run of `per_page` ids
    from the smallest (fewer than `per_page` where ids are unpublished or gone).

    Django's pages cost a COUNT(*) of every public article and an OFFSET that reads every row before the page, so
    the last section of a million-article sitemap read a million rows; a range of the primary key reads its own rows.
    """

    @cached_property
    def bounds(self) -> tuple[int, int]:
        ids = self.object_list.model.objects.aggregate(low=Min("pk"), high=Max("pk"))  # both ends of the pk index
        return ids["low"] or 0, ids["high"] or 0

    @cached_property
    def num_pages(self) -> int:
        low, high = self.bounds
        return max(1, -(-(high - low + 1) // self.per_page)) if high else 1

    def page(self, number):
        number = self.validate_number(number)
        start = self.bounds[0] + (number - 1) * self.per_page
        rows = self.object_list.filter(pk__gte=start, pk__lt=start + self.per_page)
        return self._get_page(rows, number, self)


class ArticleSitemap(Sitemap):
    changefreq = "weekly"
    limit = 5000  # pages of 5,000 URLs render in well under a second; the index lists them all

    def items(self):
        return public_articles().order_by("pk").only("slug", "published_at")

    @property
    def paginator(self) -> IdRangePaginator:
        return IdRangePaginator(self.items(), self.limit)

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
