"""Stories in the admin: each with its lead, size and members; merge, pin to the top, release a chosen lead.

The article change list carries the story column and the "split out" and "make lead" actions (see
articles/admin/actions.py). Writes go through articles.stories.services.
"""

from django.contrib import admin, messages
from django.contrib.admin.options import ActionLocation
from django.urls import reverse
from django.utils.html import format_html

from articles.admin import review
from articles.admin.display import moment
from articles.models import Article, Story
from articles.paginator import EstimatedCountPaginator
from articles.stories import services


def report(modeladmin, request, result: services.StoryResult, done: str) -> None:
    if result.stories:
        n = len(result.stories)
        modeladmin.message_user(request, f"{done} ({n} {'story' if n == 1 else 'stories'}).", messages.SUCCESS)
    for title, reason in result.skipped:
        modeladmin.message_user(request, f"Skipped “{title}”: {reason}.", messages.WARNING)


def story_link(story_id: int, size: int) -> str:
    url = reverse("admin:articles_story_change", args=[story_id])
    label = "alone" if size == 1 else f"{size} articles"
    return format_html('<a href="{}" title="Story {}">{}</a>', url, story_id, label)


class MemberInline(admin.TabularInline):
    """The story's articles, earliest first; edited on their own pages, never here."""

    model = Article
    fk_name = "story"
    fields = ("headline", "outlet", "published_at", "published", "quality", "is_lead", "editor_decided")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False
    verbose_name_plural = "articles in this story"
    ordering = ("published_at", "id")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("provider", "story").defer("secured", "extra")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="title")
    def headline(self, article):
        url = reverse("admin:articles_article_change", args=[article.pk])
        return format_html('<a href="{}">{}</a>', url, article.title)

    @admin.display(description="provider")
    def outlet(self, article):
        return article.provider.name if article.provider else ""

    @admin.display(description="lead", boolean=True)
    def is_lead(self, article):
        return article.story.lead_id == article.pk

    @admin.display(description="placed by an editor", boolean=True)
    def editor_decided(self, article):
        return "story" in (article.editor_locked or [])


@admin.action(permissions=["change"], description="Merge selected stories into one")
def merge(modeladmin, request, queryset):
    try:
        result = services.merge_stories(stories=list(queryset), by=request.user)
    except ValueError as exc:
        modeladmin.message_user(request, f"Nothing merged: {exc}.", messages.ERROR)
        return
    report(modeladmin, request, result, f"Merged the selected stories into story {result.stories[0]}")


@admin.action(permissions=["change"], description="Pin selected stories to the top")
def pin(modeladmin, request, queryset):
    report(modeladmin, request, services.pin_to_top(stories=queryset, by=request.user), "Pinned to the top")


@admin.action(permissions=["change"], description="Unpin selected stories from the top")
def unpin(modeladmin, request, queryset):
    result = services.pin_to_top(stories=queryset, by=request.user, pinned=False)
    report(modeladmin, request, result, "Unpinned from the top")


@admin.action(permissions=["change"], description="Let clustering choose the lead again")
def release_lead(modeladmin, request, queryset):
    report(modeladmin, request, services.release_lead(stories=queryset, by=request.user), "Lead released")


@admin.register(Story)
class StoryAdmin(admin.ModelAdmin):
    list_display = ("id", "lead_title", "size", "span", "pinned", "curated", "lead_pinned")
    list_display_links = ("id", "lead_title")
    list_select_related = ("lead", "lead__provider")
    list_filter = ("curated", "lead_pinned", ("pinned_at", admin.EmptyFieldListFilter))
    ordering = ("-last_published_at", "-id")
    search_fields = ("=id",)
    search_help_text = "A story number."
    list_per_page = 50
    show_full_result_count = False
    paginator = EstimatedCountPaginator  # no COUNT(*) of every story for the page links
    show_facets = admin.ShowFacets.NEVER
    actions = [merge, pin, unpin, release_lead]
    inlines = (MemberInline,)
    fields = ("lead_title", "size", "span", "lead_pinned", "curated", "pinned_at", "created_at", "updated_at")
    readonly_fields = fields

    def get_urls(self):
        # Review mode lives here: it steps through stories (articles/admin/review.py).
        return [*review.urls(self.admin_site), *super().get_urls()]

    def has_add_permission(self, request):
        return False  # stories come from clustering; editors reshape them with the actions

    def has_delete_permission(self, request, obj=None):
        return False

    def get_actions(self, request, action_location=ActionLocation.CHANGE_LIST):
        actions = super().get_actions(request, action_location=action_location)
        actions.pop("delete_selected", None)
        return actions

    @admin.display(description="lead", ordering="lead__title")
    def lead_title(self, story):
        if story.lead is None:
            return ""
        url = reverse("admin:articles_article_change", args=[story.lead_id])
        outlet = story.lead.provider.name if story.lead.provider else ""
        return format_html('<a href="{}">{}</a> <span class="quiet">{}</span>', url, story.lead.title, outlet)

    @admin.display(description="published", ordering="last_published_at")
    def span(self, story):
        first, last = moment(story.first_published_at), moment(story.last_published_at)
        return first if first == last else f"{first} – {last}"

    @admin.display(description="pinned to top", ordering="pinned_at")
    def pinned(self, story):
        return moment(story.pinned_at)
