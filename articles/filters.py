"""Filters for story lists, in bookmarkable query strings: what readers choose on the pages, and the developer
filters the JSON API adds on top.

Readers think in topics, outlets and dates; `quality` and `type` are editorial internals, so only the API filters
by them. Dates are whole days in UTC, the time zone the site shows.
"""

from datetime import UTC, date, datetime, time, timedelta

import django_filters
from django import forms
from django.utils import timezone

from articles.limits import INT_MAX, INT_MIN
from articles.models import Article
from articles.selectors import TopicIndex, in_topics, topic_index

# Relative date ranges offered as presets; "custom" means "the dates below", which filter by themselves.
PERIODS = {"day": ("Past 24 hours", timedelta(days=1)), "week": ("Past week", timedelta(days=7)),
           "month": ("Past month", timedelta(days=30))}  # fmt: skip
CUSTOM_PERIOD = "custom"
PERIOD_CHOICES = [*((value, label) for value, (label, _) in PERIODS.items()), (CUSTOM_PERIOD, "Custom dates")]

QUERY_PARAMETERS = ("topic", "provider", "period", "published_after", "published_before")
API_PARAMETERS = (*QUERY_PARAMETERS, "quality_min", "type")


def unfiltered_values() -> dict:
    """ReaderFilter.values for a query string that names no filter: every value empty, nothing to report."""
    return {**dict.fromkeys(QUERY_PARAMETERS, ""), "period_choice": "", "active": False, "errors": {}}


def start_of_day(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


class ReaderFilter(django_filters.FilterSet):
    """The filters of the public pages: topic, outlet and date range."""

    topic = django_filters.CharFilter(
        method="filter_topic", label="Topic", help_text="Topic slug; stories of its sub-topics are included."
    )
    provider = django_filters.CharFilter(method="filter_provider", label="Outlet", help_text="The outlet's domain.")
    period = django_filters.ChoiceFilter(
        choices=PERIOD_CHOICES,
        method="filter_period",
        label="Published",
        help_text="Published in the past day, week (7 days) or month (30 days); `custom` leaves it to the dates.",
    )
    # ISO dates only (what <input type="date"> sends, and the API's documented format), not Django's other formats.
    published_after = django_filters.DateFilter(
        method="filter_published_after",
        label="From",
        help_text="Published on or after this day (UTC).",
        input_formats=["%Y-%m-%d"],
    )
    published_before = django_filters.DateFilter(
        method="filter_published_before",
        label="Until",
        help_text="Published on or before this day (UTC).",
        input_formats=["%Y-%m-%d"],
    )

    class Meta:
        model = Article
        fields = list(QUERY_PARAMETERS)

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

    def filter_provider(self, queryset, name, value):
        domain = value.strip().lower().removeprefix("www.")
        return queryset.filter(provider__domain=domain)

    def filter_period(self, queryset, name, value):
        if value not in PERIODS:
            return queryset
        return queryset.filter(published_at__gte=timezone.now() - PERIODS[value][1])

    def filter_published_after(self, queryset, name, value):
        return queryset.filter(published_at__gte=start_of_day(value))

    def filter_published_before(self, queryset, name, value):
        # The whole day: a range on the column (not a cast to date), so the index on published_at serves it.
        if value == date.max:
            return queryset
        return queryset.filter(published_at__lt=start_of_day(value + timedelta(days=1)))

    @property
    def values(self) -> dict:
        """The raw query values by parameter name (all present, for the form), `active` and `errors`."""
        # Shown back in the form: without NUL, which no field accepts (and the page cache reserves).
        values = {name: self.data.get(name, "").replace("\x00", "") for name in QUERY_PARAMETERS}
        # The date preset the form shows as chosen: dates without a preset are a custom range.
        custom = values["published_after"] or values["published_before"]
        values["period_choice"] = values["period"] or (CUSTOM_PERIOD if custom else "")
        values["active"] = any(values.values())
        values["errors"] = self.errors if self.is_bound else {}
        return values


class StrictParametersForm(forms.Form):
    """A filter form for programs: a parameter given empty, or more than once, is an error rather than "any"
    or "the last one"."""

    def clean(self):
        cleaned = super().clean()
        for name in self.fields:
            if name not in self.data or name in self.errors:
                continue
            values = self.data.getlist(name) if hasattr(self.data, "getlist") else [self.data[name]]
            if len(values) > 1:
                self.add_error(name, "Give this parameter once.")
            elif values[0] == "":
                self.add_error(name, "This value may not be blank.")
        return cleaned


class WholeNumberFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField


class ArticleFilter(ReaderFilter):
    """The API's filters: the readers' ones plus the developer filters, strictly validated (400 naming the
    parameter) because a program, unlike a form, never sends a blank field by accident of layout."""

    quality_min = WholeNumberFilter(
        field_name="quality",
        lookup_expr="gte",
        label="Minimum quality",
        help_text="Editorial quality score, at least.",
        # Quality is a PostgreSQL integer: a bound beyond its range is an invalid value, not a database error.
        min_value=INT_MIN,
        max_value=INT_MAX,
    )
    type = django_filters.CharFilter(
        field_name="type", lookup_expr="iexact", label="Type", max_length=50, help_text="Item type, e.g. `article`."
    )

    class Meta:
        model = Article
        fields = list(API_PARAMETERS)
        form = StrictParametersForm
