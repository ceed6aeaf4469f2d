"""Topics: the taxonomy editors tag stories with (parent, keywords, how many stories carry each)."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from articles.admin.display import count_text, counting_changelist
from articles.models import Article, Topic


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ("name", "parent", "shortname", "keyword_list", "article_count")
    change_list_template = "admin/planned_change_list.html"  # rows from one plan per page (articles/admin/rows.py)
    list_select_related = ("parent",)
    search_fields = ("name", "shortname", "slug")
    autocomplete_fields = ("parent",)
    prepopulated_fields = {"slug": ("name",)}
    fields = ("name", "slug", "shortname", "parent", "description", "keywords", "extra")
    readonly_fields = ("extra",)
    show_facets = admin.ShowFacets.NEVER

    def get_changelist(self, request, **kwargs):
        # Counted for the page's topics only, each up to a cap, in one query on the through table's topic index.
        return counting_changelist(("article_count", Article.topics.through, "topic"))

    @admin.display(description="keywords")
    def keyword_list(self, topic):
        keywords = [str(k) for k in topic.keywords or []]
        text = ", ".join(keywords[:8])
        return text + (f" (+{len(keywords) - 8})" if len(keywords) > 8 else "")

    @admin.display(description="articles")
    def article_count(self, topic):
        url = reverse("admin:articles_article_changelist") + f"?topic={topic.pk}"
        return format_html('<a href="{}">{}</a>', url, count_text(topic.article_count))
