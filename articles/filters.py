"""The reader's filters for story lists, shared by the pages and the JSON API (bookmarkable query strings)."""

import django_filters

from articles.models import INT_MAX, INT_MIN, Article
from articles.selectors import TopicIndex, in_topics, topic_index

QUERY_PARAMETERS = ("topic", "provider", "published_after", "published_before", "quality_min", "type")


def unfiltered_values() -> dict:
    """ArticleFilter.values for a query string that names no filter: every value empty, nothing to report."""
    return {**dict.fromkeys(QUERY_PARAMETERS, ""), "active": False, "errors": {}}


class ArticleFilter(django_filters.FilterSet):
    topic = django_filters.CharFilter(
        method="filter_topic", label="Topic", help_text="Topic slug; stories of its sub-topics are included."
    )
    provider = django_filters.CharFilter(method="filter_provider", label="Provider", help_text="Outlet domain.")
    published = django_filters.DateFromToRangeFilter(
        field_name="published_at", label="Published", help_text="Date range: published_after, published_before."
    )
    quality_min = django_filters.NumberFilter(method="filter_quality_min", label="Minimum quality")
    type = django_filters.CharFilter(field_name="type", lookup_expr="iexact", label="Type", max_length=50)

    class Meta:
        model = Article
        fields = ["topic", "provider", "published", "quality_min", "type"]

    def __init__(self, *args, topics: TopicIndex | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self._topics = topics

    @property
    def topics(self) -> TopicIndex:
        # Pages pass the index they already loaded for the topic menu; the API loads it only when asked.
        if self._topics is None:
            self._topics = topic_index()
        return self._topics

    def filter_topic(self, queryset, name, value):
        topic = self.topics.by_slug.get(value.strip().lower())
        if topic is None:
            return queryset.none()
        return in_topics(queryset, self.topics.descendant_ids(topic))

    def filter_quality_min(self, queryset, name, value):
        # Quality is a PostgreSQL integer: a bound beyond its range would be a database error, not a filter.
        if value > INT_MAX:
            return queryset.none()
        return queryset.filter(quality__gte=value) if value >= INT_MIN else queryset.filter(quality__isnull=False)

    def filter_provider(self, queryset, name, value):
        domain = value.strip().lower().removeprefix("www.")
        return queryset.filter(provider__domain=domain)

    @property
    def values(self) -> dict:
        """The raw query values by parameter name (all present, for the form), `active` and `errors`."""
        values = {name: self.data.get(name, "") for name in QUERY_PARAMETERS}
        values["active"] = any(values.values())
        values["errors"] = self.errors if self.is_bound else {}
        return values
