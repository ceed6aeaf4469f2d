"""Providers (news outlets): logo, story counts, and merging duplicates into one."""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import ActionLocation
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join

from articles import services
from articles.admin.display import attach_counts, count_text, counting_changelist, first, thumbnail
from articles.models import Article, Image, RelatedLink
from providers.models import Provider


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


class LogoInline(admin.TabularInline):
    model = Image
    fk_name = "provider"
    fields = ("position", "preview", "url", "width", "height", "status")
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = "logos"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="preview")
    def preview(self, image):
        return thumbnail(image, width=50)


@admin.action(permissions=["merge"], description="Merge selected providers into one…")
def merge_providers(modeladmin, request, queryset):
    """Two steps, like Django's delete action: pick the provider to keep, then confirm."""
    providers = list(queryset)
    attach_counts(providers, "article_count", Article, "provider")
    attach_counts(providers, "related_count", RelatedLink, "provider")
    providers.sort(key=lambda p: (-p.article_count, p.pk))  # the busiest is the likely keeper
    if len(providers) < 2:
        modeladmin.message_user(request, "Select at least two providers to merge.", messages.WARNING)
        return None
    if request.POST.get("post") == "yes":
        keep = next((p for p in providers if str(p.pk) == request.POST.get("keep")), None)
        if keep is None:
            modeladmin.message_user(request, "Choose the provider to keep.", messages.ERROR)
        else:
            duplicates = [p for p in providers if p.pk != keep.pk]
            result = services.merge_providers(into=keep, duplicates=duplicates, by=request.user)
            moved = f"{_n(result.articles_moved, 'article')} and {_n(result.related_links_moved, 'related link')}"
            merged = ", ".join(result.merged)
            message = f"Merged {merged} into {result.provider}: {moved} moved."
            modeladmin.message_user(request, message, messages.SUCCESS)
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": "Merge providers",
        "opts": modeladmin.opts,
        "providers": providers,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "media": modeladmin.media,
    }
    return TemplateResponse(request, "admin/providers/provider/merge.html", context)


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    list_display = ("logo", "name", "domain", "article_count", "related_count", "created_at")
    change_list_template = "admin/planned_change_list.html"  # rows from one plan per page (articles/admin/rows.py)
    list_display_links = ("name",)
    search_fields = ("name", "domain")
    actions = [merge_providers]
    show_facets = admin.ShowFacets.NEVER
    fields = ("name", "domain", "other_names", "merged_domains", "article_count", "related_count", "created_at")
    readonly_fields = ("merged_domains", "article_count", "related_count", "created_at")
    inlines = (LogoInline,)

    def has_merge_permission(self, request):
        # A merge removes the duplicates, so it takes both rights (Django's action permissions are "any of").
        return self.has_change_permission(request) and self.has_delete_permission(request)

    def get_changelist(self, request, **kwargs):
        return counting_changelist(("article_count", Article, "provider"), ("related_count", RelatedLink, "provider"))

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.resolver_match and request.resolver_match.url_name == "autocomplete":
            return queryset  # choosing a provider needs its name only
        return queryset.prefetch_related("logos")

    def get_readonly_fields(self, request, obj=None):
        # The domain is the key imports find a provider by: changing it would split an outlet in two.
        return (*super().get_readonly_fields(request, obj), *(("domain",) if obj else ()))

    def get_actions(self, request, action_location=ActionLocation.CHANGE_LIST):
        actions = super().get_actions(request, action_location=action_location)
        actions.pop("delete_selected", None)  # articles protect their provider; merge instead
        return actions

    @admin.display(description="logo")
    def logo(self, provider):
        return thumbnail(first(provider.logos.all()), width=32)

    @admin.display(description="articles")
    def article_count(self, provider):
        count = getattr(provider, "article_count", None)  # the list's, capped (counting_changelist)
        # The change form: one provider, one exact count on the provider index.
        text = count_text(count) if count is not None else number_format(provider.articles.count())
        url = reverse("admin:articles_article_changelist") + f"?provider={provider.pk}"
        return format_html('<a href="{}">{}</a>', url, text)

    @admin.display(description="related coverage")
    def related_count(self, provider):
        count = getattr(provider, "related_count", None)
        return count_text(count) if count is not None else number_format(provider.related_links.count())

    @admin.display(description="merged domains")
    def merged_domains(self, provider):
        return format_html_join(", ", "<code>{}</code>", ((d,) for d in provider.merged_domains)) or "None"
